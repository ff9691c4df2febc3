import Crypto
import LedgerModel
import Readers

/// Derives each document's external reference: the key that makes booking exactly-once, so it
/// must be the same on every run and different for every document.
///
/// The reference is a SHA-256 of the mapping's name, the document kind and the content of the
/// rows that made the document, plus how many times that same content came before in the file
/// (two identical coffees on one day are two documents). It does not depend on the file's name,
/// size or other rows, so a re-exported statement that overlaps an earlier one, or a file dropped
/// in again after one row was fixed, gives the rows already booked their old references.
/// With `reference: { scope: file }` the file's own SHA-256 is mixed in as well.
///
/// Format: `ll1-` and 26 base-32 characters (130 bits); the `1` versions the scheme, which must
/// never change for existing mappings.
struct ReferenceMaker {
    static let maxLength = 128
    private let prefix: [UInt8]
    /// Occurrences of each content digest so far (keyed by its first 8 bytes).
    private var occurrences: [UInt64: UInt32] = [:]

    init(name: String, kind: DocumentKind, fileDigest: [UInt8]?) {
        var prefix = Array("ledgerlift-reference-v1".utf8) + [0x1F]
        prefix += Array(name.utf8) + [0x1F] + Array(kind.rawValue.utf8) + [0x1F]
        if let fileDigest { prefix += fileDigest + [0x1F] }
        self.prefix = prefix
    }

    mutating func reference(for records: [Record]) -> String {
        var hasher = SHA256()
        hasher.update(data: prefix)
        for record in records {
            Self.feed(record, into: &hasher)
            hasher.update(data: [0x1E])
        }
        let digest = Array(hasher.finalize())
        let key = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let occurrence = (occurrences[key] ?? 0) + 1
        occurrences[key] = occurrence
        if occurrence == 1 { return Self.format(digest) }
        var again = SHA256()
        again.update(data: digest)
        again.update(data: Array("#\(occurrence)".utf8))
        return Self.format(Array(again.finalize()))
    }

    /// A record's content: every field's bytes (and, for trees, names and shape).
    private static func feed(_ record: Record, into hasher: inout SHA256) {
        switch record.fields {
        case .columns(let columns):
            for i in 0..<columns.count {
                columns.withUTF8(at: i) { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
                hasher.update(data: [0x1F])
            }
        case .tree(let tree):
            for (id, node) in tree.nodes.enumerated() {
                hasher.update(data: Array(node.name.utf8) + [0x1D, node.kind.rawValue])
                withUnsafeBytes(of: node.parent.littleEndian) { hasher.update(bufferPointer: $0) }
                tree.withValueBytes(of: id) { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
                hasher.update(data: [0x1F])
            }
        }
    }

    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    /// `ll1-` and the first 130 bits in base 32 (Crockford's alphabet, lower case).
    static func format(_ digest: [UInt8]) -> String {
        var out = Array("ll1-".utf8)
        var buffer: UInt32 = 0
        var bits = 0
        var index = 0
        while out.count < 30 {
            if bits < 5 {
                buffer = buffer << 8 | UInt32(digest[index])
                index += 1
                bits += 8
            }
            out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
            bits -= 5
        }
        return String(decoding: out, as: UTF8.self)
    }
}

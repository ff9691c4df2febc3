/// A byte buffer refilled row after row: its first `count` bytes are the content, and the
/// storage only grows. Emptying an `Array` and appending to it again took Array's general paths
/// (`removeAll(keepingCapacity:)` alone was about 80 instructions); this writes through a pointer.
struct ReusableBytes {
    private var storage: [UInt8]
    /// How many bytes are content.
    private(set) var count = 0

    init(capacity: Int = 256) {
        storage = [UInt8](repeating: 0, count: max(capacity, 16))
    }

    /// Keeps the first `count` bytes (at most ``count``), for writing after them.
    mutating func truncate(to count: Int) {
        self.count = min(count, self.count)
    }

    mutating func append(contentsOf bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        let at = count
        storage.withUnsafeMutableBytes { storage in
            (storage.baseAddress! + at).copyMemory(from: source, byteCount: bytes.count)
        }
        count += bytes.count
    }

    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        append(contentsOf: UnsafeRawBufferPointer(bytes))
    }

    /// Text (a node's name): its UTF-8 bytes.
    mutating func append(contentsOf text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }

    mutating func append(_ byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    /// The content.
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<count])) }
    }

    private mutating func reserve(_ more: Int) {
        if count + more > storage.count {
            storage += repeatElement(0, count: max(count + more - storage.count, storage.count))
        }
    }
}

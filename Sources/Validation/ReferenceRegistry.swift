/// Remembers every document reference of a run and where it first came from, so the same
/// reference a second time is caught before anything is sent.
///
/// A reference is kept as a 64-bit hash (a false match among a million references has odds of
/// about one in 10¹⁰) with its file and line packed in 32 bits (the 255th file, or lines past
/// 16 million, go to a small side table): 12 bytes a slot in flat tables that grow 256 shards at
/// a time; 16 to 25 MB per million documents.
struct ReferenceRegistry {
    private var keys = [[UInt64]](repeating: [UInt64](repeating: 0, count: 8), count: 256)
    private var values = [[UInt32]](repeating: [UInt32](repeating: 0, count: 8), count: 256)
    /// Where references are whose file and line do not fit in a slot's 32 bits.
    private var unpacked: [UInt64: (file: Int, line: Int)] = [:]
    private static let unpackedMark = UInt32.max
    private var used = [Int32](repeating: 0, count: 256)
    private(set) var files: [String] = []
    private var fileIndex: [String: Int] = [:]

    /// Records `reference`; returns where it was seen first when it was seen before.
    mutating func register(_ reference: String, file: String, line: Int) -> (file: String, line: Int)? {
        let key = Self.hash(reference)
        let shard = Int(truncatingIfNeeded: key >> 56)
        let mask = keys[shard].count - 1
        var i = Int(truncatingIfNeeded: key) & mask
        while true {
            let slot = keys[shard][i]
            if slot == 0 { break }
            if slot == key {
                let value = values[shard][i]
                if value == Self.unpackedMark, let place = unpacked[key] { return (files[place.file], place.line) }
                return (files[Int(value >> 24)], Int(value & 0xFF_FFFF))
            }
            i = (i + 1) & mask
        }
        let index: Int
        if let last = files.last, last == file {
            // Documents come file by file: the usual case needs no lookup.
            index = files.count - 1
        } else if let known = fileIndex[file] {
            index = known
        } else {
            index = files.count
            files.append(file)
            fileIndex[file] = index
        }
        keys[shard][i] = key
        if index < 255 && line >= 0 && line < 1 << 24 {
            values[shard][i] = UInt32(index) << 24 | UInt32(line)
        } else {
            values[shard][i] = Self.unpackedMark
            unpacked[key] = (index, line)
        }
        used[shard] += 1
        if Int(used[shard]) * 4 > keys[shard].count * 3 { grow(shard) }
        return nil
    }

    private mutating func grow(_ shard: Int) {
        let oldKeys = keys[shard]
        let oldValues = values[shard]
        var newKeys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        var newValues = [UInt32](repeating: 0, count: oldKeys.count * 2)
        let mask = newKeys.count - 1
        for (key, value) in zip(oldKeys, oldValues) where key != 0 {
            var i = Int(truncatingIfNeeded: key) & mask
            while newKeys[i] != 0 { i = (i + 1) & mask }
            newKeys[i] = key
            newValues[i] = value
        }
        keys[shard] = newKeys
        values[shard] = newValues
    }

    /// FNV-1a, then a 64-bit finalizer (stable across runs; 0 is kept for empty slots).
    static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash = hash &* 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 33
        return hash == 0 ? 1 : hash
    }
}

/// A fast 64-bit hash of bytes for the in-memory tables consulted on every row (rule outcomes,
/// references): eight bytes at a time, each folded in by a full-width multiply, then a 64-bit
/// finalizer. Not stable across versions: never store it.
public enum ByteHash {
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes.count)
        var offset = 0
        while offset < bytes.count {
            var chunk: UInt64 = 0
            let end = min(offset + 8, bytes.count)
            if end - offset == 8 {
                chunk = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            } else {
                for i in offset..<end { chunk |= UInt64(bytes[i]) << ((i - offset) * 8) }
            }
            let product = (hash ^ chunk).multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15)
            hash = product.high ^ product.low
            offset = end
        }
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash = hash &* 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 33
        return hash
    }
}

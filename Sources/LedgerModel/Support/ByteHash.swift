/// A fast 64-bit hash of bytes for the in-memory tables consulted on every row (rule outcomes,
/// references): eight bytes at a time, each folded in by a full-width multiply, then a 64-bit
/// finalizer. Not stable across versions: never store it.
public enum ByteHash {
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(count)
        @inline(__always) func mix(_ chunk: UInt64) {
            let product = (hash ^ chunk).multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15)
            hash = product.high ^ product.low
        }
        var offset = 0
        while offset + 8 <= count {
            mix(bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        if offset < count {
            // The last bytes in one or two loads that may overlap bytes already mixed in
            // (the length is in the seed), not a byte at a time.
            if count >= 8 {
                mix(bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
            } else if count >= 4 {
                let low = UInt64(bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
                let high = UInt64(bytes.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
                mix(low | high << 32)
            } else {
                var chunk: UInt64 = 0
                for i in 0..<count { chunk |= UInt64(bytes[i]) << (i * 8) }
                mix(chunk)
            }
        }
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash = hash &* 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 33
        return hash
    }
}

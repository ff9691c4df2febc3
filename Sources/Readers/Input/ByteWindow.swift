/// A window onto a stream of UTF-8 bytes: the current chunk, the position in it, and where lines
/// start, so any parser built on it can say `line:column`.
///
/// A struct, so parsers keep it in their own struct state and the hot loops touch no class
/// properties (no dynamic exclusivity checks per byte).
struct ByteWindow {
    private let input: any ByteInput
    private let storage: Storage
    /// The current chunk; bytes `pos..<end` are unread.
    let buffer: UnsafeMutableBufferPointer<UInt8>
    var pos = 0
    private(set) var end = 0
    /// Offset of `buffer[0]` in the stream.
    private(set) var base = 0
    private(set) var exhausted = false
    /// The line at `pos` (1-based), and the stream offset where it starts.
    var line = 1
    var lineStart = 0

    init(input: any ByteInput, chunkSize: Int) {
        self.input = input
        storage = Storage(capacity: max(chunkSize, 4096))
        buffer = storage.buffer
    }

    /// The 1-based column of `pos`, in bytes.
    var column: Int { base + pos - lineStart + 1 }

    /// The stream offset of `pos`.
    var offset: Int { base + pos }

    /// True when every byte read so far has been consumed.
    var isEmpty: Bool { pos == end }

    /// Reads the next chunk once the current one is consumed; at the end `isEmpty` stays true.
    mutating func refill() throws {
        guard !exhausted else { return }
        base += end
        pos = 0
        end = try input.read(into: UnsafeMutableRawBufferPointer(buffer))
        if end == 0 { exhausted = true }
    }

    /// The byte at `pos`, reading on when needed; nil at the end.
    @inline(__always)
    mutating func peek() throws -> UInt8? {
        if pos == end {
            try refill()
            if pos == end { return nil }
        }
        return buffer[pos]
    }

    /// Marks that a line ended just before `pos`.
    @inline(__always)
    mutating func newLine() {
        line += 1
        lineStart = base + pos
    }

    /// Frees the chunk when the last copy of the window goes.
    private final class Storage {
        let buffer: UnsafeMutableBufferPointer<UInt8>

        init(capacity: Int) { buffer = .allocate(capacity: capacity) }

        deinit { buffer.deallocate() }
    }
}

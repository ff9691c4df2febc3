import LedgerModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A source of bytes read in chunks. Readers parse what it yields; it never holds a whole file.
protocol ByteInput: AnyObject {
    /// Fills `buffer` from the front; returns the count, 0 at the end of input.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A regular file opened for streaming, remembering its size and modification time so that a
/// file that changes while it is read is refused instead of half-read.
final class FileInput: ByteInput {
    let path: String
    let size: Int64
    private let modifiedSeconds: Int
    private let modifiedNanoseconds: Int
    private let fd: Int32
    private var pending: [UInt8] = []
    private var pendingOffset = 0
    private(set) var bytesRead: Int64 = 0

    init(path: String) throws {
        self.path = path
        let location = SourceLocation(file: path)
        var info = stat()
        guard stat(path, &info) == 0 else {
            let err = errno
            if err == ENOENT || err == ENOTDIR {
                throw ReadError(
                    ReaderCode.fileNotFound, "no such file", hint: "check the path and the working directory",
                    at: location)
            }
            throw ReadError(ReaderCode.cannotOpen, "cannot open: \(Self.describe(err))", at: location)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw ReadError(
                ReaderCode.notARegularFile, "is a directory, not a file",
                hint: "name the files inside it, or use `ledgerlift watch` for an inbox folder", at: location)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw ReadError(
                ReaderCode.notARegularFile, "is not a regular file (a device, pipe or socket)",
                hint: "copy the data into a file first", at: location)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ReadError(
                ReaderCode.cannotOpen, "cannot open: \(Self.describe(errno))",
                hint: "check the file's permissions", at: location)
        }
        self.fd = fd
        self.size = Int64(info.st_size)
        (modifiedSeconds, modifiedNanoseconds) = Self.modification(info)
    }

    deinit { close(fd) }

    /// Reads up to `count` bytes from the start of the file for detection, and keeps them so
    /// that `read(into:)` yields them again first.
    func prefix(_ count: Int) throws -> [UInt8] {
        precondition(bytesRead == 0 && pending.isEmpty, "prefix must be taken before reading")
        var sample = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try sample.withUnsafeMutableBytes { raw in
                try rawRead(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
            }
            if n == 0 { break }
            filled += n
        }
        sample.removeSubrange(filled...)
        pending = sample
        return sample
    }

    /// Skips `count` bytes of the kept prefix (a byte-order mark).
    func skipPrefix(_ count: Int) {
        pendingOffset = min(pendingOffset + count, pending.count)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if pendingOffset < pending.count {
            let n = min(buffer.count, pending.count - pendingOffset)
            pending.withUnsafeBytes { raw in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[pendingOffset..<pendingOffset + n]))
            }
            pendingOffset += n
            if pendingOffset == pending.count {
                pending = []
                pendingOffset = 0
            }
            return n
        }
        let n = try rawRead(into: buffer)
        if n == 0 { try checkUnchanged() }
        return n
    }

    private func rawRead(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let n = systemRead(fd, buffer.baseAddress, buffer.count)
            if n >= 0 {
                bytesRead += Int64(n)
                return n
            }
            if errno == EINTR { continue }
            throw ReadError(
                ReaderCode.ioError, "read failed: \(Self.describe(errno))", at: SourceLocation(file: path))
        }
    }

    /// At the end of the file: the file must still be what it was when opened.
    private func checkUnchanged() throws {
        if hasChanged() || bytesRead != size { throw changedError }
    }

    /// True when the file's size or modification time is no longer what it was when opened.
    func hasChanged() -> Bool {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return true }
        let (seconds, nanoseconds) = Self.modification(info)
        return Int64(info.st_size) != size || seconds != modifiedSeconds || nanoseconds != modifiedNanoseconds
    }

    var changedError: ReadError {
        ReadError(
            ReaderCode.fileChanged, "the file changed while it was being read (size or modification time differs)",
            hint: "wait until whatever writes it has finished, then run again", at: SourceLocation(file: path))
    }

    private static func modification(_ info: stat) -> (Int, Int) {
        #if canImport(Darwin)
            (info.st_mtimespec.tv_sec, info.st_mtimespec.tv_nsec)
        #else
            (info.st_mtim.tv_sec, info.st_mtim.tv_nsec)
        #endif
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

@inline(__always)
private func systemRead(_ fd: Int32, _ buf: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Darwin)
        Darwin.read(fd, buf, count)
    #elseif canImport(Musl)
        Musl.read(fd, buf, count)
    #else
        Glibc.read(fd, buf, count)
    #endif
}

import Crypto
import Foundation

/// A file's size and SHA-256: a job refuses a file that changed since it first read it, and an
/// inbox knows a file dropped in again by it.
public struct Fingerprint: Sendable, Equatable {
    public var size: Int64
    public var sha256: String

    public init(size: Int64, sha256: String) {
        self.size = size
        self.sha256 = sha256
    }

    /// Reads the file a megabyte at a time.
    public init(of path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw UnreadableFile() }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        self.init(size: size, sha256: hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    struct UnreadableFile: Error, CustomStringConvertible {
        var description: String { "the file cannot be opened" }
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Tokens from a sign-in, as kept between runs.
public struct StoredTokens: Codable, Sendable, Equatable {
    public var accessToken: String
    public var accessExpiresAt: Date
    public var refreshToken: String?
    /// Set, durably, just before a refresh is sent, and cleared when its answer is stored: if a
    /// run finds it set, the last refresh may have been answered and lost.
    public var refreshPending: Bool
    public var scope: String?
    public var updatedAt: Date

    public init(
        accessToken: String, accessExpiresAt: Date, refreshToken: String?, refreshPending: Bool = false,
        scope: String? = nil, updatedAt: Date = Date()
    ) {
        self.accessToken = accessToken
        self.accessExpiresAt = accessExpiresAt
        self.refreshToken = refreshToken
        self.refreshPending = refreshPending
        self.scope = scope
        self.updatedAt = updatedAt
    }
}

/// A JSON file of tokens by key (for example `connect/<client id>`), mode 0600. Every write goes to
/// a temporary file in the same folder, is flushed to disk, and replaces the old file atomically;
/// so the file always holds one whole, durable version.
public final class TokenStore: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func load() throws -> [String: StoredTokens] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode([String: StoredTokens].self, from: data)
    }

    public func tokens(_ key: String) throws -> StoredTokens? { try load()[key] }

    public func save(_ tokens: StoredTokens, for key: String) throws {
        var all = try load()
        all[key] = tokens
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try replaceDurably(with: try encoder.encode(all))
    }

    private func replaceDurably(with data: Data) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
        guard descriptor >= 0 else {
            throw TokenStoreError("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        let written = data.withUnsafeBytes { buffer in write(descriptor, buffer.baseAddress, buffer.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == data.count, synced == 0 else {
            unlink(temporary)
            throw TokenStoreError("cannot write \(temporary) to disk")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw TokenStoreError("cannot replace \(path): \(String(cString: strerror(errno)))")
        }
        let folder = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }
}

public struct TokenStoreError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

import Foundation

/// Where an import books and how it signs in. Values only: the caller reads the environment
/// and hands it in (`environment`), so the pipeline reads none itself.
public struct TargetSettings: Sendable {
    /// `sandbox` (the built-in one) or `dinero`.
    public var target: String
    public var organization: Int?
    public var apiURL: String?
    public var authURL: String?
    /// A `KEY=value` file with the credentials (mode 0600).
    public var credentialsFile: String?
    /// Where the built-in sandbox keeps its books.
    public var sandboxData: String
    /// Requests a window, when not the target's own limit.
    public var rateLimit: Int?
    /// The window's length in seconds, when not the target's own.
    public var rateWindow: Double?
    /// `personal` (an API key) or `connect` (the tokens of `auth login`).
    public var auth = "personal"
    public var connect: ConnectSettings?
    public var tokenStore = ".ledgerlift/tokens.json"
    /// The process's environment (credentials may come from it).
    public var environment: [String: String] = [:]
    /// Fault drills: called after each API answer with the count so far, and at a token
    /// refresh's steps.
    public var afterAnswer: (@Sendable (Int) -> Void)?
    public var refreshDrill: (@Sendable (String) -> Void)?

    public init(target: String, sandboxData: String) {
        self.target = target
        self.sandboxData = sandboxData
    }

}

/// A target that cannot be set up from what was given: say what to give.
public struct ConnectionError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Credentials files: `KEY=value` lines.
public enum Credentials {
    /// Reads a credentials file. It must not be readable by others: it holds secrets.
    public static func read(_ path: String) throws(ConnectionError) -> [String: String] {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw ConnectionError("cannot read the credentials file \(path)")
        }
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw ConnectionError(
                "\(path) can be read by others (mode \(String(mode, radix: 8))); it holds secrets. Run: chmod 600 \(path)"
            )
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConnectionError("cannot read the credentials file \(path)")
        }
        var values: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            values[String(trimmed[..<equals]).trimmingCharacters(in: .whitespaces)] =
                String(trimmed[trimmed.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
        }
        return values
    }
}

extension Credentials {
    /// The Visma Connect app's id and secret (`DINERO_CONNECT_CLIENT_ID`, `DINERO_CONNECT_CLIENT_SECRET`)
    /// and where Visma Connect is, from a credentials file over the environment.
    public static func connectSettings(
        file: String?, environment: [String: String], authorizeURL: String? = nil, tokenURL: String? = nil
    ) throws(ConnectionError) -> ConnectSettings {
        var values = environment
        if let file { values.merge(try read(file)) { _, fromFile in fromFile } }
        guard let id = values["DINERO_CONNECT_CLIENT_ID"], !id.isEmpty,
            let secret = values["DINERO_CONNECT_CLIENT_SECRET"], !secret.isEmpty
        else {
            throw ConnectionError(
                "set DINERO_CONNECT_CLIENT_ID and DINERO_CONNECT_CLIENT_SECRET (the Visma Connect app's id, isv_…, and secret), in the environment or in --credentials FILE"
            )
        }
        var settings = ConnectSettings(clientID: id, clientSecret: secret)
        if let url = authorizeURL ?? values["DINERO_CONNECT_AUTHORIZE_URL"] { settings.authorizeURL = url }
        if let url = tokenURL ?? values["DINERO_CONNECT_TOKEN_URL"] { settings.tokenURL = url }
        return settings
    }
}

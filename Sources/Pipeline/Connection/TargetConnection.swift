public import AsyncHTTPClient
import Foundation
import Synchronization
public import Targets

/// A local emulator the pipeline can start by itself (`--target sandbox`), handed in by the
/// caller: the pipeline does not link the emulators.
public struct EmbeddedSandbox: Sendable {
    /// Starts a sandbox keeping its books in a folder.
    public var start: @Sendable (_ dataFolder: String) async throws -> RunningSandbox
    /// The organization booked into when none is named.
    public var organizationID: Int
    /// The personal integration that reaches an organization of the sandbox's.
    public var credentials: @Sendable (_ organization: Int) -> PersonalCredentials

    public init(
        start: @escaping @Sendable (String) async throws -> RunningSandbox, organizationID: Int,
        credentials: @escaping @Sendable (Int) -> PersonalCredentials
    ) {
        self.start = start
        self.organizationID = organizationID
        self.credentials = credentials
    }
}

/// A started sandbox.
public struct RunningSandbox: Sendable {
    public var baseURL: String
    public var stop: @Sendable () async -> Void

    public init(baseURL: String, stop: @escaping @Sendable () async -> Void) {
        self.baseURL = baseURL
        self.stop = stop
    }
}

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

    /// The targets `--target` takes.
    public static let targets = ["sandbox", "dinero"]
}

/// The target an import talks to, opened from ``TargetSettings``: the built-in sandbox (started
/// here, nothing leaves the machine), or a real or separately running Dinero.
public final class TargetConnection: Sendable {
    public let target: any Target
    /// For people: "Dinero at …, organization …".
    public let description: String
    /// The transport, when this connection has it to itself and closes it.
    private let owned: SharedTransport?

    private init(target: any Target, description: String, owned: SharedTransport?) {
        self.target = target
        self.description = description
        self.owned = owned
    }

    /// A connection with a transport of its own, closed with it.
    public static func open(_ settings: TargetSettings, sandbox: EmbeddedSandbox?) async throws -> TargetConnection {
        let transport = SharedTransport(sandbox: sandbox)
        do {
            return try await open(settings, sharing: transport, owned: true)
        } catch {
            await transport.close()
            throw error
        }
    }

    /// A connection over a transport several share (an inbox's routes): one HTTP client, one
    /// rate limiter per organization and client id, one built-in sandbox per data folder.
    public static func open(
        _ settings: TargetSettings, sharing transport: SharedTransport, owned: Bool = false
    ) async throws -> TargetConnection {
        let http = transport.http
        func policy(connect: Bool) -> RateLimitPolicy {
            var policy = DineroClient.rateLimit(connect: connect)
            if let limit = settings.rateLimit { policy.limit = limit }
            if let window = settings.rateWindow { policy.window = .fixed(window) }
            return policy
        }
        if settings.target == "sandbox" {
            guard let embedded = transport.embedded else {
                throw ConnectionError("this build has no built-in sandbox; name a --target")
            }
            let sandbox = try await transport.sandbox(data: settings.sandboxData)
            let organization = settings.organization ?? embedded.organizationID
            let credentials = embedded.credentials(organization)
            let limiter = await transport.limiters.limiter(
                organization: String(organization), clientID: credentials.clientID, policy: policy(connect: false))
            let client = DineroClient(
                endpoint: DineroEndpoint(apiBaseURL: sandbox.baseURL, authBaseURL: sandbox.baseURL),
                credentials: credentials, organization: organization, http: http, limiter: limiter,
                afterAnswer: settings.afterAnswer)
            return TargetConnection(
                target: client,
                description:
                    "the built-in sandbox (\(sandbox.baseURL), organization \(organization), books in \(settings.sandboxData))",
                owned: owned ? transport : nil)
        }
        var values = settings.environment
        if let file = settings.credentialsFile {
            values.merge(try Credentials.read(file)) { _, fromFile in fromFile }
        }
        guard let organization = settings.organization ?? values["DINERO_ORGANIZATION_ID"].flatMap({ Int($0) }) else {
            throw ConnectionError("name the organization: --org ID or DINERO_ORGANIZATION_ID (the firmaID in Dinero)")
        }
        let apiURL = settings.apiURL ?? values["DINERO_API_URL"] ?? "https://api.dinero.dk"
        let auth: any AccessTokenProvider
        let connect = settings.auth == "connect"
        var description = "Dinero at \(apiURL), organization \(organization)"
        if connect, let connectSettings = settings.connect {
            auth = ConnectTokenProvider(
                settings: connectSettings, store: TokenStore(path: settings.tokenStore), http: http,
                drill: settings.refreshDrill)
            description += ", signed in through Visma Connect"
        } else {
            func required(_ name: String) throws -> String {
                guard let value = values[name], !value.isEmpty else {
                    throw ConnectionError(
                        "\(name) is not set. Give the personal integration's client id, secret and API key as DINERO_CLIENT_ID, DINERO_CLIENT_SECRET and DINERO_API_KEY, in the environment or in --credentials FILE (mode 0600)."
                    )
                }
                return value
            }
            let credentials = PersonalCredentials(
                clientID: try required("DINERO_CLIENT_ID"), clientSecret: try required("DINERO_CLIENT_SECRET"),
                apiKey: try required("DINERO_API_KEY"))
            auth = PersonalTokenProvider(
                credentials: credentials,
                authBaseURL: settings.authURL ?? values["DINERO_AUTH_URL"] ?? "https://authz.dinero.dk", http: http)
        }
        let limiter = await transport.limiters.limiter(
            organization: String(organization), clientID: auth.clientID, policy: policy(connect: connect))
        let client = DineroClient(
            apiBaseURL: apiURL, auth: auth, organization: organization, http: http, limiter: limiter,
            afterAnswer: settings.afterAnswer)
        return TargetConnection(target: client, description: description, owned: owned ? transport : nil)
    }

    /// Closes the transport if this connection owns it.
    public func close() async {
        await owned?.close()
    }
}

/// What connections in one process share: the HTTP client, the rate limiters and the built-in
/// sandbox, started on first use.
public final class SharedTransport: Sendable {
    public let http = HTTPClient(eventLoopGroupProvider: .singleton)
    public let limiters = RateLimiters()
    let embedded: EmbeddedSandbox?
    /// One start per data folder: a second caller awaits the first one's start.
    private let sandboxes = Mutex<[String: Task<RunningSandbox, any Error>]>([:])

    public init(sandbox: EmbeddedSandbox?) {
        embedded = sandbox
    }

    /// The built-in sandbox keeping its books in `data`; one per folder, started on first use.
    func sandbox(data: String) async throws -> RunningSandbox {
        guard let embedded else { throw ConnectionError("this build has no built-in sandbox") }
        let start = sandboxes.withLock { sandboxes in
            if let started = sandboxes[data] { return started }
            let task = Task { try await embedded.start(data) }
            sandboxes[data] = task
            return task
        }
        return try await start.value
    }

    public func close() async {
        try? await http.shutdown()
        for start in sandboxes.withLock({ Array($0.values) }) {
            if let server = try? await start.value { await server.stop() }
        }
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

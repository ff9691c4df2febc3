public import AsyncHTTPClient
import Foundation
public import LedgerModel
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
        if settings.target == "sandbox" {
            guard let embedded = transport.embedded else {
                throw ConnectionError("this build has no built-in sandbox; name a --target")
            }
            let sandbox = try await transport.sandbox(data: settings.sandboxData)
            let organization = settings.organization ?? embedded.organizationID
            var local = settings
            local.organization = organization
            local.apiURL = sandbox.baseURL
            local.authURL = sandbox.baseURL
            let (client, _) = try await DineroClient.open(
                local, http: transport.http, limiters: transport.limiters,
                personal: embedded.credentials(organization))
            return TargetConnection(
                target: client,
                description:
                    "the built-in sandbox (\(sandbox.baseURL), organization \(organization), books in \(settings.sandboxData))",
                owned: owned ? transport : nil)
        }
        guard let open = openers[settings.target] else {
            throw ConnectionError("unknown target '\(settings.target)'; use \(targets.joined(separator: " or "))")
        }
        let (target, description) = try await open(settings, transport.http, transport.limiters)
        return TargetConnection(target: target, description: description, owned: owned ? transport : nil)
    }

    /// Opens a target from settings, over a shared HTTP client and rate limiters; answers it
    /// and its description for people.
    public typealias Opener =
        @Sendable (TargetSettings, HTTPClient, RateLimiters) async throws -> (any Target, String)

    /// The accounting systems an import can book into, by the name `--target` and an inbox
    /// route give them. A new target adds its opener here.
    public static let openers: [String: Opener] = [
        "dinero": { settings, http, limiters in try await DineroClient.open(settings, http: http, limiters: limiters) }
    ]

    /// The names `--target` takes: the built-in sandbox, and every system of ``openers``.
    public static let targets = ["sandbox"] + openers.keys.sorted()

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

extension TargetConnection {
    /// Everything `reference pull` writes: the organization's chart, deposit accounts, VAT codes
    /// and years, and its contacts.
    public func referenceSnapshot() async throws(TargetError) -> ReferenceData {
        _ = try await target.checkAccess()
        var reference = try await target.referenceData()
        reference.contacts = try await target.contacts()
        return reference
    }
}

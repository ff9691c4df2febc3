public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
public import Sandbox
public import Targets

/// For tests: the Dinero sandbox on a loopback port, a real HTTP client, and Dinero clients for
/// its organization through the `Target` protocol.
public struct SandboxDinero: Sendable {
    public let server: SandboxServer
    public let http: HTTPClient
    public let organization = SandboxCredentials.organizationID

    /// Starts a sandbox (ledger items booked at the first status read unless `configure` says
    /// otherwise), runs `body`, and stops it however `body` ends.
    public static func with<T>(
        _ configure: (inout SandboxOptions) -> Void = { _ in }, _ body: (SandboxDinero) async throws -> T
    ) async throws -> T {
        var options = SandboxOptions()
        options.pendingStatusReads = 0
        configure(&options)
        let server = try await SandboxServer.start(options: options)
        let sandbox = SandboxDinero(server: server, http: HTTPClient(eventLoopGroupProvider: .singleton))
        do {
            let value = try await body(sandbox)
            try await sandbox.http.shutdown()
            await server.stop()
            return value
        } catch {
            try? await sandbox.http.shutdown()
            await server.stop()
            throw error
        }
    }

    /// A client for the organization with a limiter of its own; other credentials than the
    /// sandbox's own with `secret`.
    public func client(
        _ policy: RateLimitPolicy = RateLimitPolicy(limit: 1000, window: .fixed(60)), secret: String? = nil
    ) -> DineroClient {
        DineroClient(
            endpoint: DineroEndpoint(apiBaseURL: server.baseURL, authBaseURL: server.baseURL),
            credentials: PersonalCredentials(
                clientID: SandboxCredentials.personalClientID,
                clientSecret: secret ?? SandboxCredentials.personalClientSecret,
                apiKey: secret ?? SandboxCredentials.apiKey),
            organization: organization, http: http, limiter: RateLimiter(key: "test", policy: policy))
    }

    /// The documents of a kind the sandbox holds (`manualVouchers`, `purchaseVouchers`,
    /// `ledgerItems`), through its admin API.
    public func held(_ kind: String) async throws -> [[String: Any]] {
        let request = HTTPClientRequest(url: server.baseURL + "/_sandbox/organizations/\(organization)/documents")
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 24)
        let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
        return object?[kind] as? [[String: Any]] ?? []
    }
}

import AsyncHTTPClient
import Foundation
import LedgerModel
import Sandbox
import Synchronization
import Targets
import Validation

/// The Dinero an import talks to: the built-in sandbox (started here, nothing leaves the
/// machine), or a real or separately running Dinero named by URLs and credentials.
final class DineroConnection: Sendable {
    let client: DineroClient
    let description: String
    /// The transport, when this connection has it to itself and closes it.
    private let owned: SharedTransport?

    private init(client: DineroClient, description: String, owned: SharedTransport?) {
        self.client = client
        self.description = description
        self.owned = owned
    }

    struct Settings {
        var target: String
        var organization: Int?
        var apiURL: String?
        var authURL: String?
        var credentialsFile: String?
        var sandboxData: String
        var rateLimit: Int?
        var rateWindow: Double = 60
        /// Sign in with a personal integration's API key, or with the Visma Connect tokens of `auth login`.
        var auth = "personal"
        var connect: ConnectSettings?
        var tokenStore: String = ".ledgerlift/tokens.json"
    }

    /// `LEDGERLIFT_DRILL_EXIT_AT_REFRESH=answered|stored`: end the process when a Visma Connect
    /// refresh has been answered but not yet stored, or right after it was stored.
    static let refreshDrill: (@Sendable (String) -> Void)? = {
        guard let point = ProcessInfo.processInfo.environment["LEDGERLIFT_DRILL_EXIT_AT_REFRESH"] else { return nil }
        return { reached in if reached == point { exit(99) } }
    }()

    /// Fault drills for tests: `LEDGERLIFT_DRILL_EXIT_AFTER_CALLS=N` ends the process the moment
    /// the N-th API answer has arrived, before the state file hears of it (the crash exactly-once
    /// must survive); `LEDGERLIFT_DRILL_INTERRUPT_AFTER_CALLS=N` sends the process SIGINT then.
    static let drill: (@Sendable (Int) -> Void)? = {
        let environment = ProcessInfo.processInfo.environment
        let exitAfter = environment["LEDGERLIFT_DRILL_EXIT_AFTER_CALLS"].flatMap { Int($0) }
        let interruptAfter = environment["LEDGERLIFT_DRILL_INTERRUPT_AFTER_CALLS"].flatMap { Int($0) }
        guard exitAfter != nil || interruptAfter != nil else { return nil }
        return { calls in
            if let exitAfter, calls >= exitAfter { exit(99) }
            if let interruptAfter, calls == interruptAfter { kill(getpid(), SIGINT) }
        }
    }()

    /// A connection with a transport of its own, closed with it.
    static func open(_ settings: Settings) async throws -> DineroConnection {
        let transport = SharedTransport(rateWindow: settings.rateWindow)
        do {
            return try await open(settings, sharing: transport, owned: true)
        } catch {
            await transport.close()
            throw error
        }
    }

    /// A connection over a transport several share (an inbox's routes): one HTTP client, one
    /// rate limiter per organization and client id, one built-in sandbox.
    static func open(
        _ settings: Settings, sharing transport: SharedTransport, owned: Bool = false
    ) async throws
        -> DineroConnection
    {
        let http = transport.http
        let limiters = transport.limiters
        do {
            if settings.target == "sandbox" {
                let sandbox = try await transport.sandbox(data: settings.sandboxData)
                let organization = settings.organization ?? SandboxCredentials.organizationID
                let credentials = PersonalCredentials(
                    clientID: SandboxCredentials.personalClientID,
                    clientSecret: SandboxCredentials.personalClientSecret,
                    apiKey: organization == SandboxCredentials.basicOrganizationID
                        ? SandboxCredentials.basicAPIKey : SandboxCredentials.apiKey)
                let limiter = await limiters.limiter(
                    organization: String(organization), clientID: credentials.clientID, limit: settings.rateLimit ?? 60)
                let client = DineroClient(
                    endpoint: DineroEndpoint(apiBaseURL: sandbox.baseURL, authBaseURL: sandbox.baseURL),
                    credentials: credentials, organization: organization, http: http, limiter: limiter,
                    afterAnswer: drill)
                return DineroConnection(
                    client: client,
                    description:
                        "the built-in sandbox (\(sandbox.baseURL), organization \(organization), books in \(settings.sandboxData))",
                    owned: owned ? transport : nil)
            }
            let environment = ProcessInfo.processInfo.environment
            var values = environment
            if let file = settings.credentialsFile {
                values.merge(try Self.readCredentials(file)) { _, fromFile in fromFile }
            }
            guard let organization = settings.organization ?? values["DINERO_ORGANIZATION_ID"].flatMap({ Int($0) })
            else {
                throw ConnectionError(
                    "name the organization: --org ID or DINERO_ORGANIZATION_ID (the firmaID in Dinero)")
            }
            let apiURL = settings.apiURL ?? values["DINERO_API_URL"] ?? "https://api.dinero.dk"
            // Apps sign in through Visma Connect (100 requests a minute); personal integrations with an API key (60).
            let auth: any AccessTokenProvider
            let defaultLimit: Int
            var description = "Dinero at \(apiURL), organization \(organization)"
            if settings.auth == "connect", let connect = settings.connect {
                auth = ConnectTokenProvider(
                    settings: connect, store: TokenStore(path: settings.tokenStore), http: http, drill: refreshDrill)
                defaultLimit = 100
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
                defaultLimit = 60
            }
            let limiter = await limiters.limiter(
                organization: String(organization), clientID: auth.clientID, limit: settings.rateLimit ?? defaultLimit)
            let client = DineroClient(
                apiBaseURL: apiURL, auth: auth, organization: organization, http: http, limiter: limiter,
                afterAnswer: drill)
            return DineroConnection(client: client, description: description, owned: owned ? transport : nil)
        }
    }

    /// `KEY=value` lines. The file must not be readable by others: it holds secrets.
    static func readCredentials(_ path: String) throws -> [String: String] {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
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

    /// Closes the transport if this connection owns it.
    func close() async {
        await owned?.close()
    }

    /// The organization's chart as reference data for validation.
    static func reference(from chart: DineroChart, name: String) -> ReferenceData {
        func kind(_ category: String?) -> ReferenceData.AccountKind? {
            switch category?.lowercased() {
            case "income"?, "revenue"?, "sales"?: .sales
            case "expense"?, "expenses"?, "cost"?: .expense
            case "asset"?, "assets"?: .asset
            case "liability"?, "liabilities"?: .liability
            case "equity"?: .equity
            default: nil
            }
        }
        let accounts = chart.accounts.map {
            ReferenceData.Account(
                number: AccountNumber(integerLiteral: $0.number), name: $0.name, kind: kind($0.category),
                vat: $0.vatCode, hidden: $0.hidden)
        }
        let deposits = chart.depositAccounts.map {
            ReferenceData.Account(number: AccountNumber(integerLiteral: $0.number), name: $0.name, kind: .asset)
        }
        let years = chart.years.compactMap { year -> ReferenceData.AccountingYear? in
            guard let from = LocalDate(iso: year.from), let to = LocalDate(iso: year.to) else { return nil }
            return ReferenceData.AccountingYear(name: year.name, from: from, to: to)
        }
        return ReferenceData(
            organization: name, accounts: accounts, depositAccounts: deposits, years: years, vatCodes: chart.vatCodes)
    }
}

/// What connections in one process share: the HTTP client, the rate limiters and the built-in
/// sandbox, started on first use.
final class SharedTransport: Sendable {
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    let limiters: RateLimiters
    /// One start per data folder: a second caller awaits the first one's start.
    private let sandboxes = Mutex<[String: Task<SandboxServer, any Error>]>([:])

    init(rateWindow: Double = 60) {
        limiters = RateLimiters(window: rateWindow * 61 / 60)
    }

    /// The built-in sandbox keeping its books in `data`; one per folder, started on first use.
    func sandbox(data: String) async throws -> SandboxServer {
        let start = sandboxes.withLock { sandboxes in
            if let started = sandboxes[data] { return started }
            let task = Task {
                var options = SandboxOptions()
                options.dataDirectory = data
                return try await SandboxServer.start(options: options)
            }
            sandboxes[data] = task
            return task
        }
        return try await start.value
    }

    func close() async {
        try? await http.shutdown()
        for start in sandboxes.withLock({ Array($0.values) }) {
            if let server = try? await start.value { await server.stop() }
        }
    }
}

struct ConnectionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

import ArgumentParser
import Foundation
import LedgerModel
import Sandbox
import Validation

/// `ledgerlift sandbox`: the local Dinero emulator as a server, until interrupted.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the local Dinero emulator, with a ready test organization and its credentials.",
        discussion: """
            Nothing leaves this machine. The sandbox answers at the same paths as api.dinero.dk and
            authz.dinero.dk, so a client pointed at its base URL works as against Dinero.
            Faults can also be changed while it runs: PUT /_sandbox/faults (see docs/sandbox.md).
            """
    )

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port: Int = 8787

    @Option(help: "Address to listen on. Keep it on loopback: /_sandbox/ has no sign-in.")
    var host: String = "127.0.0.1"

    @Option(help: "Keep the sandbox's state in DIR/sandbox.sqlite across restarts (default: memory only).")
    var data: String?

    @Option(
        help: ArgumentHelp(
            "Seed organization 1000001 with this chart and these accounting years (a --reference file, as reference pull writes; years with closed: true refuse bookings) when its books are new.",
            valueName: "file"))
    var reference: String?

    @Option(help: "Requests a minute per organization and Visma Connect client.")
    var rateLimit: Int = 100

    @Option(help: "Requests a minute per organization for personal integrations (API key).")
    var personalRateLimit: Int = 60

    @Option(help: "Length of a rate-limit window in seconds (Dinero: 60); shorter for quick drills.")
    var rateWindow: Int = 60

    @Flag(help: "Send Retry-After with 429 answers (Dinero documents none).")
    var retryAfter = false

    @Option(help: "Status reads that still show PendingBooking after ledger items are booked.")
    var pendingStatusReads: Int = 1

    @Option(help: "Share of API requests (0…1) answered 500.")
    var failRate: Double = 0

    @Option(help: "Milliseconds to wait before answering each API request.")
    var latencyMs: Int = 0

    @Option(help: "Share of successful writes (0…1) committed and then answered by dropping the connection.")
    var dropAfterCommitRate: Double = 0

    @Option(help: "Share of requests to deprecated paths (0…1) answered 480 Brownout.")
    var brownoutRate: Double = 0

    @Option(help: "Seed for the fault dice, so runs with rates repeat.")
    var seed: UInt64 = 42

    @Flag(help: "Print the base URL and credentials as one JSON object.")
    var json = false

    @Flag(help: "Do not print each API request on stderr.")
    var quiet = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        for (name, value) in [
            ("--fail-rate", failRate), ("--drop-after-commit-rate", dropAfterCommitRate),
            ("--brownout-rate", brownoutRate),
        ] where !(0...1).contains(value) {
            throw ValidationError("\(name) must be between 0 and 1, not \(value)")
        }
        guard rateWindow > 0 else { throw ValidationError("--rate-window must be positive") }
        guard rateLimit > 0, personalRateLimit > 0 else { throw ValidationError("rate limits must be positive") }
        guard latencyMs >= 0, pendingStatusReads >= 0 else {
            throw ValidationError("--latency-ms and --pending-status-reads must be 0 or more")
        }
    }

    func run() async throws {
        var options = SandboxOptions()
        options.host = host
        options.port = port
        options.dataDirectory = data
        options.rateLimit = rateLimit
        options.personalRateLimit = personalRateLimit
        options.sendRetryAfter = retryAfter
        options.rateWindowSeconds = rateWindow
        options.pendingStatusReads = pendingStatusReads
        if let reference {
            do {
                options.chart = Self.chart(try ReferenceData.load(path: reference))
            } catch {
                Console.report(error.diagnostic)
                throw ExitStatus.usage
            }
        }
        if !quiet { options.requestObserver = { Console.err($0) } }
        options.faults = FaultSettings(
            failRate: failRate, latencyMilliseconds: latencyMs, dropAfterCommitRate: dropAfterCommitRate,
            brownoutRate: brownoutRate, seed: seed)
        let server: SandboxServer
        do {
            server = try await SandboxServer.start(options: options, stopOnInterrupt: true)
        } catch {
            Console.err("error: \(error)")
            throw ExitStatus.usage
        }
        Console.out(json ? banner(server).jsonLine : banner(server).text)
        try await server.waitUntilStopped()
    }

    /// Reference data as the sandbox's chart: its accounts (deposit accounts marked), and its
    /// years with whether each is closed.
    static func chart(_ reference: ReferenceData) -> SandboxChart {
        func account(_ account: ReferenceData.Account, deposit: Bool) -> SandboxChart.Account? {
            guard let number = Int(account.number.rawValue) else { return nil }
            return SandboxChart.Account(
                number: number, name: account.name, kind: account.kind?.rawValue, vatCode: account.vat,
                hidden: account.hidden ?? false, deposit: deposit)
        }
        // A deposit account may be listed among the accounts too: once, marked a deposit account.
        let all = reference.accounts.merging(reference.depositAccounts) { entry, _ in entry }
        let accounts = all.values.sorted { $0.number < $1.number }.compactMap {
            account($0, deposit: reference.depositAccounts[$0.number] != nil)
        }
        return SandboxChart(
            accounts: accounts,
            years: reference.years.map {
                SandboxChart.Year(
                    name: $0.name, from: ($0.from.year, $0.from.month, $0.from.day),
                    to: ($0.to.year, $0.to.month, $0.to.day), closed: $0.closed == true)
            },
            contacts: (reference.contacts ?? []).map {
                SandboxChart.Contact(
                    id: $0.id, name: $0.name, vatNumber: $0.vatNumber, externalReference: $0.externalReference,
                    country: $0.country)
            })
    }

    private func banner(_ server: SandboxServer) -> SandboxBanner {
        SandboxBanner(baseURL: server.baseURL, state: data.map { "\($0)/sandbox.sqlite" } ?? "memory")
    }
}

/// What `ledgerlift sandbox` prints when it is ready.
struct SandboxBanner {
    var baseURL: String
    var state: String

    var text: String {
        """
        Dinero sandbox listening on \(baseURL). Nothing leaves this machine.

          Organization      \(SandboxCredentials.organizationID)  Sandbox ApS (Pro)
                            \(SandboxCredentials.basicOrganizationID)  Sandbox Basis ApS (no Pro: API calls answer 403, code 90)
          Personal integration (API key flow)
            token endpoint  \(baseURL)/dineroapi/oauth/token
            client id       \(SandboxCredentials.personalClientID)
            client secret   \(SandboxCredentials.personalClientSecret)
            API key         \(SandboxCredentials.apiKey)
          Visma Connect (authorization code with PKCE)
            authorize       \(baseURL)/connect/authorize
            token endpoint  \(baseURL)/connect/token
            client id       \(SandboxCredentials.connectClientID)
            client secret   \(SandboxCredentials.connectClientSecret)
            redirect URIs   http://127.0.0.1:<any port>/callback, http://localhost:<any port>/callback
          API base URL      \(baseURL)  (e.g. GET \(baseURL)/v1/organizations)
          Admin             \(baseURL)/_sandbox  (documents, entries, faults; see docs/sandbox.md)
          State             \(state)

        These credentials open only this sandbox. Stop with Ctrl-C.
        """
    }

    var jsonLine: String {
        let fields: [String: String] = [
            "baseURL": baseURL, "organizationId": String(SandboxCredentials.organizationID),
            "basicOrganizationId": String(SandboxCredentials.basicOrganizationID),
            "clientId": SandboxCredentials.personalClientID, "clientSecret": SandboxCredentials.personalClientSecret,
            "apiKey": SandboxCredentials.apiKey, "connectClientId": SandboxCredentials.connectClientID,
            "connectClientSecret": SandboxCredentials.connectClientSecret, "state": state,
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(fields)) ?? Data(), as: UTF8.self)
    }
}

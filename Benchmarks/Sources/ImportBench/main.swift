// ImportBench: booking against the in-process sandbox, with Dinero's rate limit on a scaled
// window (a 1-second window stands for Dinero's minute, so a run of many windows takes seconds).
//
//   ImportBench ledger   [--documents 10000]          calls used vs the fewest possible
//   ImportBench vouchers [--documents 1000]           rate-budget use and 429s, receipts attached
//   ImportBench orgs     [--orgs 1,10,50] [--documents 60]   throughput as organizations are added
//
// Run from the repository root: swift run -c release --package-path Benchmarks ImportBench ledger

import AsyncHTTPClient
import Checkpoint
import Foundation
import LedgerModel
import Sandbox
import Submission
import Targets

struct Arguments {
    var mode = "ledger"
    var documents: Int?
    var orgs = [1, 10, 50]
    var limit = 100
    var window = 1.0

    init() {
        var arguments = CommandLine.arguments.dropFirst()
        if let first = arguments.first, !first.hasPrefix("--") { mode = first; arguments = arguments.dropFirst() }
        while let flag = arguments.popFirst() {
            let value = arguments.popFirst() ?? ""
            switch flag {
            case "--documents": documents = Int(value)
            case "--orgs": orgs = value.split(separator: ",").compactMap { Int($0) }
            case "--limit": limit = Int(value) ?? limit
            case "--window": window = Double(value) ?? window
            default: fatalError("unknown option \(flag)")
            }
        }
    }
}

/// Documents of the kinds the mission names, made in code.
enum Make {
    static let date = LocalDate(year: 2026, month: 3, day: 2)!

    static func money(_ øre: Int64) -> Money { Money(minorUnits: øre, currency: .dkk) }

    /// A day's sales: cash, card and MobilePay against sales with 25 % VAT.
    static func dailySales(_ index: Int) -> Document {
        let row = SourceRow(record: index + 1, line: index + 2)
        let cash = Int64(10_000 + index % 997 * 13)
        let card = Int64(50_000 + index % 991 * 29)
        let mobile = Int64(7_500 + index % 983 * 7)
        let lines = [
            DocumentLine(description: "Kontant", account: 5820, amount: money(cash), vat: VatSpec.none, row: row),
            DocumentLine(description: "Kort", account: 5810, amount: money(card), vat: VatSpec.none, row: row),
            DocumentLine(description: "MobilePay", account: 5830, amount: money(mobile), vat: VatSpec.none, row: row),
            DocumentLine(
                description: "Salg", account: 1000, amount: money(-(cash + card + mobile)), vat: .code("U25"), row: row),
        ]
        return Document(
            kind: .ledgerItem, reference: "bench-sales-\(index)", date: date.adding(days: index % 250), currency: .dkk,
            lines: lines, provenance: Provenance(file: "sales.csv", rows: [row]))
    }

    static func purchase(_ index: Int, receipt: String?, organization: Int = 0) -> Document {
        let row = SourceRow(record: index + 1, line: index + 2)
        return Document(
            kind: .purchaseVoucher, reference: "bench-purchase-\(organization)-\(index)", date: date, currency: .dkk,
            attachment: receipt, purchase: PurchaseTerms(payment: .cash, depositAccount: 5500, region: .denmark),
            lines: [
                DocumentLine(
                    description: "Kontorartikler \(index)", account: 2750, amount: money(12_500 + Int64(index)),
                    vat: .code("I25"), row: row)
            ], provenance: Provenance(file: "expenses.csv", rows: [row]))
    }
}

struct Outcome {
    var documents: Int
    var booked: Int
    var calls: Int
    var throttled: Int
    var seconds: Double
}

/// Books `documents` in one organization of a running sandbox; answers what it took.
func book(
    _ documents: [Document], organization: Int, sandbox: SandboxServer, http: HTTPClient, limiters: RateLimiters,
    limit: Int, window: TimeInterval, folder: String
) async throws -> Outcome {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let state = try StateFile(path: "\(folder)/\(organization).sqlite")
    let credentials = PersonalCredentials(
        clientID: SandboxCredentials.personalClientID, clientSecret: SandboxCredentials.personalClientSecret,
        apiKey: SandboxCredentials.apiKey(organization: organization))
    let limiter = await limiters.limiter(
        organization: String(organization), clientID: credentials.clientID,
        policy: RateLimitPolicy(limit: limit, window: .fixed(window)))
    let client = DineroClient(
        endpoint: DineroEndpoint(apiBaseURL: sandbox.baseURL, authBaseURL: sandbox.baseURL), credentials: credentials,
        organization: organization, http: http, limiter: limiter)
    // Stored as an import stores them: each in Dinero's words, once.
    try state.storeMapped(
        file: "bench",
        documents: try documents.enumerated().map {
            DocumentRecord(document: $1, wire: try client.preflight($1), sequence: $0)
        }, rows: [])
    var options = SubmissionOptions()
    options.pollInterval = 0.05
    let start = Date()
    _ = try await client.checkAccess()
    _ = try await client.chart()
    let (_, progress) = try await Submitter(target: client, state: state, options: options).run()
    return Outcome(
        documents: documents.count, booked: progress.booked, calls: await client.calls,
        throttled: await limiter.limited,
        seconds: Date().timeIntervalSince(start))
}

func run() async throws {
    let arguments = Arguments()
    var options = SandboxOptions()
    options.personalRateLimit = arguments.limit
    options.rateWindowSeconds = Int(arguments.window)
    options.extraOrganizations = max(0, (arguments.orgs.max() ?? 1) - 1)
    options.pendingStatusReads = arguments.mode == "ledger" ? 0 : 1
    let sandbox = try await SandboxServer.start(options: options)
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    let limiters = RateLimiters()
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("importbench-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let perWindow = "\(arguments.limit) requests per \(arguments.window) s window (Dinero: per 60 s)"
    let first = SandboxCredentials.organizationID
    func organizationID(_ index: Int) -> Int { index == 0 ? first : SandboxCredentials.basicOrganizationID + index }

    switch arguments.mode {
    case "ledger":
        let count = arguments.documents ?? 10_000
        let documents = (0..<count).map(Make.dailySales)
        var plan = CallPlan.dinero()
        documents.forEach { plan.add($0) }
        let outcome = try await book(
            documents, organization: first, sandbox: sandbox, http: http, limiters: limiters, limit: arguments.limit,
            window: arguments.window, folder: folder)
        print(
            "ledger items: \(outcome.booked)/\(count) booked in \(String(format: "%.1f", outcome.seconds)) s, \(perWindow)"
        )
        print(
            "calls: \(outcome.calls); fewest possible: \(plan.calls) (\(plan.description)); 429s: \(outcome.throttled)")
    case "vouchers":
        let count = arguments.documents ?? 1_000
        let receipt = folder + "/receipt.pdf"
        try Data("%PDF-1.4\n% ledgerlift benchmark receipt\n".utf8 + [UInt8](repeating: 0x20, count: 20_000))
            .write(to: URL(fileURLWithPath: receipt))
        let documents = (0..<count).map { Make.purchase($0, receipt: receipt) }
        let outcome = try await book(
            documents, organization: first, sandbox: sandbox, http: http, limiters: limiters, limit: arguments.limit,
            window: arguments.window, folder: folder)
        // The most a client may send in this time: a full window's allowance at the start, and
        // one more for every window that has begun since.
        let windows = (outcome.seconds / arguments.window).rounded(.down) + 1
        let use = Double(outcome.calls) / (windows * Double(arguments.limit)) * 100
        print(
            "purchase vouchers with receipts: \(outcome.booked)/\(count) booked in \(String(format: "%.1f", outcome.seconds)) s (\(Int(windows)) windows begun), \(perWindow)"
        )
        print(
            "calls: \(outcome.calls) (3 per voucher + 5); rate-budget use \(String(format: "%.1f", use)) %; 429s: \(outcome.throttled)"
        )
    case "orgs":
        let count = arguments.documents ?? 60
        for organizations in arguments.orgs {
            let start = Date()
            let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
                for index in 0..<organizations {
                    let id = organizationID(index)
                    let documents = (0..<count).map {
                        Make.purchase($0, receipt: nil, organization: id * 100 + organizations)
                    }
                    group.addTask {
                        try await book(
                            documents, organization: id, sandbox: sandbox, http: http, limiters: limiters,
                            limit: arguments.limit, window: arguments.window,
                            folder: folder + "/\(organizations)")
                    }
                }
                return try await group.reduce(into: [Outcome]()) { $0.append($1) }
            }
            let seconds = Date().timeIntervalSince(start)
            let booked = outcomes.reduce(0) { $0 + $1.booked }
            let calls = outcomes.reduce(0) { $0 + $1.calls }
            let throttled = outcomes.reduce(0) { $0 + $1.throttled }
            print(
                "\(organizations) organizations × \(count) vouchers: \(booked) booked in \(String(format: "%.1f", seconds)) s → \(String(format: "%.0f", Double(booked) / seconds)) documents/s, \(String(format: "%.0f", Double(calls) / seconds)) calls/s, 429s: \(throttled)"
            )
        }
    default:
        print("modes: ledger, vouchers, orgs")
    }
    try await http.shutdown()
    await sandbox.stop()
}

try await run()

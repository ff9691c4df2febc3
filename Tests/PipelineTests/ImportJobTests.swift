import Checkpoint
import Foundation
import LedgerModel
import Mapping
import Pipeline
import Reports
import Sandbox
import Submission
import Synchronization
import Targets
import TestSupport
import Testing
import Validation

/// The import job in this process, against the sandbox on a loopback port: no binary.
@Suite("The import job, in process")
struct ImportJobTests {
    /// The sandbox and a folder for the job.
    struct Bench {
        let sandbox: SandboxDinero
        let folder: String
        var statePath: String { folder + "/job.sqlite" }

        static func with<T>(_ body: (Bench) async throws -> T) async throws -> T {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("job-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            return try await SandboxDinero.with { sandbox in try await body(Bench(sandbox: sandbox, folder: folder)) }
        }

        /// A client for the sandbox's organization, with its own limiter of `policy`.
        func target(_ policy: RateLimitPolicy = RateLimitPolicy(limit: 1000, window: .fixed(60))) -> DineroClient {
            sandbox.client(policy)
        }

        func job(_ mapping: String, _ files: [String]) throws -> ImportJob {
            let session = try #require(MappingSession.load(mapping, sink: Collected()))
            var job = ImportJob(
                mapping: session, inputs: files.map { ImportJob.Input(path: $0, key: $0) }, targetName: "sandbox",
                statePath: statePath)
            job.validation.today = LocalDate(year: 2026, month: 12, day: 31)
            job.submission.pollInterval = 0
            return job
        }

        /// A mapping of `Date;Text;Account;Amount` rows to one ledger item each, against sales.
        func tinyMapping(currency: String = "DKK", document extra: String = "") throws -> String {
            let path = folder + "/tiny-\(currency)-\(extra.hashValue).yaml"
            try """
            version: 1
            name: tiny
            source:
              format: csv
              delimiter: ";"
            locale:
              decimal_mark: ","
              date_format: yyyy-mm-dd
              currency: \(currency)
            document:
              kind: ledger_item
              date: "{Date}"
            \(extra)
              lines:
                - description: "{Text}"
                  account: "{Account}"
                  balancing_account: 1000
                  amount: "{Amount}"
                  vat: none
                  balancing_vat: U25
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        /// How many documents of a kind the sandbox holds.
        func held(_ kind: String) async throws -> Int { try await sandbox.held(kind).count }
    }

    /// Problems kept for the test to read.
    final class Collected: ProblemSink {
        let lines = Mutex<[String]>([])
        var text: String { lines.withLock { $0.joined(separator: "\n") } }
        func report(_ diagnostic: Diagnostic) { lines.withLock { $0.append(diagnostic.description) } }
        func error(_ text: String) { lines.withLock { $0.append("error: " + text) } }
        func note(_ text: String) { lines.withLock { $0.append(text) } }
    }

    @Test("a job stopped after its first voucher resumes and books every voucher once")
    func resumed() async throws {
        try await Bench.with { bench in
            var job = try bench.job("mappings/expenses.yaml", ["samples/expenses.csv"])
            let booked = Atomic<Int>(0)
            job.submission.onProgress = { progress, _ in booked.store(progress.booked, ordering: .relaxed) }
            let first = try await job.run(target: bench.target(), sink: Collected()) {
                booked.load(ordering: .relaxed) >= 1
            }
            #expect(first.outcome == .resumeLater(at: nil))
            #expect(first.progress.booked == 1)
            let state = try #require(first.state)
            let open = try state.openCount()
            #expect(open > 0)

            let second = try await job.run(target: bench.target(), sink: Collected())
            #expect(second.outcome == .done)
            #expect(second.progress.booked == open)
            #expect(second.progress.adopted == 0)
            let rows = try JobReport.rows(from: state)
            let documents = Set(rows.filter { $0.status == .booked }.compactMap(\.reference))
            #expect(documents.count == open + 1)
            #expect(rows.filter { $0.status == .booked }.allSatisfy { $0.voucherNumber != nil })
            // Each voucher is at the target once, booked.
            #expect(try await bench.held("purchaseVouchers") == documents.count)
        }
    }

    @Test("a document left in `sending` (its answer lost) is looked up and taken over, not sent again")
    func sendingReconciled() async throws {
        try await Bench.with { bench in
            let job = try bench.job("mappings/daily-sales.yaml", ["samples/daily-sales.csv"])
            let first = try await job.run(target: bench.target(), sink: Collected())
            #expect(first.outcome == .done)
            let state = try #require(first.state)
            let before = try await bench.held("ledgerItems")
            // As after a crash between the create reaching Dinero and its answer being stored.
            var record = try #require(try state.documents().last)
            record.phase = .sending
            record.remoteID = nil
            record.remoteVersion = nil
            record.remoteNumber = nil
            try state.update([record])

            let second = try await job.run(target: bench.target(), sink: Collected())
            #expect(second.outcome == .done)
            #expect(second.progress.adopted == 1)
            #expect(second.calls == 2)  // the organization (its chart is cached) and one status look-up
            let reconciled = try #require(try state.documents().last)
            #expect(reconciled.phase == .booked)
            #expect(reconciled.remoteNumber != nil)
            #expect(try await bench.held("ledgerItems") == before)
        }
    }

    @Test("a batch the target refuses: the refused document is rejected with the target's reason, the rest booked")
    func rejectedBatch() async throws {
        try await Bench.with { bench in
            let mapping = try bench.tinyMapping()
            let file = bench.folder + "/sales.csv"
            try """
            Date;Text;Account;Amount
            2026-03-01;cash;5820;100,00
            2026-03-02;nowhere;4242;200,00
            2026-03-03;card;5810;300,00
            2026-03-04;mobile;5830;400,00

            """.write(toFile: file, atomically: true, encoding: .utf8)
            var job = try bench.job(mapping, [file])
            job.validation.enabled = false  // so the target, not validation, meets the unknown account
            let result = try await job.run(target: bench.target(), sink: Collected())
            #expect(result.progress.booked == 3)
            #expect(result.progress.rejected == 1)
            let state = try #require(result.state)
            let rows = try JobReport.rows(from: state)
            #expect(rows.map(\.status) == [.booked, .rejected, .booked, .booked])
            #expect(rows[1].code?.hasPrefix("D") == true || rows[1].code == "T400")
            #expect(rows[1].message?.contains("4242") == true)
            #expect(try await bench.held("ledgerItems") == 3)
        }
    }

    @Test(
        "a VAT model of zones and categories against Dinero stops the import at the start, in one message; plan takes it"
    )
    func vatModelForAnotherTarget() async throws {
        try await Bench.with { bench in
            var job = try bench.job("mappings/daily-sales.yaml", ["samples/daily-sales.csv"])
            job.validation.vatModel = "mappings/vat/vismanet-example.yaml"
            let sink = Collected()
            await #expect(throws: ValidationSetupError.self) {
                _ = try await job.run(target: bench.target(), sink: sink)
            }
            let said = sink.lines.withLock { $0 }
            #expect(said.filter { $0.contains("[V003]") }.count == 1)
            #expect(said.contains { $0.contains("Dinero takes VAT codes") })
            #expect(try await bench.held("ledgerItems") == 0)
            // plan names no target: it tries the mapping against either scheme's model.
            var plan = PlanJob(
                mapping: try #require(MappingSession.load("mappings/daily-sales.yaml", sink: sink)),
                files: ["samples/daily-sales.csv"])
            plan.validation.vatModel = "mappings/vat/vismanet-example.yaml"
            let planned = Collected()
            _ = try plan.run(sink: planned)
            #expect(!planned.text.contains("[V003]"))
        }
    }

    @Test(
        "rows in a closed year leave no drafts: each refused draft is removed and reported, and the year's other rows are not sent",
        arguments: [1, 100])
    func closedYear(batchSize: Int) async throws {
        try await Bench.with { bench in
            // The sandbox's organization has its books locked through 2025-12-31.
            let file = bench.folder + "/sales.csv"
            try """
            Date;Text;Account;Amount
            2025-06-01;june;5820;100,00
            2026-03-01;march;5820;200,00
            2025-07-01;july;5810;300,00
            2026-03-02;march;5830;400,00

            """.write(toFile: file, atomically: true, encoding: .utf8)
            var job = try bench.job(try bench.tinyMapping(), [file])
            job.submission.batchSize = batchSize
            let result = try await job.run(target: bench.target(), sink: Collected())
            let rows = try JobReport.rows(from: try #require(result.state))
            #expect(rows.map(\.status) == [.rejected, .booked, .rejected, .booked])
            #expect(rows[0].code == "D42")
            #expect(rows[0].message?.contains("accounting year 2025 is closed; the draft was removed") == true)
            #expect(rows[0].remoteID == nil)
            if batchSize == 1 {
                // Refused once, the year's next row is not sent at all.
                #expect(rows[2].message?.contains("not sent") == true)
            } else {
                #expect(rows[2].message?.contains("the draft was removed") == true)
            }
            let held = try await bench.sandbox.held("ledgerItems")
            #expect(held.count == 2)
            #expect(held.allSatisfy { ($0["Status"] as? String)?.lowercased() == "booked" })
            #expect(Report.summary(rows).draftsLeft == 0)
        }
    }

    @Test("a lock date rejects earlier rows before anything is sent")
    func lockDate() async throws {
        try await Bench.with { bench in
            let file = bench.folder + "/sales.csv"
            try "Date;Text;Account;Amount\n2026-02-28;feb;5820;100,00\n2026-03-01;march;5820;200,00\n"
                .write(toFile: file, atomically: true, encoding: .utf8)
            var job = try bench.job(try bench.tinyMapping(), [file])
            job.validation.lockedBefore = LocalDate(year: 2026, month: 3, day: 1)
            let result = try await job.run(target: bench.target(), sink: Collected())
            let rows = try JobReport.rows(from: try #require(result.state))
            #expect(rows.map(\.status) == [.rejected, .booked])
            #expect(rows[0].code == "V204")
            #expect(try await bench.held("ledgerItems") == 1)
        }
    }

    @Test("a mapping in euro against Dinero books nothing, and says why for every row")
    func foreignCurrency() async throws {
        try await Bench.with { bench in
            let file = bench.folder + "/sales.csv"
            try "Date;Text;Account;Amount\n2026-03-01;cash;5820;100,00\n2026-03-02;card;5810;200,00\n"
                .write(toFile: file, atomically: true, encoding: .utf8)
            let job = try bench.job(try bench.tinyMapping(currency: "EUR"), [file])
            let result = try await job.run(target: bench.target(), sink: Collected())
            #expect(result.progress.booked == 0)
            let rows = try JobReport.rows(from: try #require(result.state))
            #expect(rows.map(\.status) == [.rejected, .rejected])
            #expect(rows.allSatisfy { $0.code == "V106" && $0.message?.contains("in EUR") == true })
            #expect(try await bench.held("ledgerItems") == 0)
        }
    }

    @Test("a mapping in euro with an exchange rate books DKK amounts that balance, the euro amount in each line's text")
    func exchangeRate() async throws {
        try await Bench.with { bench in
            let file = bench.folder + "/sales.csv"
            try "Date;Text;Account;Amount\n2026-03-01;cash;5820;100,00\n2026-03-02;card;5810;200,00\n"
                .write(toFile: file, atomically: true, encoding: .utf8)
            let mapping = try bench.tinyMapping(
                currency: "EUR", document: "  exchange_rate: { rate: 746.05, per: 100, round: half_even, to: DKK }")
            let job = try bench.job(mapping, [file])
            let result = try await job.run(target: bench.target(), sink: Collected())
            #expect(result.progress.booked == 2)
            #expect(try JobReport.rows(from: try #require(result.state)).allSatisfy { $0.status == .booked })
            let held = try await bench.sandbox.held("ledgerItems")
            #expect(held.count == 2)
            let lines = held.flatMap { $0["Lines"] as? [[String: Any]] ?? [] }
            let amounts = lines.compactMap { ($0["Amount"] as? NSNumber)?.decimalValue }.sorted()
            #expect(amounts == [Decimal(string: "746.05")!, Decimal(string: "1492.1")!])
            #expect(lines.allSatisfy { ($0["Description"] as? String)?.contains("EUR") == true })
        }
    }

    @Test(
        "a rate window further away than the policy waits: the job stops with when to resume, having sent nothing it must look up; the next run finishes"
    )
    func farWindow() async throws {
        try await Bench.with { bench in
            let job = try bench.job("mappings/daily-sales.yaml", ["samples/daily-sales.csv"])
            // Room for the five calls that read the organization; the create would wait a window
            // (61 s) for the next.
            var tight = RateLimitPolicy(limit: 5, window: .fixed(60))
            tight.maxWait = 5
            let before = Date()
            let first = try await job.run(target: bench.target(tight), sink: Collected())
            guard case .resumeLater(let at?) = first.outcome else {
                Issue.record("expected to stop with a time to resume, got \(first.outcome)")
                return
            }
            #expect(at > before.addingTimeInterval(55))
            #expect(at < Date().addingTimeInterval(62))
            let state = try #require(first.state)
            // The create never went out: its documents are pending, not `sending` to be looked up.
            let open = try state.openCount()
            #expect(open > 0)
            #expect(try state.phaseCounts() == [.pending: open])

            let target = bench.target()
            let second = try await job.run(target: target, sink: Collected())
            #expect(second.outcome == .done)
            #expect(try state.openCount() == 0)
            #expect(second.calls == 1 + 3)  // the organization (chart cached), then create, book, status
            #expect(try JobReport.rows(from: state).allSatisfy { $0.code == nil })
        }
    }

    @Test("the job refuses a state file of another job, and a file that changed since it was read")
    func wrongJob() async throws {
        try await Bench.with { bench in
            let copy = bench.folder + "/sales.csv"
            try FileManager.default.copyItem(atPath: "samples/daily-sales.csv", toPath: copy)
            let job = try bench.job("mappings/daily-sales.yaml", [copy])
            #expect(try await job.run(target: bench.target(), sink: Collected()).outcome == .done)
            let other = try bench.job("mappings/expenses.yaml", ["samples/expenses.csv"])
            let sink = Collected()
            #expect(try await other.run(target: bench.target(), sink: sink).outcome == .unusable)
            #expect(sink.text.contains("belongs to another job"))
            try Data("\n".utf8).append(toFile: copy)
            let changed = Collected()
            #expect(try await job.run(target: bench.target(), sink: changed).outcome == .unusable)
            #expect(changed.text.contains("changed since this job first read it"))
        }
    }
}

extension Data {
    func append(toFile path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: self)
    }
}

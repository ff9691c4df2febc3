import Foundation
import Sandbox
import Testing

/// An inbox whose routes book in the test's sandbox, and the `ledgerlift watch` runs on it.
struct InboxRun {
    let run: ImportRun
    let root: String

    /// Makes `INBOX/ledgerlift.yaml` with a route per (pattern, mapping), all to the test's sandbox.
    init(_ run: ImportRun, routes: [(String, String)], settle: Double = 0) throws {
        try self.init(run, routes: routes.map { ($0.0, $0.1, SandboxCredentials.organizationID) }, settle: settle)
    }

    /// Routes per (pattern, mapping, organization), each organization with its own API key file.
    init(_ run: ImportRun, routes: [(String, String, Int)], settle: Double = 0) throws {
        self.run = run
        root = run.folder + "/inbox"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var yaml = "version: 1\nsettle_seconds: \(settle)\npoll_seconds: 0.2\nretry_seconds: 1\nroutes:\n"
        for (pattern, mapping, organization) in routes {
            let credentials = run.folder + "/dinero-\(organization).env"
            var secrets = run.environment
            secrets["DINERO_API_KEY"] = SandboxCredentials.apiKey(organization: organization)
            let text = secrets.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "\n")
            _ = FileManager.default.createFile(
                atPath: credentials, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
            yaml += """
                  - match: "\(pattern)"
                    mapping: \(CLI.root.path)/\(mapping)
                    target: dinero
                    org: \(organization)
                    api_url: \(run.sandbox.baseURL)
                    auth_url: \(run.sandbox.baseURL)
                    credentials: \(credentials)

                """
        }
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: root + "/ledgerlift.yaml"))
    }

    /// Copies a sample (or writes bytes) into the inbox under `name`.
    func drop(_ sample: String, as name: String) throws {
        try FileManager.default.copyItem(atPath: CLI.root.path + "/" + sample, toPath: root + "/" + name)
    }

    func drop(bytes: Data, as name: String) throws {
        try bytes.write(to: URL(fileURLWithPath: root + "/" + name))
    }

    func once(_ extra: [String] = [], environment: [String: String] = [:]) async throws -> CLI.Result {
        try await CLI.run(["watch", root, "--once", "--today", "2026-11-22"] + extra, environment: environment)
    }

    func files(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + folder)) ?? []).filter {
            !$0.hasPrefix(".")
        }.sorted()
    }

    func text(_ path: String) throws -> String {
        try String(contentsOfFile: root + "/" + path, encoding: .utf8)
    }

    /// Waits (checking every 50 ms, at most `seconds`) until `condition` holds.
    func until(_ seconds: Double = 60, _ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }
}

/// A `ledgerlift watch` running as a service, in the background.
final class Daemon: @unchecked Sendable {
    let process = Process()
    let errURL: URL

    init(_ arguments: [String]) throws {
        process.executableURL = CLI.binary
        process.arguments = arguments
        process.currentDirectoryURL = CLI.root
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        process.environment = env
        errURL = FileManager.default.temporaryDirectory.appendingPathComponent("daemon-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let handle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var log: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// SIGTERM, then its exit status.
    func stop() async throws -> Int32 {
        process.terminate()
        let process = self.process
        return try await CLI.offThePool {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }
}

@Suite("ledgerlift watch: an inbox against the sandbox", .serialized)
struct WatchCommandTests {
    @Test("a corrupt file beside good ones: the good ones are booked, the corrupt one goes to failed/ with what to fix")
    func corruptBesideGood() async throws {
        try await ImportRun.with { run in
            let inbox = try InboxRun(
                run,
                routes: [("bank*.csv", "mappings/bank-statement.yaml"), ("sales*.csv", "mappings/daily-sales.yaml")])
            try inbox.drop("samples/bank-statement.csv", as: "bank-march.csv")
            try inbox.drop("samples/daily-sales.csv", as: "sales-week.csv")
            try inbox.drop(bytes: Data("Date;Text\n01-03-2026;no amount column\n".utf8), as: "bank-broken.csv")
            try inbox.drop(bytes: Data("hello".utf8), as: "notes.txt")
            let result = try await inbox.once(["--log-format", "json"])
            #expect(result.status == 2, "\(result.stderr)")
            #expect(
                inbox.files("done") == [
                    "bank-march.csv", "bank-march.report.csv", "bank-march.report.jsonl", "sales-week.csv",
                    "sales-week.report.csv", "sales-week.report.jsonl",
                ])
            #expect(
                inbox.files("failed") == ["bank-broken.csv", "bank-broken.error.txt", "notes.error.txt", "notes.txt"])
            #expect(inbox.files("processing").isEmpty)
            let error = try inbox.text("failed/bank-broken.error.txt")
            #expect(error.contains("no column \"Dato\""), "\(error)")
            #expect(error.contains("in bank-broken.csv;") && !error.contains("processing/"), "\(error)")
            #expect(error.contains("What to do: fix the file"))
            #expect(try inbox.text("failed/notes.error.txt").contains("no route"))
            let booked = try await run.bookedReferences()
            #expect(booked.count == 16 + 8)
            #expect(booked.values.allSatisfy { $0 == 1 })
            // The report names every row of the file, booked with its voucher number.
            let report = try inbox.text("done/bank-march.report.csv").split(separator: "\r\n")
            #expect(report.count == 17)
            #expect(report.dropFirst().allSatisfy { $0.hasPrefix("bank-march.csv@") && $0.contains(",booked,") })
            // JSON log lines, one object each, with no secret in them.
            for line in result.stderr.split(separator: "\n") {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object?["level"] != nil && object?["message"] != nil, "\(line)")
            }
            #expect(!result.stderr.contains(SandboxCredentials.apiKey))
            #expect(!result.stderr.contains(SandboxCredentials.personalClientSecret))
            #expect(result.stderr.contains("\"booked\":16"))
        }
    }

    @Test("several organizations in one inbox: each route books in its own organization, with its own state")
    func severalOrganizations() async throws {
        try await ImportRun.with({ $0.extraOrganizations = 1 }) { run in
            let other = SandboxCredentials.basicOrganizationID + 1
            let inbox = try InboxRun(
                run,
                routes: [
                    ("shop-*.csv", "mappings/daily-sales.yaml", SandboxCredentials.organizationID),
                    ("cafe-*.csv", "mappings/daily-sales.yaml", other),
                ])
            try inbox.drop("samples/daily-sales.csv", as: "shop-week.csv")
            try inbox.drop("samples/daily-sales.csv", as: "cafe-week.csv")
            let result = try await inbox.once()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try await run.bookedReferences().count == 8)
            let documents = try await run.admin("/organizations/\(other)/documents") as? [String: Any]
            let items = documents?["ledgerItems"] as? [[String: Any]] ?? []
            #expect(items.filter { $0["Status"] as? String == "Booked" }.count == 8)
            let states = try FileManager.default.contentsOfDirectory(atPath: inbox.root + "/.ledgerlift/state")
            #expect(states.filter { $0.hasSuffix(".sqlite") }.count == 2)
        }
    }

    @Test("a file still being written (*.part) is left alone until it is renamed")
    func stillBeingWritten() async throws {
        try await ImportRun.with { run in
            let inbox = try InboxRun(run, routes: [("*.csv", "mappings/daily-sales.yaml")])
            try inbox.drop("samples/daily-sales.csv", as: "sales.csv.part")
            var result = try await inbox.once()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(FileManager.default.fileExists(atPath: inbox.root + "/sales.csv.part"))
            #expect(inbox.files("done").isEmpty)
            #expect(try await run.bookedReferences().isEmpty)
            try FileManager.default.moveItem(atPath: inbox.root + "/sales.csv.part", toPath: inbox.root + "/sales.csv")
            result = try await inbox.once()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(inbox.files("done").contains("sales.csv"))
            #expect(try await run.bookedReferences().count == 8)
        }
    }

    @Test("a run killed while a file is in processing/: the next run takes it up and books each document once")
    func restartWhileProcessing() async throws {
        try await ImportRun.with { run in
            let inbox = try InboxRun(run, routes: [("exp*.csv", "mappings/expenses.yaml")])
            try inbox.drop("samples/expenses.csv", as: "expenses.csv")
            try FileManager.default.copyItem(
                atPath: CLI.root.path + "/samples/receipts", toPath: inbox.root + "/receipts")
            // The process ends the moment the 9th answer arrives, before the state file hears of it.
            var result = try await inbox.once(environment: ["LEDGERLIFT_DRILL_EXIT_AFTER_CALLS": "9"])
            #expect(result.status == 99)
            #expect(inbox.files("processing") == ["expenses.csv"])
            result = try await inbox.once()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(inbox.files("processing").isEmpty)
            #expect(inbox.files("done").contains("expenses.csv"))
            let booked = try await run.bookedReferences()
            #expect(booked.count == 7)
            #expect(booked.values.allSatisfy { $0 == 1 })
            // The three receipts were found beside the inbox file, not in processing/ (else their rows
            // would be rejected); one may have been uploaded twice around the crash.
            let files = try await run.admin("/organizations/\(SandboxCredentials.organizationID)/files") as? [Any]
            #expect((3...4).contains(files?.count ?? 0))
        }
    }

    @Test(
        "SIGINT mid-file finishes the call in flight, keeps the file in processing/ and exits 75; the next run ends it")
    func interrupted() async throws {
        try await ImportRun.with { run in
            let inbox = try InboxRun(run, routes: [("*.csv", "mappings/bank-statement.yaml")])
            try inbox.drop("samples/bank-statement.csv", as: "bank.csv")
            var result = try await inbox.once(environment: ["LEDGERLIFT_DRILL_INTERRUPT_AFTER_CALLS": "3"])
            #expect(result.status == 75, "\(result.stderr)")
            #expect(result.stderr.contains("stopping"))
            #expect(inbox.files("processing") == ["bank.csv"])
            result = try await inbox.once()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(inbox.files("done").contains("bank.report.csv"))
            let booked = try await run.bookedReferences()
            #expect(booked.count == 16)
            #expect(booked.values.allSatisfy { $0 == 1 })
        }
    }

    @Test("two watchers at once: the second exits 73 and says who holds the inbox")
    func twoWatchers() async throws {
        try await ImportRun.with { run in
            let inbox = try InboxRun(run, routes: [("*.csv", "mappings/daily-sales.yaml")])
            let daemon = try Daemon(["watch", inbox.root, "--today", "2026-11-22"])
            #expect(try await inbox.until { daemon.log.contains("watching") }, "\(daemon.log)")
            let second = try await inbox.once()
            #expect(second.status == 73)
            #expect(second.stderr.contains("another ledgerlift watch is working on"))
            #expect(second.stderr.contains("pid \(daemon.process.processIdentifier)"))
            #expect(try await daemon.stop() == 0)
            // A lock left by an ended run is no obstacle.
            #expect(try await inbox.once().status == 0)
        }
    }

    @Test("a file arriving while another is booked is taken next, without a restart")
    func arrivesDuringProcessing() async throws {
        try await ImportRun.with({ $0.faults.latencyMilliseconds = 40 }) { run in
            let inbox = try InboxRun(
                run, routes: [("exp*.csv", "mappings/expenses.yaml"), ("bank*.csv", "mappings/bank-statement.yaml")])
            try FileManager.default.copyItem(
                atPath: CLI.root.path + "/samples/receipts", toPath: inbox.root + "/receipts")
            let daemon = try Daemon(["watch", inbox.root, "--today", "2026-11-22", "--log-level", "debug"])
            #expect(try await inbox.until { daemon.log.contains("watching") }, "\(daemon.log)")
            try inbox.drop("samples/expenses.csv", as: "expenses.csv")
            #expect(try await inbox.until { inbox.files("processing") == ["expenses.csv"] }, "\(daemon.log)")
            try inbox.drop("samples/bank-statement.csv", as: "bank.csv")
            let both = try await inbox.until(120) {
                inbox.files("done").contains("expenses.report.csv") && inbox.files("done").contains("bank.report.csv")
            }
            #expect(both, "\(daemon.log)")
            #expect(try await daemon.stop() == 0)
            #expect(daemon.log.contains("stopping"))
            let booked = try await run.bookedReferences()
            #expect(booked.count == 7 + 16)
            #expect(booked.values.allSatisfy { $0 == 1 })
        }
    }

    @Test("the rejected rows come back in the source's format; fixed and dropped in again, only they are booked")
    func rejectedRowsDroppedBack() async throws {
        try await ImportRun.with { run in
            let inbox = try InboxRun(run, routes: [("bank*.csv", "mappings/bank-statement.yaml")])
            var bytes = try Data(contentsOf: CLI.root.appendingPathComponent("samples/bank-statement.csv"))
            // Row 3's amount is mistyped (Windows-1252 file: replace bytes, not text).
            let good = Data("\"-86,00\"".utf8)
            let bad = Data("\"-86,0O\"".utf8)
            let range = try #require(bytes.range(of: good))
            bytes.replaceSubrange(range, with: bad)
            try inbox.drop(bytes: bytes, as: "bank-march.csv")
            var result = try await inbox.once()
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains("M101"))
            #expect(!result.stderr.contains("86,0O"), "row values stay out of the log without --debug-data")
            #expect(inbox.files("done").contains("bank-march.rejected.csv"))
            let rejected = try Data(contentsOf: URL(fileURLWithPath: inbox.root + "/done/bank-march.rejected.csv"))
            let lines = rejected.split(separator: 0x0A)
            #expect(lines.count == 2)
            #expect(lines.last.map { Data($0).range(of: bad) != nil } == true)
            #expect(try await run.bookedReferences().count == 15)
            // Fixed with a new amount, and dropped in again.
            var fixed = rejected
            fixed.replaceSubrange(try #require(fixed.range(of: bad)), with: Data("\"-96,00\"".utf8))
            try inbox.drop(bytes: fixed, as: "bank-march-fixed.csv")
            result = try await inbox.once()
            #expect(result.status == 0, "\(result.stderr)")
            let booked = try await run.bookedReferences()
            #expect(booked.count == 16)
            #expect(booked.values.allSatisfy { $0 == 1 })
            // The very same file again books nothing and says so.
            try inbox.drop(bytes: fixed, as: "bank-march-fixed.csv")
            result = try await inbox.once()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("was taken before; nothing new was booked"))
            #expect(try await run.bookedReferences().count == 16)
        }
    }

    @Test("rejected rows that cannot be copied out (UTF-16): the file still goes to done/, its report lists them")
    func rejectedNotCopied() async throws {
        try await ImportRun.with { run in
            let inbox = try InboxRun(run, routes: [("sales*.csv", "mappings/daily-sales.yaml")])
            let original = try String(
                contentsOf: CLI.root.appendingPathComponent("samples/daily-sales.csv"), encoding: .utf8)
            let broken = original.replacingOccurrences(of: "\"1.200,00\"", with: "\"1.200,0O\"")
            #expect(broken != original)
            var utf16 = Data([0xFF, 0xFE])
            utf16.append(try #require(broken.drop { $0 == "\u{FEFF}" }.data(using: .utf16LittleEndian)))
            try inbox.drop(bytes: utf16, as: "sales-wide.csv")
            let result = try await inbox.once()
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains("the rejected rows were not copied out"))
            #expect(inbox.files("done") == ["sales-wide.csv", "sales-wide.report.csv", "sales-wide.report.jsonl"])
            #expect(inbox.files("processing").isEmpty)
            let hidden = try FileManager.default.contentsOfDirectory(atPath: inbox.root + "/done").filter {
                $0.hasPrefix(".")
            }
            #expect(hidden.isEmpty)
            #expect(try inbox.text("done/sales-wide.report.csv").contains(",rejected,"))
            #expect(try await run.bookedReferences().count == 7)
        }
    }

    @Test("an invalid configuration exits 2 naming the line; a mapping with errors leaves its files waiting")
    func badConfiguration() async throws {
        try await ImportRun.with { run in
            let inbox = try InboxRun(run, routes: [("*.csv", "mappings/daily-sales.yaml")])
            let path = inbox.root + "/ledgerlift.yaml"
            let good = try String(contentsOfFile: path, encoding: .utf8)
            try Data(good.replacingOccurrences(of: "settle_seconds", with: "settle").utf8).write(
                to: URL(fileURLWithPath: path))
            var result = try await inbox.once()
            #expect(result.status == 2)
            #expect(result.stderr.contains("ledgerlift.yaml:2: error: unknown key `settle`"), "\(result.stderr)")
            // A route whose mapping does not compile: the file is not the accountant's fault; it waits.
            let mapping = run.folder + "/broken.yaml"
            try Data("version: 1\nsource: {format: csv}\ndocument: {kind: nonsense}\n".utf8).write(
                to: URL(fileURLWithPath: mapping))
            try Data(good.replacingOccurrences(of: CLI.root.path + "/mappings/daily-sales.yaml", with: mapping).utf8)
                .write(to: URL(fileURLWithPath: path))
            try inbox.drop("samples/daily-sales.csv", as: "sales.csv")
            result = try await inbox.once()
            #expect(result.status == 2)
            #expect(result.stderr.contains("mapping \(mapping) has errors"), "\(result.stderr)")
            #expect(inbox.files("").contains("sales.csv"))
            #expect(inbox.files("failed").isEmpty)
        }
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Sandbox
import Testing

/// `ledgerlift import` run as a user runs it, against a sandbox started in this process, so the
/// test can steer its faults and read its books through the admin API.
struct ImportRun {
    let sandbox: SandboxServer
    let folder: String

    static func with<T>(
        _ configure: (inout SandboxOptions) -> Void = { _ in }, _ body: (ImportRun) async throws -> T
    ) async throws -> T {
        var options = SandboxOptions()
        options.personalRateLimit = 100_000
        configure(&options)
        let sandbox = try await SandboxServer.start(options: options)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            let value = try await body(ImportRun(sandbox: sandbox, folder: folder))
            await sandbox.stop()
            return value
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    var environment: [String: String] {
        [
            "DINERO_CLIENT_ID": SandboxCredentials.personalClientID,
            "DINERO_CLIENT_SECRET": SandboxCredentials.personalClientSecret,
            "DINERO_API_KEY": SandboxCredentials.apiKey,
        ]
    }

    /// Runs `ledgerlift import` with the job's state and report in the test's folder.
    func run(
        _ mapping: String, _ files: [String], extra: [String] = [], environment more: [String: String] = [:],
        org: Int = SandboxCredentials.organizationID, job: String = "job"
    ) async throws -> CLI.Result {
        try await CLI.run(
            ["import", mapping] + files + [
                "--target", "dinero", "--org", String(org), "--api-url", sandbox.baseURL, "--auth-url", sandbox.baseURL,
                "--state", folder + "/\(job).sqlite", "--report", folder + "/report", "--today", "2026-11-22",
            ] + extra,
            environment: environment.merging(more) { _, new in new })
    }

    func admin(_ path: String, method: HTTPMethod = .GET, json: String? = nil) async throws -> Any? {
        var request = HTTPClientRequest(url: sandbox.baseURL + "/_sandbox" + path)
        request.method = method
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        return try JSONSerialization.jsonObject(with: Data(body.readableBytesView))
    }

    /// The organization's documents at the sandbox, booked ones per reference.
    func bookedReferences() async throws -> [String: Int] {
        let documents =
            try await admin("/organizations/\(SandboxCredentials.organizationID)/documents") as? [String: Any]
        var counts: [String: Int] = [:]
        for kind in ["manualVouchers", "purchaseVouchers"] {
            for voucher in documents?[kind] as? [[String: Any]] ?? [] where voucher["Status"] as? String == "Booked" {
                counts[voucher["ExternalReference"] as? String ?? "?", default: 0] += 1
            }
        }
        for item in documents?["ledgerItems"] as? [[String: Any]] ?? [] where item["Status"] as? String == "Booked" {
            counts[item["Id"] as? String ?? "?", default: 0] += 1
        }
        return counts
    }

    func entries() async throws -> [[String: Any]] {
        try await admin("/organizations/\(SandboxCredentials.organizationID)/entries") as? [[String: Any]] ?? []
    }

    func reportRows() async throws -> [[String: Any]] {
        let directory = folder + "/report"
        let name = try #require(
            try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasSuffix(".jsonl") })
        let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}

func øreSum(_ entries: [[String: Any]]) -> Int64 {
    entries.reduce(Int64(0)) { sum, entry in
        sum + Int64((((entry["Amount"] as? NSNumber)?.doubleValue ?? 0) * 100).rounded())
    }
}

/// "…, 22 API calls" in the summary → 22.
func apiCalls(_ stdout: String) -> Int? {
    guard let line = stdout.split(separator: "\n").first(where: { $0.contains("API calls") }) else { return nil }
    return line.components(separatedBy: ", ").last?.split(separator: " ").first.flatMap { Int($0) }
}

@Suite("ledgerlift import against the sandbox", .serialized)
struct ImportCommandTests {
    static let samples: [(String, String, Int)] = [
        ("mappings/bank-statement.yaml", "samples/bank-statement.csv", 16),
        ("mappings/daily-sales.yaml", "samples/daily-sales.csv", 8),
        ("mappings/expenses.yaml", "samples/expenses.csv", 7),
        ("mappings/payroll.yaml", "samples/payroll.json", 1),
        ("mappings/journal.yaml", "samples/journal.xml", 5),
    ]

    @Test("every sample is booked, its entries balance, and a second run books nothing more", arguments: samples)
    func sample(_ mapping: String, _ file: String, _ documents: Int) async throws {
        try await ImportRun.with { job in
            let first = try await job.run(mapping, [file])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("not finished 0"))
            let booked = try await job.bookedReferences()
            #expect(booked.count == documents)
            #expect(booked.values.allSatisfy { $0 == 1 })
            #expect(øreSum(try await job.entries()) == 0)
            let rows = try await job.reportRows()
            #expect(!rows.isEmpty)
            #expect(rows.allSatisfy { ["booked", "skipped"].contains($0["status"] as? String) })
            #expect(rows.filter { $0["status"] as? String == "booked" }.allSatisfy { $0["voucher_number"] is Int })

            let entriesBefore = try await job.entries().count
            let second = try await job.run(mapping, [file])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("this run: 0 booked"))
            // Nothing to send, and the chart is cached: one call, to check the organization.
            #expect(apiCalls(second.stdout) == 1)
            #expect(try await job.entries().count == entriesBefore)
        }
    }

    @Test("answers lost after the sandbox committed: still every row booked once")
    func droppedAnswers() async throws {
        try await ImportRun.with({ $0.faults = FaultSettings(dropAfterCommitRate: 0.4, seed: 11) }) { job in
            for (mapping, file, _) in Self.samples {
                let name = (mapping as NSString).lastPathComponent
                var result = try await job.run(mapping, [file], job: name)
                var runs = 1
                while result.status == 75 && runs < 5 {
                    result = try await job.run(mapping, [file], job: name)
                    runs += 1
                }
                #expect(result.status == 0, "\(mapping): \(result.stderr)")
            }
            let booked = try await job.bookedReferences()
            #expect(booked.count == Self.samples.reduce(0) { $0 + $1.2 })
            #expect(booked.values.allSatisfy { $0 == 1 }, "\(booked.filter { $0.value > 1 })")
            #expect(øreSum(try await job.entries()) == 0)
            let log = try await job.admin("/requests") as? [[String: Any]] ?? []
            #expect(log.contains { $0["dropped"] as? Bool == true })
        }
    }

    @Test(
        "a crash right after any call, then a re-run: every document booked exactly once",
        arguments: [
            ("mappings/expenses.yaml", "samples/expenses.csv", 7),
            ("mappings/bank-statement.yaml", "samples/bank-statement.csv", 16),
        ])
    func crashAtEveryCall(_ mapping: String, _ file: String, _ documents: Int) async throws {
        // How many calls a clean run makes, in a sandbox of its own.
        let total = try await ImportRun.with { job in apiCalls(try await job.run(mapping, [file]).stdout) ?? 0 }
        #expect(total > 5)
        for crashAfter in 1...total {
            try await ImportRun.with { job in
                let crashed = try await job.run(
                    mapping, [file], environment: ["LEDGERLIFT_DRILL_EXIT_AFTER_CALLS": String(crashAfter)])
                #expect(crashed.status == 99, "crash after \(crashAfter): \(crashed.stderr)")
                let resumed = try await job.run(mapping, [file])
                #expect(resumed.status == 0, "crash after \(crashAfter): \(resumed.stderr)")
                let booked = try await job.bookedReferences()
                #expect(booked.count == documents, "crash after \(crashAfter)")
                #expect(booked.values.allSatisfy { $0 == 1 }, "crash after \(crashAfter): \(booked)")
                #expect(øreSum(try await job.entries()) == 0)
            }
        }
    }

    @Test("tokens that expire mid-run are renewed once and the run goes on")
    func tokenExpiry() async throws {
        try await ImportRun.with({ $0.faults = FaultSettings(expireTokensEvery: 4) }) { job in
            let result = try await job.run("mappings/expenses.yaml", ["samples/expenses.csv"])
            #expect(result.status == 0, "\(result.stderr)")
            let log = try await job.admin("/requests") as? [[String: Any]] ?? []
            #expect(log.filter { $0["status"] as? Int == 401 }.count >= 4)
            #expect(try await job.bookedReferences().count == 7)
        }
    }

    @Test("Ctrl-C finishes the call in flight, saves the state and exits 75; the next run finishes")
    func interrupt() async throws {
        try await ImportRun.with { job in
            let stopped = try await job.run(
                "mappings/expenses.yaml", ["samples/expenses.csv"],
                environment: ["LEDGERLIFT_DRILL_INTERRUPT_AFTER_CALLS": "9"])
            #expect(stopped.status == 75, "\(stopped.stderr)")
            #expect(stopped.stderr.contains("run the same command again to resume"))
            #expect(try await job.bookedReferences().count < 7)
            let resumed = try await job.run("mappings/expenses.yaml", ["samples/expenses.csv"])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            let booked = try await job.bookedReferences()
            #expect(booked.count == 7)
            #expect(booked.values.allSatisfy { $0 == 1 })
        }
    }

    @Test("plan counts the calls an import makes: the fewest the contract allows")
    func plannedCalls() async throws {
        try await ImportRun.with { job in
            let plan = try await CLI.run(["plan", "mappings/expenses.yaml", "samples/expenses.csv"])
            #expect(plan.stdout.contains("booking in Dinero: 22 calls at least"))
            let result = try await job.run("mappings/expenses.yaml", ["samples/expenses.csv"])
            #expect(apiCalls(result.stdout) == 22)
            let ledger = try await CLI.run([
                "plan", "mappings/bank-statement.yaml", "samples/bank-statement.csv", "--json",
            ])
            let json = try JSONSerialization.jsonObject(with: Data(ledger.stdout.utf8)) as? [String: Any]
            let calls = json?["dineroCalls"] as? [String: Any]
            #expect(calls?["ledgerItems"] as? Int == 16)
        }
    }

    @Test("status tells a stopped job from a finished one")
    func status() async throws {
        try await ImportRun.with { job in
            let crashed = try await job.run(
                "mappings/bank-statement.yaml", ["samples/bank-statement.csv"],
                environment: ["LEDGERLIFT_DRILL_EXIT_AFTER_CALLS": "7"])
            #expect(crashed.status == 99)
            let stopped = try await CLI.run(["status", job.folder + "/job.sqlite"])
            #expect(stopped.status == 0)
            #expect(stopped.stdout.contains("not finished: run the same import again"))
            #expect(try await job.run("mappings/bank-statement.yaml", ["samples/bank-statement.csv"]).status == 0)
            let done = try await CLI.run(["status", job.folder + "/job.sqlite", "--json"])
            let summary = try JSONSerialization.jsonObject(with: Data(done.stdout.utf8)) as? [String: Any]
            #expect((summary?["documents"] as? [String: Int]) == ["booked": 16])
            #expect((summary?["rows"] as? [String: Int])?["booked"] == 16)
        }
    }

    @Test("more ledger items than Dinero's ledger holds (1000) go through a batch at a time")
    func manyLedgerItems() async throws {
        try await ImportRun.with { job in
            let sample = try String(
                contentsOfFile: CLI.root.path + "/samples/bank-statement.csv", encoding: .windowsCP1252)
            var lines = sample.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            let header = lines.removeFirst()
            let big = job.folder + "/big.csv"
            let body = (0..<70).flatMap { _ in lines }.joined(separator: "\r\n")
            try Data((header + "\r\n" + body + "\r\n").data(using: .windowsCP1252)!).write(
                to: URL(fileURLWithPath: big))
            let result = try await job.run("mappings/bank-statement.yaml", [big])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try await job.bookedReferences().count == lines.count * 70)
            #expect(apiCalls(result.stdout) == 5 + 12 * 3 + 12)
        }
    }

    @Test("two runs of one job never overlap: the second exits 73 and says who holds it")
    func lock() async throws {
        try await ImportRun.with({ $0.faults = FaultSettings(latencyMilliseconds: 150) }) { job in
            async let first = job.run("mappings/expenses.yaml", ["samples/expenses.csv"])
            // The first run holds the lock from its start; wait until it has written who it is.
            let lockFile = job.folder + "/job.sqlite.lock"
            while (try? String(contentsOfFile: lockFile, encoding: .utf8))?.contains("pid") != true {
                await Task.yield()
            }
            let second = try await job.run("mappings/expenses.yaml", ["samples/expenses.csv"])
            #expect(second.status == 73)
            #expect(second.stderr.contains("another ledgerlift run is working on this job"))
            #expect(try await first.status == 0)
            // A run that was killed leaves its lock file behind, but not its lock.
            let crashed = try await job.run(
                "mappings/bank-statement.yaml", ["samples/bank-statement.csv"],
                environment: ["LEDGERLIFT_DRILL_EXIT_AFTER_CALLS": "3"], job: "other")
            #expect(crashed.status == 99)
            #expect(FileManager.default.fileExists(atPath: job.folder + "/other.sqlite.lock"))
            #expect(
                try await job.run("mappings/bank-statement.yaml", ["samples/bank-statement.csv"], job: "other").status
                    == 0)
        }
    }

    @Test("a source file that changed since the job read it is refused")
    func changedFile() async throws {
        try await ImportRun.with { job in
            let copy = job.folder + "/bank.csv"
            try FileManager.default.copyItem(atPath: CLI.root.path + "/samples/bank-statement.csv", toPath: copy)
            #expect(try await job.run("mappings/bank-statement.yaml", [copy]).status == 0)
            let handle = try #require(FileHandle(forWritingAtPath: copy))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("\r\n".utf8))
            try handle.close()
            let again = try await job.run("mappings/bank-statement.yaml", [copy])
            #expect(again.status == 2)
            #expect(again.stderr.contains("changed since this job first read it"))
            #expect(again.stderr.contains("--restart"))
        }
    }

    @Test("wrong credentials and an organization without Pro stop before anything is sent (exit 3)")
    func refusedTarget() async throws {
        try await ImportRun.with { job in
            let wrongKey = try await job.run(
                "mappings/bank-statement.yaml", ["samples/bank-statement.csv"],
                environment: ["DINERO_API_KEY": "not-the-key"])
            #expect(wrongKey.status == 3)
            #expect(wrongKey.stderr.contains("API key was refused"))
            #expect(!wrongKey.stderr.contains("not-the-key"))
            let basic = try await job.run(
                "mappings/bank-statement.yaml", ["samples/bank-statement.csv"],
                environment: ["DINERO_API_KEY": SandboxCredentials.basicAPIKey],
                org: SandboxCredentials.basicOrganizationID)
            #expect(basic.status == 3)
            #expect(basic.stderr.contains("Pro"))
            #expect(try await job.entries().isEmpty)
        }
    }

    @Test("a 429 storm: the client waits out each window and books everything once")
    func rateLimitStorm() async throws {
        try await ImportRun.with({
            $0.personalRateLimit = 8
            $0.rateWindowSeconds = 1
            $0.sendRetryAfter = true
        }) { job in
            let result = try await job.run(
                "mappings/expenses.yaml", ["samples/expenses.csv"], extra: ["--rate-limit", "1000"])
            #expect(result.status == 0, "\(result.stderr)")
            let log = try await job.admin("/requests") as? [[String: Any]] ?? []
            #expect(log.contains { $0["status"] as? Int == 429 })
            let booked = try await job.bookedReferences()
            #expect(booked.count == 7)
            #expect(booked.values.allSatisfy { $0 == 1 })
        }
    }

    @Test("paced by its own limiter, a run sees no 429 at all")
    func steadyState() async throws {
        try await ImportRun.with({
            $0.personalRateLimit = 8
            $0.rateWindowSeconds = 1
        }) { job in
            let result = try await job.run(
                "mappings/expenses.yaml", ["samples/expenses.csv"], extra: ["--rate-limit", "6", "--rate-window", "1"])
            #expect(result.status == 0, "\(result.stderr)")
            let log = try await job.admin("/requests") as? [[String: Any]] ?? []
            // 6 a second against a limit of 8: room for requests that travel at different speeds.
            #expect(!log.contains { $0["status"] as? Int == 429 })
            #expect(log.count >= 22)
        }
    }

    @Test("failing reads are retried and failing writes settled, with nothing booked twice")
    func serverErrors() async throws {
        try await ImportRun.with({ $0.faults = FaultSettings(failRate: 0.2, seed: 5) }) { job in
            var result = try await job.run("mappings/expenses.yaml", ["samples/expenses.csv"])
            var runs = 1
            while result.status != 0 && runs < 6 {
                result = try await job.run("mappings/expenses.yaml", ["samples/expenses.csv"])
                runs += 1
            }
            #expect(result.status == 0, "\(result.stderr)")
            let booked = try await job.bookedReferences()
            #expect(booked.count == 7)
            #expect(booked.values.allSatisfy { $0 == 1 })
        }
    }
}

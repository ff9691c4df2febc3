import Foundation
import Testing

@Suite("ledgerlift check and plan (built binary)")
struct MappingCommandTests {
    static let samples = [
        ("bank-statement.yaml", "bank-statement.csv"), ("daily-sales.yaml", "daily-sales.csv"),
        ("expenses.yaml", "expenses.csv"), ("payroll.yaml", "payroll.json"), ("journal.yaml", "journal.xml"),
    ]

    @Test("every sample checks and plans cleanly", arguments: Self.samples)
    func cleanSamples(mapping: String, sample: String) async throws {
        let check = try await CLI.run(["check", "mappings/\(mapping)", "samples/\(sample)"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("0 rows rejected"))
        let plan = try await CLI.run(["plan", "mappings/\(mapping)", "samples/\(sample)"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("totals per account:"))
        #expect(plan.stdout.contains("0 rows rejected"))
    }

    @Test("check reports every mapping error in the compiler style and exits 2")
    func checkErrors() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ll-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let mapping = directory.appendingPathComponent("bad.yaml")
        try Data(
            """
            version: 1
            document:
              kind: ledger_itme
              date: "{Dato}"
              lines:
                - account: 1000
                  amount: { summ: [1] }
            """.utf8
        ).write(to: mapping)
        let result = try await CLI.run(["check", mapping.path])
        #expect(result.status == 2)
        #expect(
            result.stderr.contains(
                "bad.yaml:3:9: error: [M009] `document.kind` cannot be `ledger_itme`; did you mean `ledger_item`?"))
        #expect(result.stderr.contains("bad.yaml:7:17: error: [M006] unknown function `summ`"))
        #expect(result.stderr.contains("2 errors; the mapping was not used"))
    }

    @Test("check with a file: unknown columns are errors at the mapping's line")
    func checkColumns() async throws {
        let result = try await CLI.run([
            "check", "mappings/bank-statement.yaml", "samples/daily-sales.csv", "--encoding", "utf-8",
        ])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bank-statement.yaml:"))
        #expect(result.stderr.contains("[M007] no column \"Tekst\""))
    }

    @Test("plan: rows that fail mapping are listed with the reason and exit 1")
    func planFailures() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ll-plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("bank.csv")
        try Data("Dato;Tekst;Beløb\n01-03-2026;Renter;1,27\n32-03-2026;Renter;1,00\n".utf8).write(to: data)
        let result = try await CLI.run(["plan", "mappings/bank-statement.yaml", data.path, "--encoding", "utf-8"])
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("bank.csv:3 [field Dato]: error: [M102]")
                || result.stderr.contains("bank.csv:3: error: [M102]"))
        #expect(result.stdout.contains("rejected rows (1):"))
        #expect(result.stdout.contains("1 ledger item with 1 line"))
    }

    @Test("plan gives the same documents, references and totals on one worker and on several")
    func planWorkers() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ll-workers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Enough rows for many batches, with repeats, zero amounts, bad rows and unknown VAT codes.
        var text = "Dato;Tekst;Beløb;Saldo;Valuta;Bilagsnr.\n"
        for row in 0..<3_000 {
            let day = String(format: "%02d", row % 28 + 1)
            let tekst = ["Renter", "Husleje marts", "Netto Østerbro", "Kaffe", "Løn marts"][row % 5]
            let amount = row % 11 == 0 ? "0,00" : row % 97 == 5 ? "tolv" : "-\(row % 50 + 1),\(row % 9)0"
            text += "\(day)-03-2026;\(tekst);\(amount);0;DKK;\(row)\n"
        }
        let data = directory.appendingPathComponent("bank.csv")
        try Data(text.utf8).write(to: data)
        let arguments = [
            "plan", "--jsonl", "mappings/bank-statement.yaml", data.path, "--encoding", "utf-8", "--today",
            "2026-03-31",
        ]
        let one = try await CLI.run(arguments + ["--workers", "1"])
        let three = try await CLI.run(arguments + ["--workers", "3"])
        #expect(one.status == 1)
        #expect(one.stdout.split(separator: "\n").count > 2_500)
        #expect(one.stdout.contains("\"type\":\"rejected\""))
        #expect(three.status == one.status)
        #expect(three.stdout == one.stdout)

        let none = try await CLI.run(arguments + ["--workers", "0"])
        #expect(none.status == 64 || none.status == 2)
        #expect(none.stderr.contains("--workers must be 1 or more"))
    }

    @Test("plan of the same statement twice in one run rejects every document of the second as a duplicate")
    func planSameFileTwice() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ll-twice-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = directory.appendingPathComponent("march.csv")
        let again = directory.appendingPathComponent("march-again.csv")
        try FileManager.default.copyItem(atPath: "samples/bank-statement.csv", toPath: first.path)
        try FileManager.default.copyItem(atPath: "samples/bank-statement.csv", toPath: again.path)
        let result = try await CLI.run([
            "plan", "--jsonl", "mappings/bank-statement.yaml", first.path, again.path, "--today", "2026-12-31",
        ])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n")
        let firstDocuments = lines.filter { $0.contains("\"type\":\"document\"") && $0.contains("march.csv") }
        let duplicates = lines.filter { $0.contains("\"type\":\"rejected\"") && $0.contains("V501") }
        #expect(firstDocuments.count > 5)
        #expect(duplicates.count == firstDocuments.count)
        #expect(duplicates.allSatisfy { $0.contains("march-again.csv") && $0.contains("march.csv:") })
    }

    @Test("plan --json and --jsonl carry documents with provenance")
    func planJSON() async throws {
        let json = try await CLI.run(["plan", "--json", "mappings/journal.yaml", "samples/journal.xml"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["documentCount"] as? Int == 5)
        let documents = try #require(object["documents"] as? [[String: Any]])
        #expect(documents.first?["reference"] as? String == "saft-T-0001")
        let provenance = try #require(documents.first?["provenance"] as? [String: Any])
        #expect((provenance["file"] as? String)?.hasSuffix("journal.xml") == true)

        let lines = try await CLI.run(["plan", "--jsonl", "mappings/daily-sales.yaml", "samples/daily-sales.csv"])
        #expect(lines.status == 0)
        let objects = try lines.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.filter { $0["type"] as? String == "document" }.count == 8)
        #expect(objects.filter { $0["type"] as? String == "skipped" }.count == 1)
        #expect(objects.last?["type"] as? String == "summary")
    }
}

@Suite("plan output stays readable")
struct PlanFloodTests {
    @Test("row problems on stderr are capped, with the count of the rest")
    func capped() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ll-flood-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var text = "Dato;Tekst;Beløb\n"
        for _ in 0..<120 { text += "99-99-2026;Renter;1,00\n" }
        let data = directory.appendingPathComponent("bad.csv")
        try Data(text.utf8).write(to: data)
        let result = try await CLI.run([
            "plan", "mappings/bank-statement.yaml", data.path, "--encoding", "utf-8", "--max-problems", "10",
        ])
        #expect(result.status == 1)
        let shown = result.stderr.split(separator: "\n").filter { $0.contains("[M102]") }
        #expect(shown.count == 10)
        #expect(result.stderr.contains("… and 110 more row problems"))
        #expect(result.stdout.contains("rejected rows (120):"))
    }
}

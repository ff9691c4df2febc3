import Foundation
import Testing

@Suite("validation in check and plan (built binary)")
struct ValidationCommandTests {
    /// The bank sample (Windows-1252) with its first row's date moved into the closed year 2025.
    static func badStatement() throws -> String {
        var bytes = try Data(contentsOf: CLI.root.appendingPathComponent("samples/bank-statement.csv"))
        let range = try #require(bytes.range(of: Data("01-03-2026;Overf".utf8)))
        bytes.replaceSubrange(range, with: Data("01-03-2025;Overf".utf8))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bank-\(UUID()).csv").path
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a mapping's validation: section applies when the command line says nothing")
    func mappingSettings() async throws {
        let file = try Self.badStatement()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mappings-\(UUID())").path
        defer {
            try? FileManager.default.removeItem(atPath: file)
            try? FileManager.default.removeItem(atPath: folder)
        }
        try FileManager.default.copyItem(atPath: CLI.root.path + "/mappings", toPath: folder)
        let mapping = folder + "/bank-statement.yaml"
        let text = try String(contentsOfFile: mapping, encoding: .utf8)
        try (text + "\nvalidation:\n  reference: reference/example-org.yaml\n  future_days: 30\n").write(
            toFile: mapping, atomically: true, encoding: .utf8)
        let result = try await CLI.run(["plan", mapping, file, "--today", "2026-11-22"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("[V203]"))
        #expect(!result.stderr.contains("[V001]"))
        let flagWins = try await CLI.run(["plan", mapping, file, "--today", "2026-11-22", "--no-validate"])
        #expect(flagWins.status == 0)
    }

    @Test("plan rejects a document in a closed year with V203 and exits 1; without reference data it warns V001")
    func closedYear() async throws {
        let file = try Self.badStatement()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try await CLI.run([
            "plan", "mappings/bank-statement.yaml", file, "--reference", "mappings/reference/example-org.yaml",
            "--today", "2026-11-22",
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: [V203] the accounting year 2025 is closed; 2025-03-01 is in it"))
        #expect(result.stdout.contains("1 rows rejected") || result.stdout.contains("1 row rejected"))
        let unchecked = try await CLI.run(["plan", "mappings/bank-statement.yaml", file, "--today", "2026-11-22"])
        #expect(unchecked.status == 0)
        #expect(unchecked.stderr.contains("warning: [V001] no reference data"))
    }

    @Test("check validates too and exits 2; --future-days and --strict change the verdict")
    func checkAndStrict() async throws {
        let clean = try await CLI.run([
            "check", "mappings/payroll.yaml", "samples/payroll.json", "--reference",
            "mappings/reference/example-org.yaml", "--today", "2026-03-01",
        ])
        // The payroll voucher is dated 2026-03-31: 30 days after this "today", more than 7.
        #expect(clean.status == 2)
        #expect(clean.stderr.contains("[V201]"))
        let later = try await CLI.run([
            "check", "mappings/payroll.yaml", "samples/payroll.json", "--reference",
            "mappings/reference/example-org.yaml", "--today", "2026-03-01", "--future-days", "31",
        ])
        #expect(later.status == 0)
        let strict = try await CLI.run([
            "check", "mappings/payroll.yaml", "samples/payroll.json", "--today", "2026-11-22", "--strict",
        ])
        #expect(strict.status == 0, "V001 is about the run, not a document: --strict does not fail it")
    }
}

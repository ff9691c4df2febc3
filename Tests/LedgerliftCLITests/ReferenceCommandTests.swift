import Foundation
import Sandbox
import Testing

@Suite("ledgerlift reference pull")
struct ReferenceCommandTests {
    @Test("pull writes the organization as a --reference file that plan takes; the import's cache is one too")
    func pull() async throws {
        try await ImportRun.with { run in
            let file = run.folder + "/org.json"
            let pulled = try await CLI.run(
                [
                    "reference", "pull", "--target", "dinero", "--org", "1000001", "--api-url", run.sandbox.baseURL,
                    "--auth-url", run.sandbox.baseURL, "--output", file,
                ], environment: run.environment)
            #expect(pulled.status == 0, "\(pulled.stderr)")
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.contains("\"accounting_years\""))
            #expect(text.contains("\"number\" : \"5820\""))
            let plan = try await CLI.run([
                "plan", "mappings/expenses.yaml", "samples/expenses.csv", "--reference", file, "--today", "2026-06-30",
            ])
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(!plan.stderr.contains("V001"))  // reference data was given
            // An account the organization lacks is caught against the pulled chart.
            let stripped = text.replacingOccurrences(of: "\"number\" : \"2750\"", with: "\"number\" : \"2751\"")
            try stripped.write(toFile: file, atomically: true, encoding: .utf8)
            let missing = try await CLI.run([
                "plan", "mappings/expenses.yaml", "samples/expenses.csv", "--reference", file, "--today", "2026-06-30",
            ])
            #expect(missing.stderr.contains("V301"))

            // The organization's cache, left by an import, is a --reference file as well.
            let imported = try await CLI.run(
                [
                    "import", "mappings/daily-sales.yaml", "samples/daily-sales.csv", "--target", "dinero", "--org",
                    "1000001", "--api-url", run.sandbox.baseURL, "--auth-url", run.sandbox.baseURL, "--state",
                    run.folder + "/job.sqlite",
                ], environment: run.environment)
            #expect(imported.status == 0, "\(imported.stderr)")
            let cache = run.folder + "/cache/dinero-1000001.json"
            #expect(FileManager.default.fileExists(atPath: cache))
            let fromCache = try await CLI.run([
                "plan", "mappings/daily-sales.yaml", "samples/daily-sales.csv", "--reference", cache, "--today",
                "2026-06-30",
            ])
            #expect(fromCache.status == 0, "\(fromCache.stderr)")
        }
    }
}

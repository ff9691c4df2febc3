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

    @Test("pull writes the organization's contacts, so plan finds the suppliers import would, offline")
    func contacts() async throws {
        try await ImportRun.with { run in
            let imported = try await run.run("mappings/supplier-invoices.yaml", ["samples/supplier-invoices.csv"])
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains("3 suppliers created"))
            let file = run.folder + "/org.json"
            let pulled = try await CLI.run(
                [
                    "reference", "pull", "--target", "dinero", "--org", "1000001", "--api-url", run.sandbox.baseURL,
                    "--auth-url", run.sandbox.baseURL, "--output", file,
                ], environment: run.environment)
            #expect(pulled.status == 0, "\(pulled.stderr)")
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.contains("\"name\" : \"Kontorland A/S\""))
            #expect(text.contains("\"vat_number\" : \"DK12345678\""))

            // Only existing suppliers: every one is found in the pulled file.
            let mapping = run.folder + "/existing.yaml"
            try String(contentsOfFile: "mappings/supplier-invoices.yaml", encoding: .utf8)
                .replacingOccurrences(of: "contacts: create", with: "contacts: existing")
                .write(toFile: mapping, atomically: true, encoding: .utf8)
            let plan = try await CLI.run([
                "plan", mapping, "samples/supplier-invoices.csv", "--reference", file, "--today", "2026-06-30",
            ])
            #expect(plan.status == 0, "\(plan.stderr)")
            // A supplier the organization does not have is caught, offline.
            let unknown = run.folder + "/unknown.csv"
            try
                "Invoice,Date,Due,Supplier,CVR,Account,Text,Amount\nF-9,2026-03-02,2026-04-01,Ukendt ApS,,2750,X,10.00\n"
                .write(toFile: unknown, atomically: true, encoding: .utf8)
            let missing = try await CLI.run([
                "plan", mapping, unknown, "--reference", file, "--today", "2026-06-30",
            ])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("[V312] the supplier Ukendt ApS is not among the contacts of Sandbox ApS"))
        }
    }
}

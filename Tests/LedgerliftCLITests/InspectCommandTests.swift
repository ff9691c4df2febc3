import Foundation
import Testing

@Suite("ledgerlift inspect (built binary)")
struct InspectCommandTests {
    @Test("a Danish bank export: detected layout and a table of records")
    func bankExport() async throws {
        let result = try await CLI.run(["inspect", CLI.fixture("csv/danish-bank.csv")])
        #expect(result.status == 0)
        #expect(result.stdout.contains("encoding   windows-1252"))
        #expect(result.stdout.contains("delimiter  \";\""))
        #expect(result.stdout.contains("records    4"))
        #expect(result.stdout.contains("#3 Beløb"))
        #expect(result.stdout.contains("Dankort-køb Netto Øster…"))
        #expect(result.stderr.isEmpty)
    }

    @Test("--json is machine-readable and carries every decision")
    func json() async throws {
        let result = try await CLI.run(["inspect", "--json", "--show", "1", CLI.fixture("json/nested.json")])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["recordCount"] as? Int == 2)
        #expect(object["recordPath"] as? String == "data.transactions")
        #expect((object["sample"] as? [Any])?.count == 1)
        #expect((object["fields"] as? [String])?.contains("customer.name") == true)
    }

    @Test("overrides: --records, --header-line, --delimiter, --encoding")
    func overrides() async throws {
        let xml = try await CLI.run(["inspect", "--records", "//Transaction", CLI.fixture("xml/journal.xml")])
        #expect(xml.status == 0)
        #expect(xml.stdout.contains("records    2"))
        #expect(xml.stdout.contains("Line[2]/DebitAmount/Amount"))
        let csv = try await CLI.run([
            "inspect", "--header-line", "3", "--delimiter", ";", "--encoding", "cp1252",
            CLI.fixture("csv/preamble.csv"),
        ])
        #expect(csv.status == 0)
        #expect(csv.stdout.contains("header     line 3"))
        #expect(csv.stdout.contains("25.000,00"))
    }

    @Test("row problems: exit 1, compiler-style diagnostics on stderr")
    func rowProblems() async throws {
        let result = try await CLI.run(["inspect", CLI.fixture("csv/field-count.csv")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("field-count.csv:3: error: [R022] row has 2 fields, the header has 3"))
        #expect(result.stdout.contains("records    4, 2 with errors"))
    }

    @Test(
        "unreadable input: exit 2 with file:line:column, what is wrong and what to do",
        arguments: [
            ("csv/unterminated.csv", "unterminated.csv:2:3: error: [R020]"),
            ("json/malformed.json", "malformed.json:3:12: error: [R030]"),
            ("xml/xxe.xml", "xxe.xml:2: error: [R041]"),
            ("csv/empty.csv", "empty.csv: error: [R004] the file is empty"),
            ("does-not-exist.csv", "does-not-exist.csv: error: [R001] no such file"),
        ])
    func unreadable(file: String, expected: String) async throws {
        let result = try await CLI.run(["inspect", CLI.fixture(file)])
        #expect(result.status == 2)
        #expect(result.stderr.contains(expected))
    }

    @Test("a bad option value is a usage error naming what is allowed")
    func badOption() async throws {
        let result = try await CLI.run(["inspect", "--encoding", "klingon", CLI.fixture("csv/rfc4180.csv")])
        #expect(result.status == 64 || result.status == 2)
        #expect(result.stderr.contains("unknown encoding 'klingon'"))
        #expect(result.stderr.contains("windows-1252"))
    }
}

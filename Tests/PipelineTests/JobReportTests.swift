import Checkpoint
import Foundation
import LedgerModel
import Pipeline
import Reports
import Testing

@Suite("A job's report from its state file")
struct JobReportTests {
    static func document(_ reference: String, file: String = "a.csv", record: Int = 1) -> Document {
        Document(
            kind: .ledgerItem, reference: reference, date: LocalDate(year: 2026, month: 3, day: 1)!, currency: .dkk,
            lines: [
                DocumentLine(
                    description: "x", account: 5820, balancingAccount: 1000,
                    amount: Money(minorUnits: 100, currency: .dkk),
                    vat: VatSpec.none, row: SourceRow(record: record, line: record + 1))
            ],
            provenance: Provenance(file: file, rows: [SourceRow(record: record, line: record + 1)]))
    }

    @Test("the state file is private, keeps phases, and turns a second copy of a document into duplicate rows")
    func stateFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = try StateFile(path: folder + "/job.sqlite")
        let mode =
            try FileManager.default.attributesOfItem(atPath: folder + "/job.sqlite")[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        try state.start(JobRecord(mapping: "m.yaml", target: "sandbox", organization: "1"))
        try state.record(SourceFileRecord(path: "a.csv", size: 10, sha256: "aa"))
        try state.storeMapped(
            file: "a.csv", documents: [DocumentRecord(document: Self.document("r1"), wire: nil, sequence: 0)],
            rows: [
                RowRecord(
                    file: "a.csv", row: SourceRow(record: 2, line: 3), status: .skipped, code: nil, message: "zero")
            ])
        try state.storeMapped(
            file: "b.csv",
            documents: [
                DocumentRecord(document: Self.document("r1", file: "b.csv", record: 5), wire: nil, sequence: 1)
            ],
            rows: [])
        var record = try #require(try state.documents().first)
        record.phase = .booked
        record.remoteNumber = "42"
        try state.update([record])

        let reopened = try StateFile(path: folder + "/job.sqlite")
        #expect(try reopened.sourceFile("a.csv")?.mapped == true)
        #expect(try reopened.phaseCounts() == [.booked: 1])
        let rows = try JobReport.rows(from: reopened)
        #expect(rows.map(\.status) == [.booked, .skipped, .duplicateSkipped])
        #expect(rows[0].voucherNumber == "42")
        #expect(rows[2].file == "b.csv")
        #expect(rows[2].message?.contains("a.csv") == true)
    }

    @Test("a chunk stored again after a crash mid-file is the file's own, not a duplicate")
    func chunksStoredTwice() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = try StateFile(path: folder + "/job.sqlite")
        try state.record(SourceFileRecord(path: "c.csv", size: 10, sha256: "cc"))
        let chunk = [DocumentRecord(document: Self.document("r2", file: "c.csv", record: 1), wire: nil, sequence: 0)]
        try state.storeMapped(file: "c.csv", documents: chunk, rows: [], complete: false)
        #expect(try state.sourceFile("c.csv")?.mapped == false)
        try state.storeMapped(file: "c.csv", documents: chunk, rows: [])
        #expect(try state.sourceFile("c.csv")?.mapped == true)
        #expect(try state.openCount() == 1)
        #expect(try JobReport.rows(from: state).map(\.status) == [.pending])
    }

    @Test(
        "an inbox's files: one file's report, a refused document sent again by a later file, an unusable file forgotten"
    )
    func perFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = try StateFile(path: folder + "/route.sqlite")
        let first = "bank.csv@aaaa"
        let second = "bank.csv@bbbb"
        try state.record(SourceFileRecord(path: first, size: 10, sha256: "aaaa"))
        try state.storeMapped(
            file: first,
            documents: [
                DocumentRecord(document: Self.document("booked"), wire: nil, sequence: 0, file: first),
                DocumentRecord(document: Self.document("refused", record: 2), wire: nil, sequence: 1, file: first),
            ],
            rows: [])
        var records = try state.documents()
        records[0].phase = .booked
        records[1].phase = .rejected
        records[1].errorCode = "D400"
        try state.update(records)
        // The second file has both again: the booked one is a duplicate, the refused one is its own now.
        try state.storeMapped(
            file: second,
            documents: [
                DocumentRecord(
                    document: Self.document("booked", file: "processing/bank.csv"), wire: nil, sequence: 2, file: second
                ),
                DocumentRecord(
                    document: Self.document("refused", file: "processing/bank.csv", record: 2), wire: nil, sequence: 3,
                    file: second),
            ],
            rows: [])
        #expect(try state.documents(file: first).map(\.reference) == ["booked"])
        let again = try #require(try state.documents(file: second).first)
        #expect(again.reference == "refused")
        #expect(again.phase == .pending)
        #expect(again.errorCode == nil)
        let secondReport = try JobReport.rows(from: state, file: second)
        #expect(secondReport.map(\.status) == [.duplicateSkipped, .pending])
        #expect(secondReport.allSatisfy { $0.file == second })
        #expect(try JobReport.rows(from: state, file: first).map(\.status) == [.booked])
        // A file that turned out unusable leaves nothing unsent behind; what was sent stays.
        try state.forget(file: second)
        #expect(try state.documents(file: second).isEmpty)
        #expect(try state.rows(file: second).isEmpty)
        #expect(try state.sourceFile(second) == nil)
        #expect(try state.documents(file: first).map(\.phase) == [.booked])
    }
}

import Checkpoint
import Foundation
import GRDB
import LedgerModel
import Testing

@Suite("The state file")
struct StateFileTests {
    static func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString)").path
    }

    static func document(_ reference: String, attachment: String? = nil) -> Document {
        Document(
            kind: .manualVoucher, reference: reference, date: LocalDate(year: 2026, month: 3, day: 1)!,
            currency: .dkk, attachment: attachment,
            lines: [
                DocumentLine(
                    description: "x", account: 3400, balancingAccount: 5500,
                    amount: Money(minorUnits: 100, currency: .dkk), vat: .code("I25"),
                    row: SourceRow(record: 3, line: 4))
            ],
            provenance: Provenance(file: "a.csv", rows: [SourceRow(record: 3, line: 4), SourceRow(record: 4, line: 6)]))
    }

    @Test("a state file written before remote fields were target-neutral is migrated and resumes")
    func migratesOldFiles() throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/old.sqlite"
        // The schema and rows as the releases before kept them (migrations v1 and v2).
        let old = try DatabaseQueue(path: path)
        let body = try JSONEncoder().encode(Self.document("r1", attachment: "receipts/r1.pdf"))
        try old.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1'), ('v2');
                    CREATE TABLE job (id INTEGER PRIMARY KEY CHECK (id = 1), mapping TEXT NOT NULL, target TEXT NOT NULL,
                      organization TEXT NOT NULL, createdAt DATETIME NOT NULL);
                    CREATE TABLE sourceFile (path TEXT PRIMARY KEY, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
                      mapped BOOLEAN NOT NULL DEFAULT 0);
                    CREATE TABLE document (reference TEXT PRIMARY KEY, kind TEXT NOT NULL, file TEXT NOT NULL,
                      body BLOB NOT NULL, phase TEXT NOT NULL CHECK (phase IN
                      ('pending','sending','created','booking','booked','rejected','failed')),
                      remoteID TEXT, remoteVersion TEXT, voucherNumber INTEGER, fileID TEXT, errorCode TEXT,
                      errorMessage TEXT, attempts INTEGER NOT NULL DEFAULT 0, sequence INTEGER NOT NULL,
                      updatedAt DATETIME NOT NULL);
                    CREATE INDEX documentPhase ON document(phase, sequence);
                    CREATE TABLE row (file TEXT NOT NULL, record INTEGER NOT NULL, line INTEGER NOT NULL,
                      status TEXT NOT NULL CHECK (status IN ('rejected','skipped','duplicate')), code TEXT,
                      message TEXT NOT NULL, PRIMARY KEY (file, record));
                    CREATE INDEX documentFile ON document(file, sequence);
                    """)
            try db.execute(
                sql: """
                    INSERT INTO document (reference, kind, file, body, phase, remoteID, remoteVersion, voucherNumber,
                      fileID, sequence, updatedAt)
                    VALUES ('r1', 'manual_voucher', 'a.csv', ?, 'booked', 'guid-1', 'ts', 42, 'file-1', 0, ?),
                           ('r2', 'manual_voucher', 'a.csv', ?, 'sending', NULL, NULL, NULL, 'file-2', 1, ?)
                    """,
                arguments: [body, Date(), try JSONEncoder().encode(Self.document("r2")), Date()])
        }
        try old.close()

        let state = try StateFile(path: path)
        let records = try state.documents()
        #expect(records.map(\.reference) == ["r1", "r2"])
        let booked = records[0]
        #expect(booked.remoteNumber == "42")
        #expect(booked.attachmentID == "file-1")
        #expect(booked.date == LocalDate(year: 2026, month: 3, day: 1))
        #expect(booked.rows == [SourceRow(record: 3, line: 4), SourceRow(record: 4, line: 6)])
        #expect(booked.attachment == "receipts/r1.pdf")
        // No wire body was kept then: the document is loaded, for the target to translate once.
        #expect(booked.wire == nil)
        #expect(booked.document?.reference == "r1")
        #expect(records[1].phase == .sending)
        #expect(try state.openCount() == 1)
    }

    @Test("a new document keeps its wire body, and is read back without its document")
    func keepsWire() throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = try StateFile(path: folder + "/job.sqlite")
        try state.record(SourceFileRecord(path: "a.csv", size: 1, sha256: "aa"))
        try state.storeMapped(
            file: "a.csv",
            documents: [DocumentRecord(document: Self.document("r1"), wire: Data("{\"A\":1}".utf8), sequence: 0)],
            rows: [])
        var record = try #require(try state.documents().first)
        #expect(record.wire == Data("{\"A\":1}".utf8))
        #expect(record.document == nil)
        #expect(record.rows.count == 2)
        record.phase = .booked
        record.remoteID = "guid"
        record.remoteNumber = "A-17"
        record.attachmentID = "f"
        try state.update([record])
        let again = try #require(try StateFile(path: folder + "/job.sqlite").documents(file: "a.csv").first)
        #expect(again.remoteNumber == "A-17")
        #expect(again.attachmentID == "f")
        #expect(again.phase == .booked)
    }
}

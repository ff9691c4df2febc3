import Foundation
import GRDB
public import LedgerModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a document stands. Written before and after every call, so a run that stops anywhere
/// knows on resume what may have happened.
public enum Phase: String, Sendable, Codable, CaseIterable {
    /// Mapped and valid; nothing sent yet.
    case pending
    /// A create was sent; its outcome is unknown until it is answered or looked up.
    case sending
    /// The target has it as a draft (`remoteID`, `remoteVersion`).
    case created
    /// A book was sent for the draft; its outcome is unknown until answered or looked up.
    case booking
    /// Booked, with its voucher number. Final.
    case booked
    /// The target refused it, for a reason that re-sending would not change. Final.
    case rejected
    /// It could not be sent or booked after retries. Re-running tries again.
    case failed

    public var isFinal: Bool { self == .booked || self == .rejected }
}

/// One document of the job, as the state file keeps it.
public struct DocumentRecord: Sendable, Hashable {
    public var reference: String
    public var kind: DocumentKind
    public var document: Document
    public var phase: Phase
    /// The target's id: a voucher guid, or the ledger item id.
    public var remoteID: String?
    /// The target's `Timestamp` or `Version`.
    public var remoteVersion: String?
    public var voucherNumber: Int?
    /// The uploaded attachment's id at the target.
    public var fileID: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var attempts: Int
    /// Position in file order, so documents are sent in the order they were read.
    public var sequence: Int
    /// The source file it is kept under in the job: its path, or the key an inbox gives a file.
    public var file: String

    public init(document: Document, sequence: Int, file: String? = nil) {
        self.file = file ?? document.provenance.file
        self.reference = document.reference
        self.kind = document.kind
        self.document = document
        self.phase = .pending
        self.attempts = 0
        self.sequence = sequence
    }
}

/// A source row that did not become a sent document: rejected by mapping or validation, or skipped.
public struct RowRecord: Sendable, Hashable {
    public enum Status: String, Sendable {
        case rejected, skipped
        /// Its document has the same reference as one already in the job (an overlapping file).
        case duplicate
    }

    public var file: String
    public var row: SourceRow
    public var status: Status
    public var code: String?
    public var message: String

    public init(file: String, row: SourceRow, status: Status, code: String?, message: String) {
        self.file = file
        self.row = row
        self.status = status
        self.code = code
        self.message = message
    }
}

/// A source file as first seen by the job: a changed file is refused on resume.
public struct SourceFileRecord: Sendable, Hashable {
    public var path: String
    public var size: Int64
    public var sha256: String
    /// Every record of the file has been mapped and stored.
    public var mapped: Bool

    public init(path: String, size: Int64, sha256: String, mapped: Bool = false) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.mapped = mapped
    }
}

/// What the job is: the mapping, the target and organization it books into.
public struct JobRecord: Sendable, Hashable {
    public var mapping: String
    public var target: String
    public var organization: String

    public init(mapping: String, target: String, organization: String) {
        self.mapping = mapping
        self.target = target
        self.organization = organization
    }
}

/// The state file: one SQLite database per job (GRDB, WAL, mode 0600). Every change is one
/// transaction, committed before the caller goes on.
public final class StateFile: Sendable {
    public let path: String
    private let queue: DatabaseQueue
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    public init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        if !FileManager.default.fileExists(atPath: path) {
            // Created empty with 0600 first, so the database (and its -wal/-shm, which copy the
            // main file's mode) is never readable by others, not even for a moment.
            let descriptor = open(path, O_CREAT | O_WRONLY, 0o600)
            if descriptor >= 0 { close(descriptor) }
        }
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(5)
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try Self.migrator.migrate(queue)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "job") { table in
                table.column("id", .integer).primaryKey().check { $0 == 1 }
                table.column("mapping", .text).notNull()
                table.column("target", .text).notNull()
                table.column("organization", .text).notNull()
                table.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "sourceFile") { table in
                table.column("path", .text).primaryKey()
                table.column("size", .integer).notNull()
                table.column("sha256", .text).notNull()
                table.column("mapped", .boolean).notNull().defaults(to: false)
            }
            try db.create(table: "document") { table in
                table.column("reference", .text).primaryKey()
                table.column("kind", .text).notNull()
                table.column("file", .text).notNull()
                table.column("body", .blob).notNull()
                table.column("phase", .text).notNull()
                    .check(sql: "phase IN ('pending','sending','created','booking','booked','rejected','failed')")
                table.column("remoteID", .text)
                table.column("remoteVersion", .text)
                table.column("voucherNumber", .integer)
                table.column("fileID", .text)
                table.column("errorCode", .text)
                table.column("errorMessage", .text)
                table.column("attempts", .integer).notNull().defaults(to: 0)
                table.column("sequence", .integer).notNull()
                table.column("updatedAt", .datetime).notNull()
            }
            try db.create(index: "documentPhase", on: "document", columns: ["phase", "sequence"])
            try db.create(table: "row") { table in
                table.column("file", .text).notNull()
                table.column("record", .integer).notNull()
                table.column("line", .integer).notNull()
                table.column("status", .text).notNull().check(sql: "status IN ('rejected','skipped','duplicate')")
                table.column("code", .text)
                table.column("message", .text).notNull()
                table.primaryKey(["file", "record"])
            }
        }
        migrator.registerMigration("v2") { db in
            // An inbox's job gathers files for months; its reports ask for one file's documents.
            try db.create(index: "documentFile", on: "document", columns: ["file", "sequence"])
        }
        return migrator
    }

    // MARK: Job and files

    public func job() throws -> JobRecord? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT mapping, target, organization FROM job WHERE id = 1").map {
                JobRecord(mapping: $0["mapping"], target: $0["target"], organization: $0["organization"])
            }
        }
    }

    public func start(_ job: JobRecord) throws {
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO job (id, mapping, target, organization, createdAt) VALUES (1, ?, ?, ?, ?)",
                arguments: [job.mapping, job.target, job.organization, Date()])
        }
    }

    public func sourceFile(_ path: String) throws -> SourceFileRecord? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM sourceFile WHERE path = ?", arguments: [path]).map {
                SourceFileRecord(path: $0["path"], size: $0["size"], sha256: $0["sha256"], mapped: $0["mapped"])
            }
        }
    }

    public func sourceFiles() throws -> [SourceFileRecord] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sourceFile ORDER BY rowid").map {
                SourceFileRecord(path: $0["path"], size: $0["size"], sha256: $0["sha256"], mapped: $0["mapped"])
            }
        }
    }

    public func record(_ file: SourceFileRecord) throws {
        try queue.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO sourceFile (path, size, sha256, mapped) VALUES (?, ?, ?, ?)",
                arguments: [file.path, file.size, file.sha256, file.mapped])
        }
    }

    // MARK: Mapped documents and rows

    /// Stores a file's documents and rejected or skipped rows, and marks the file mapped, in one
    /// transaction. Documents already stored (same reference) are left as they are.
    ///
    /// A large file is stored in chunks, the last with `complete`; a chunk stored again after a
    /// crash is recognised as this file's own and left alone.
    public func storeMapped(file: String, documents: [DocumentRecord], rows: [RowRecord], complete: Bool = true) throws
    {
        let bodies = try documents.map { try Self.encoder.encode($0.document) }
        try queue.write { db in
            let now = Date()
            for (record, body) in zip(documents, bodies) {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO document (reference, kind, file, body, phase, sequence, updatedAt)
                        VALUES (?, ?, ?, ?, 'pending', ?, ?)
                        """,
                    arguments: [record.reference, record.kind.rawValue, file, body, record.sequence, now])
                guard db.changesCount == 0 else { continue }
                // The same document came from another file already: its rows are duplicates, not lost.
                let first = try String.fetchOne(
                    db, sql: "SELECT file FROM document WHERE reference = ?", arguments: [record.reference])
                guard first != file else { continue }
                // Unless the target refused it before creating anything: then this file sends it again
                // (a row dropped back in after its account was created, say). Nothing was booked.
                try db.execute(
                    sql: """
                        UPDATE document SET file = ?, body = ?, phase = 'pending', errorCode = NULL, errorMessage = NULL,
                        attempts = 0, sequence = ?, updatedAt = ?
                        WHERE reference = ? AND phase = 'rejected' AND remoteID IS NULL
                        """,
                    arguments: [file, body, record.sequence, now, record.reference])
                guard db.changesCount == 0 else { continue }
                for row in record.document.provenance.rows {
                    try db.execute(
                        sql:
                            "INSERT OR REPLACE INTO row (file, record, line, status, code, message) VALUES (?, ?, ?, 'duplicate', 'L002', ?)",
                        arguments: [
                            file, row.record, row.line,
                            "the same document (\(record.reference)) is already in this job, from \(first ?? "another file")",
                        ])
                }
            }
            for row in rows {
                try db.execute(
                    sql:
                        "INSERT OR REPLACE INTO row (file, record, line, status, code, message) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [row.file, row.row.record, row.row.line, row.status.rawValue, row.code, row.message])
            }
            if complete { try db.execute(sql: "UPDATE sourceFile SET mapped = 1 WHERE path = ?", arguments: [file]) }
        }
    }

    /// Forgets a source file that could not be used: its unsent documents, its rows and its
    /// record. Documents already sent (any phase past `pending`) stay, so nothing booked is lost.
    public func forget(file: String) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM document WHERE file = ? AND phase = 'pending'", arguments: [file])
            try db.execute(sql: "DELETE FROM row WHERE file = ?", arguments: [file])
            try db.execute(sql: "DELETE FROM sourceFile WHERE path = ?", arguments: [file])
        }
    }

    /// The documents kept under one source file, in file order.
    public func documents(file: String) throws -> [DocumentRecord] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM document WHERE file = ? ORDER BY sequence", arguments: [file])
                .map(Self.documentRecord)
        }
    }

    public func documents(in phases: Set<Phase>? = nil) throws -> [DocumentRecord] {
        try queue.read { db in
            let rows: [Row]
            if let phases {
                let list = phases.map { "'\($0.rawValue)'" }.joined(separator: ",")
                rows = try Row.fetchAll(db, sql: "SELECT * FROM document WHERE phase IN (\(list)) ORDER BY sequence")
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM document ORDER BY sequence")
            }
            return try rows.map(Self.documentRecord)
        }
    }

    private static func documentRecord(_ row: Row) throws -> DocumentRecord {
        let body: Data = row["body"]
        let document = try JSONDecoder().decode(Document.self, from: body)
        var record = DocumentRecord(document: document, sequence: row["sequence"], file: row["file"])
        record.phase = Phase(rawValue: row["phase"]) ?? .pending
        record.remoteID = row["remoteID"]
        record.remoteVersion = row["remoteVersion"]
        record.voucherNumber = row["voucherNumber"]
        record.fileID = row["fileID"]
        record.errorCode = row["errorCode"]
        record.errorMessage = row["errorMessage"]
        record.attempts = row["attempts"]
        return record
    }

    /// Writes the documents' phases and remote state in one transaction.
    public func update(_ records: [DocumentRecord]) throws {
        guard !records.isEmpty else { return }
        try queue.write { db in
            let now = Date()
            for record in records {
                try db.execute(
                    sql: """
                        UPDATE document SET phase = ?, remoteID = ?, remoteVersion = ?, voucherNumber = ?, fileID = ?,
                        errorCode = ?, errorMessage = ?, attempts = ?, updatedAt = ? WHERE reference = ?
                        """,
                    arguments: [
                        record.phase.rawValue, record.remoteID, record.remoteVersion, record.voucherNumber,
                        record.fileID, record.errorCode, record.errorMessage, record.attempts, now, record.reference,
                    ])
            }
        }
    }

    /// The rows that did not become sent documents; of one source file, or of all.
    public func rows(file: String? = nil) throws -> [RowRecord] {
        try queue.read { db in
            let rows =
                if let file {
                    try Row.fetchAll(db, sql: "SELECT * FROM row WHERE file = ? ORDER BY record", arguments: [file])
                } else {
                    try Row.fetchAll(db, sql: "SELECT * FROM row ORDER BY file, record")
                }
            return rows.map {
                RowRecord(
                    file: $0["file"], row: SourceRow(record: $0["record"], line: $0["line"]),
                    status: RowRecord.Status(rawValue: $0["status"]) ?? .rejected, code: $0["code"],
                    message: $0["message"])
            }
        }
    }

    /// Documents not yet booked or rejected.
    public func openCount() throws -> Int {
        try phaseCounts().filter { !$0.key.isFinal }.values.reduce(0, +)
    }

    /// Documents per phase.
    public func phaseCounts() throws -> [Phase: Int] {
        try queue.read { db in
            var counts: [Phase: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT phase, COUNT(*) AS n FROM document GROUP BY phase") {
                if let phase = Phase(rawValue: row["phase"]) { counts[phase] = row["n"] }
            }
            return counts
        }
    }
}

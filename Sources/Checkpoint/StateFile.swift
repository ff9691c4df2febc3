import Foundation
import GRDB
import LedgerModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The state file: one SQLite database per job (GRDB, WAL, mode 0600). Every change is one
/// transaction, committed before the caller goes on.
public final class StateFile: Sendable {
    public let path: String
    let queue: DatabaseQueue
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

    /// Deletes a state file and its WAL files (`--restart`).
    public static func remove(path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
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
        migrator.registerMigration("v3-target-neutral") { db in
            // Target-neutral remote fields, the target's wire body kept from the first
            // translation, and what the report and the submitter read of a document in columns
            // of their own, so neither decodes the document again.
            try db.alter(table: "document") { table in
                table.add(column: "wire", .blob)
                table.add(column: "remoteNumber", .text)
                table.add(column: "date", .text)
                table.add(column: "rows", .text)
                table.add(column: "attachment", .text)
                table.rename(column: "fileID", to: "attachmentID")
            }
            try db.execute(
                sql: "UPDATE document SET remoteNumber = CAST(voucherNumber AS TEXT) WHERE voucherNumber IS NOT NULL")
            try db.alter(table: "document") { table in table.drop(column: "voucherNumber") }
            // Documents of a state file written before: their columns from their bodies, once.
            let decoder = JSONDecoder()
            for row in try Row.fetchAll(db, sql: "SELECT reference, body FROM document") {
                let document = try decoder.decode(Document.self, from: row["body"] as Data)
                try db.execute(
                    sql: "UPDATE document SET date = ?, rows = ?, attachment = ? WHERE reference = ?",
                    arguments: [
                        document.date.description, Self.rowsText(document.provenance.rows), document.attachment,
                        row["reference"] as String,
                    ])
            }
        }
        migrator.registerMigration("v4-contacts") { db in
            // The organization's contacts as a run read them (`listed`), and the ones the job
            // creates (`new`, `created` once the target has it); a document that needs a new
            // contact names it, so the contact is created before the document.
            try db.create(table: "contact") { table in
                table.column("id", .text).primaryKey()
                table.column("name", .text).notNull()
                table.column("vatNumber", .text)
                table.column("externalReference", .text)
                table.column("country", .text)
                table.column("origin", .text).notNull().check(sql: "origin IN ('listed','new')")
                table.column("created", .boolean).notNull().defaults(to: false)
            }
            try db.alter(table: "job") { table in table.add(column: "contactsReadAt", .datetime) }
            try db.alter(table: "document") { table in table.add(column: "newContact", .text) }
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
    /// `contacts`: contacts the documents need the job to create; kept with them, so no stored
    /// document names a contact the state file does not know.
    public func storeMapped(
        file: String, documents: [DocumentRecord], rows: [RowRecord], contacts: [Contact] = [], complete: Bool = true
    ) throws {
        let bodies = try documents.map { record in
            guard let document = record.document else { throw StateFileError("a document to store has no body") }
            return try Self.encoder.encode(document)
        }
        try queue.write { db in
            let now = Date()
            for contact in contacts { try Self.insert(contact, origin: "new", into: db) }
            for (record, body) in zip(documents, bodies) {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO document
                        (reference, kind, file, body, wire, date, rows, attachment, newContact, phase, sequence,
                        updatedAt)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                        """,
                    arguments: [
                        record.reference, record.kind.rawValue, file, body, record.wire, record.date.description,
                        Self.rowsText(record.rows), record.attachment, record.newContact, record.sequence, now,
                    ])
                guard db.changesCount == 0 else { continue }
                // The same document came from another file already: its rows are duplicates, not lost.
                let first = try String.fetchOne(
                    db, sql: "SELECT file FROM document WHERE reference = ?", arguments: [record.reference])
                guard first != file else { continue }
                // Unless the target refused it before creating anything: then this file sends it again
                // (a row dropped back in after its account was created, say). Nothing was booked.
                try db.execute(
                    sql: """
                        UPDATE document SET file = ?, body = ?, wire = ?, date = ?, rows = ?, attachment = ?,
                        newContact = ?, phase = 'pending', errorCode = NULL, errorMessage = NULL, attempts = 0,
                        sequence = ?, updatedAt = ?
                        WHERE reference = ? AND phase = 'rejected' AND remoteID IS NULL
                        """,
                    arguments: [
                        file, body, record.wire, record.date.description, Self.rowsText(record.rows),
                        record.attachment, record.newContact, record.sequence, now, record.reference,
                    ])
                guard db.changesCount == 0 else { continue }
                for row in record.rows {
                    try db.execute(
                        sql:
                            "INSERT OR REPLACE INTO row (file, record, line, status, code, message) VALUES (?, ?, ?, 'duplicate', ?, ?)",
                        arguments: [
                            file, row.record, row.line, JobCode.duplicate.rawValue,
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

    /// Rejects a source file's documents that were not sent, with the reason: its rows end
    /// rejected, and nothing of it is sent.
    public func rejectPending(file: String, code: String, message: String) throws {
        try queue.write { db in
            try db.execute(
                sql: """
                    UPDATE document SET phase = 'rejected', errorCode = ?, errorMessage = ?, updatedAt = ?
                    WHERE file = ? AND phase = 'pending'
                    """,
                arguments: [code, message, Date(), file])
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

    /// The documents kept under one source file, in file order. `payload`: with what sending
    /// needs (the wire body, or the document where none was kept); a report needs neither.
    public func documents(file: String, payload: Bool = true) throws -> [DocumentRecord] {
        try queue.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.columns(payload)) FROM document WHERE file = ? ORDER BY sequence",
                arguments: [file]
            )
            .map(Self.documentRecord)
        }
    }

    /// The job's documents in file order; of some phases, or all. `payload` as for
    /// ``documents(file:payload:)``.
    public func documents(in phases: Set<Phase>? = nil, payload: Bool = true) throws -> [DocumentRecord] {
        try queue.read { db in
            let filter =
                phases.map { " WHERE phase IN (\($0.map { "'\($0.rawValue)'" }.joined(separator: ",")))" } ?? ""
            return try Row.fetchAll(
                db, sql: "SELECT \(Self.columns(payload)) FROM document\(filter) ORDER BY sequence"
            ).map(Self.documentRecord)
        }
    }

    /// The columns of a document record; the body only where no wire body was kept, and neither
    /// without the payload.
    private static func columns(_ payload: Bool) -> String {
        """
        reference, kind, file, date, rows, attachment, newContact, phase, remoteID, remoteVersion, remoteNumber,
        attachmentID, errorCode, errorMessage, attempts, sequence\(payload ? ", wire, CASE WHEN wire IS NULL THEN body END AS body" : "")
        """
    }

    private static func documentRecord(_ row: Row) throws -> DocumentRecord {
        guard let kind = DocumentKind(rawValue: row["kind"]), let date = LocalDate(iso: row["date"]) else {
            throw StateFileError("the document \(row["reference"] as String) has an unknown kind or date")
        }
        var record = DocumentRecord(
            reference: row["reference"], kind: kind, date: date, rows: rows(fromText: row["rows"]),
            sequence: row["sequence"], file: row["file"])
        record.attachment = row["attachment"]
        record.newContact = row["newContact"]
        record.wire = row["wire"]
        if let body = row["body"] as Data? { record.document = try JSONDecoder().decode(Document.self, from: body) }
        record.phase = Phase(rawValue: row["phase"]) ?? .pending
        record.remoteID = row["remoteID"]
        record.remoteVersion = row["remoteVersion"]
        record.remoteNumber = row["remoteNumber"]
        record.attachmentID = row["attachmentID"]
        record.errorCode = row["errorCode"]
        record.errorMessage = row["errorMessage"]
        record.attempts = row["attempts"]
        return record
    }

    /// Source rows as `record:line` pairs, comma-separated.
    static func rowsText(_ rows: [SourceRow]) -> String {
        rows.map { "\($0.record):\($0.line)" }.joined(separator: ",")
    }

    static func rows(fromText text: String?) -> [SourceRow] {
        (text ?? "").split(separator: ",").compactMap { pair in
            let parts = pair.split(separator: ":")
            guard parts.count == 2, let record = Int(parts[0]), let line = Int(parts[1]) else { return nil }
            return SourceRow(record: record, line: line)
        }
    }

    /// Writes the documents' phases and remote state in one transaction.
    public func update(_ records: [DocumentRecord]) throws {
        guard !records.isEmpty else { return }
        try queue.write { db in
            let now = Date()
            for record in records {
                try db.execute(
                    sql: """
                        UPDATE document SET phase = ?, remoteID = ?, remoteVersion = ?, remoteNumber = ?,
                        attachmentID = ?, errorCode = ?, errorMessage = ?, attempts = ?, updatedAt = ? WHERE reference = ?
                        """,
                    arguments: [
                        record.phase.rawValue, record.remoteID, record.remoteVersion, record.remoteNumber,
                        record.attachmentID, record.errorCode, record.errorMessage, record.attempts, now,
                        record.reference,
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

extension StateFile {
    // MARK: Contacts

    /// The organization's contacts as a run of this job read them, when that was less than
    /// `maxAge` seconds ago; the ones the job created are among them.
    public func contacts(maxAge: TimeInterval) throws -> [Contact]? {
        try queue.read { db in
            guard let readAt = try Date.fetchOne(db, sql: "SELECT contactsReadAt FROM job WHERE id = 1"),
                Date().timeIntervalSince(readAt) < maxAge
            else { return nil }
            return try Row.fetchAll(
                db, sql: "SELECT * FROM contact WHERE origin = 'listed' OR created ORDER BY rowid"
            ).map(Self.contact)
        }
    }

    /// Keeps the contacts a run read, in place of the ones read before.
    public func replaceContacts(_ contacts: [Contact], readAt: Date = Date()) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM contact WHERE origin = 'listed'")
            for contact in contacts { try Self.insert(contact, origin: "listed", into: db) }
            try db.execute(sql: "UPDATE job SET contactsReadAt = ? WHERE id = 1", arguments: [readAt])
        }
    }

    /// A contact the job is to create, and whether the target has it yet; nil when the job is
    /// not creating it.
    public func newContact(id: String) throws -> (contact: Contact, created: Bool)? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM contact WHERE id = ? AND origin = 'new'", arguments: [id]).map {
                (Self.contact($0), $0["created"] as Bool)
            }
        }
    }

    /// The contacts the job creates: all of them, or those the target has.
    public func newContacts(createdOnly: Bool = false) throws -> [Contact] {
        try queue.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM contact WHERE origin = 'new'\(createdOnly ? " AND created" : "") ORDER BY rowid"
            ).map(Self.contact)
        }
    }

    public func markCreated(contact id: String) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE contact SET created = 1 WHERE id = ?", arguments: [id])
        }
    }

    static func insert(_ contact: Contact, origin: String, into db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO contact (id, name, vatNumber, externalReference, country, origin) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO NOTHING
                """,
            arguments: [
                contact.id, contact.name, contact.vatNumber, contact.externalReference, contact.country, origin,
            ])
    }

    private static func contact(_ row: Row) -> Contact {
        Contact(
            id: row["id"], name: row["name"], vatNumber: row["vatNumber"], externalReference: row["externalReference"],
            country: row["country"])
    }
}

/// A state file that cannot be used as it is.
public struct StateFileError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

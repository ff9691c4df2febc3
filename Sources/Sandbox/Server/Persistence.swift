import Foundation
import GRDB

/// One stored record: what kind it is, its key, and its JSON.
struct StoredRecord: Sendable {
    var kind: String
    var key: String
    /// nil deletes the record.
    var body: Data?
}

/// The sandbox's state file: one SQLite table of records, written in one transaction per request.
///
/// The state lives in memory while the sandbox runs; this file makes it survive a restart. A
/// write is committed before the sandbox answers, so "commit, then drop the connection" leaves
/// the write in the file too.
final class SandboxDatabase: Sendable {
    private let queue: DatabaseQueue

    init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("sandbox.sqlite")
        let isNew = !FileManager.default.fileExists(atPath: path)
        var configuration = Configuration()
        configuration.journalMode = .wal
        queue = try DatabaseQueue(path: path, configuration: configuration)
        if isNew { chmod(path, 0o600) }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("records") { db in
            try db.create(table: "record") { table in
                table.column("kind", .text).notNull()
                table.column("key", .text).notNull()
                table.column("body", .blob).notNull()
                table.primaryKey(["kind", "key"])
            }
        }
        try migrator.migrate(queue)
    }

    func write(_ records: [StoredRecord]) throws {
        guard !records.isEmpty else { return }
        try queue.write { db in
            for record in records {
                if let body = record.body {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO record (kind, key, body) VALUES (?, ?, ?)",
                        arguments: [record.kind, record.key, body])
                } else {
                    try db.execute(
                        sql: "DELETE FROM record WHERE kind = ? AND key = ?", arguments: [record.kind, record.key])
                }
            }
        }
    }

    func all() throws -> [StoredRecord] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT kind, key, body FROM record ORDER BY rowid").map { row in
                StoredRecord(kind: row["kind"], key: row["key"], body: row["body"])
            }
        }
    }
}

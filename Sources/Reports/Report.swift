public import Checkpoint
import Foundation
import LedgerModel

/// One source row's final word: what became of it at the target.
public struct ReportRow: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Codable {
        case booked, rejected, failed, skipped
        /// The row's document was already in the job (or at the target) and was not sent again.
        case duplicateSkipped = "duplicate-skipped"
        /// Not finished: the run stopped before this document was booked. Re-run to finish.
        case pending
    }

    public var file: String
    public var line: Int
    public var record: Int
    public var status: Status
    public var kind: String?
    public var date: String?
    public var reference: String?
    public var voucherNumber: Int?
    public var remoteID: String?
    public var code: String?
    public var message: String?

    enum CodingKeys: String, CodingKey {
        case file, line, record, status, kind, date, reference
        case voucherNumber = "voucher_number", remoteID = "remote_id", code, message
    }
}

/// Counts for the summary.
public struct ReportSummary: Sendable, Hashable, Codable {
    public var rows = 0
    public var booked = 0
    public var rejected = 0
    public var failed = 0
    public var skipped = 0
    public var duplicateSkipped = 0
    public var pending = 0
    public var documentsBooked = 0
}

/// The per-row report: every source row of the job, from the state file.
public enum Report {
    /// Every row of the job, or of one of its source files (by the key the job keeps it under).
    public static func rows(from state: StateFile, file: String? = nil) throws -> [ReportRow] {
        var rows: [ReportRow] = []
        for document in try file.map(state.documents(file:)) ?? state.documents() {
            let status: ReportRow.Status =
                switch document.phase {
                case .booked: .booked
                case .rejected: .rejected
                case .failed: .failed
                case .pending, .sending, .created, .booking: .pending
                }
            for row in document.document.provenance.rows {
                rows.append(
                    ReportRow(
                        file: document.file, line: row.line, record: row.record, status: status,
                        kind: document.kind.rawValue, date: document.document.date.description,
                        reference: document.reference, voucherNumber: document.voucherNumber,
                        remoteID: document.remoteID, code: document.errorCode, message: document.errorMessage))
            }
        }
        for row in try state.rows(file: file) {
            let status: ReportRow.Status =
                switch row.status {
                case .rejected: .rejected
                case .skipped: .skipped
                case .duplicate: .duplicateSkipped
                }
            rows.append(
                ReportRow(
                    file: row.file, line: row.row.line, record: row.row.record, status: status, code: row.code,
                    message: row.message))
        }
        return rows.sorted { ($0.file, $0.record) < ($1.file, $1.record) }
    }

    public static func summary(_ rows: [ReportRow]) -> ReportSummary {
        var summary = ReportSummary()
        var documents: Set<String> = []
        for row in rows {
            summary.rows += 1
            switch row.status {
            case .booked:
                summary.booked += 1
                if let reference = row.reference { documents.insert(reference) }
            case .rejected: summary.rejected += 1
            case .failed: summary.failed += 1
            case .skipped: summary.skipped += 1
            case .duplicateSkipped: summary.duplicateSkipped += 1
            case .pending: summary.pending += 1
            }
        }
        summary.documentsBooked = documents.count
        return summary
    }

    static let columns = [
        "file", "line", "record", "status", "kind", "date", "reference", "voucher_number", "remote_id", "code",
        "message",
    ]

    /// Writes `name.csv` and `name.jsonl` into `directory`; answers their paths.
    public static func write(
        _ rows: [ReportRow], to directory: String, name: String
    ) throws -> (csv: String, jsonl: String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let csvPath = (directory as NSString).appendingPathComponent(name + ".csv")
        let jsonlPath = (directory as NSString).appendingPathComponent(name + ".jsonl")
        try writeCSV(rows, to: csvPath)
        try writeJSONLines(rows, to: jsonlPath)
        return (csvPath, jsonlPath)
    }

    /// The report as CSV (CRLF, formula-safe cells), written atomically.
    public static func writeCSV(_ rows: [ReportRow], to path: String) throws {
        var csv = columns.joined(separator: ",") + "\r\n"
        for row in rows {
            let cells: [String] = [
                row.file, String(row.line), String(row.record), row.status.rawValue, row.kind ?? "", row.date ?? "",
                row.reference ?? "", row.voucherNumber.map(String.init) ?? "", row.remoteID ?? "", row.code ?? "",
                row.message ?? "",
            ]
            csv += cells.map(csvCell).joined(separator: ",") + "\r\n"
        }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The report as JSON Lines, one object per row, written atomically.
    public static func writeJSONLines(_ rows: [ReportRow], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var jsonl = Data()
        for row in rows {
            jsonl.append(try encoder.encode(row))
            jsonl.append(0x0A)
        }
        try jsonl.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// A CSV cell that a spreadsheet shows as text: quoted when needed, and a leading `=`, `+`,
    /// `-`, `@`, tab or carriage return defused with an apostrophe so it is never run as a formula.
    public static func csvCell(_ text: String) -> String {
        var value = text
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == ";" }) else {
            return value
        }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

import Foundation
import LedgerModel

/// One source row's final word: what became of it at the target.
public struct ReportRow: Sendable, Hashable, Encodable {
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
    /// The document's number at the target once booked (Dinero's voucher number).
    public var voucherNumber: String?
    public var remoteID: String?
    public var code: String?
    public var message: String?

    public init(
        file: String, line: Int, record: Int, status: Status, kind: String? = nil, date: String? = nil,
        reference: String? = nil, voucherNumber: String? = nil, remoteID: String? = nil, code: String? = nil,
        message: String? = nil
    ) {
        self.file = file
        self.line = line
        self.record = record
        self.status = status
        self.kind = kind
        self.date = date
        self.reference = reference
        self.voucherNumber = voucherNumber
        self.remoteID = remoteID
        self.code = code
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case file, line, record, status, kind, date, reference
        case voucherNumber = "voucher_number", remoteID = "remote_id", code, message
    }

    /// Absent fields are left out; a voucher number of digits is written as a number.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(file, forKey: .file)
        try container.encode(line, forKey: .line)
        try container.encode(record, forKey: .record)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(kind, forKey: .kind)
        try container.encodeIfPresent(date, forKey: .date)
        try container.encodeIfPresent(reference, forKey: .reference)
        if let voucherNumber, let number = Int(voucherNumber) {
            try container.encode(number, forKey: .voucherNumber)
        } else {
            try container.encodeIfPresent(voucherNumber, forKey: .voucherNumber)
        }
        try container.encodeIfPresent(remoteID, forKey: .remoteID)
        try container.encodeIfPresent(code, forKey: .code)
        try container.encodeIfPresent(message, forKey: .message)
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
    /// Rejected rows whose draft could not be removed from the target (code L003): their
    /// `remote_id` is the draft to delete there.
    public var draftsLeft = 0

    public init() {}
}

/// The per-row report: every source row of a job, one line each, as CSV and JSON Lines. The
/// pipeline hands it the rows (`JobReport` makes them from the state file).
public enum Report {
    public static func summary(_ rows: [ReportRow]) -> ReportSummary {
        var summary = ReportSummary()
        var documents: Set<String> = []
        for row in rows {
            summary.rows += 1
            switch row.status {
            case .booked:
                summary.booked += 1
                if let reference = row.reference { documents.insert(reference) }
            case .rejected:
                summary.rejected += 1
                if row.code == JobCode.draftLeft.rawValue { summary.draftsLeft += 1 }
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
                row.reference ?? "", row.voucherNumber ?? "", row.remoteID ?? "", row.code ?? "",
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

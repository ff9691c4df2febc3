public import Checkpoint
import LedgerModel
public import Reports

/// A job's per-row report, from its state file: every source row, in file order, with what
/// became of it. Documents are read from their columns; no document is decoded.
public enum JobReport {
    /// Every row of the job, or of one of its source files (by the key the job keeps it under).
    public static func rows(from state: StateFile, file: String? = nil) throws -> [ReportRow] {
        var rows: [ReportRow] = []
        let documents =
            try file.map { try state.documents(file: $0, payload: false) } ?? state.documents(payload: false)
        for document in documents {
            let status: ReportRow.Status =
                switch document.phase {
                case .booked: .booked
                case .rejected: .rejected
                case .failed: .failed
                case .pending, .sending, .created, .booking: .pending
                }
            for row in document.rows {
                rows.append(
                    ReportRow(
                        file: document.file, line: row.line, record: row.record, status: status,
                        kind: document.kind.rawValue, date: document.date.description,
                        reference: document.reference, voucherNumber: document.remoteNumber,
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
}

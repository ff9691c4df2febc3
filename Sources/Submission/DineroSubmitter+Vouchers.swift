import Checkpoint
import Foundation
import LedgerModel
import Targets

extension DineroSubmitter {
    /// One manual or purchase voucher: settle what an earlier run left open, upload its receipt,
    /// create it, book it.
    func submitVoucher(_ start: DocumentRecord, progress: inout SubmissionProgress) async throws {
        var record = start
        do {
            try await settleVoucher(&record, progress: &progress)
            if record.phase == .booked { return }
            if record.phase == .pending || record.phase == .failed {
                try await uploadAttachment(&record)
                try await createVoucher(&record, progress: &progress)
            }
            if record.phase == .created || record.phase == .booking {
                try await bookVoucher(&record, progress: &progress)
            }
        } catch let error as TargetError {
            try stopIfFatal(error)
            if case .rejected = error {
                reject(&record, error, progress: &progress)
            } else if case .tooLarge = error {
                reject(&record, error, progress: &progress)
            } else {
                record.phase = record.remoteID == nil ? .failed : record.phase
                record.errorCode = error.code
                record.errorMessage = error.description
                progress.failed += 1
            }
            try save([record])
        }
    }

    /// A voucher an earlier run left `sending`, `created` or `booking` may already be further on.
    private func settleVoucher(_ record: inout DocumentRecord, progress: inout SubmissionProgress) async throws {
        switch record.phase {
        case .created, .booking:
            guard let guid = record.remoteID else {
                record.phase = .pending
                return
            }
            let remote = try await client.voucher(record.kind, guid: guid)
            record.remoteVersion = remote.timestamp
            if remote.isBooked {
                if record.phase != .booking { progress.adopted += 1 }
                book(&record, number: remote.voucherNumber, version: remote.timestamp, progress: &progress)
            } else {
                record.phase = .created
            }
            try save([record])
        case .sending:
            try await adoptLostCreate(&record, progress: &progress)
        default:
            return
        }
    }

    /// A create whose answer never came. Dinero has no lookup by `ExternalReference`, but a
    /// voucher with a receipt is named by the receipt's `Linked`; without one, the voucher is
    /// sent again and the note says an unbooked draft may be left behind.
    private func adoptLostCreate(_ record: inout DocumentRecord, progress: inout SubmissionProgress) async throws {
        if let fileID = record.fileID, let linked = try await client.fileLinks()[fileID.lowercased()] {
            let remote = try await client.voucher(record.kind, guid: linked)
            if remote.externalReference == nil || remote.externalReference == record.reference {
                record.remoteID = remote.guid
                record.remoteVersion = remote.timestamp
                if remote.isBooked {
                    book(&record, number: remote.voucherNumber, version: remote.timestamp, progress: &progress)
                } else {
                    record.phase = .created
                }
                progress.adopted += 1
                try save([record])
                return
            }
        }
        record.phase = .pending
        record.errorCode = "L001"
        record.errorMessage =
            "an earlier create got no answer; Dinero may hold an unbooked draft with ExternalReference \(record.reference) (delete it there)"
        try save([record])
    }

    private func uploadAttachment(_ record: inout DocumentRecord) async throws {
        guard record.fileID == nil, let path = options.attachmentPath(record.document) else { return }
        guard FileManager.default.fileExists(atPath: path) else {
            throw TargetError.rejected(
                code: nil, message: "the attachment \(path) does not exist; fix the path or the mapping", fields: [:])
        }
        record.fileID = try await client.uploadFile(path: path)
        try save([record])
    }

    private func createVoucher(_ record: inout DocumentRecord, progress: inout SubmissionProgress) async throws {
        record.phase = .sending
        record.attempts += 1
        try save([record])
        do {
            let remote = try await client.createVoucher(record.document, fileGuid: record.fileID)
            record.remoteID = remote.guid
            record.remoteVersion = remote.timestamp
            record.phase = .created
            try save([record])
        } catch TargetError.ambiguous(let reason) {
            try await adoptLostCreate(&record, progress: &progress)
            guard record.phase == .pending else { return }
            guard record.attempts < 3 else { throw TargetError.ambiguous(reason) }
            try await createVoucher(&record, progress: &progress)
        }
    }

    private func bookVoucher(_ record: inout DocumentRecord, progress: inout SubmissionProgress) async throws {
        guard let guid = record.remoteID, let timestamp = record.remoteVersion else { return }
        record.phase = .booking
        try save([record])
        do {
            let remote = try await client.bookVoucher(record.kind, guid: guid, timestamp: timestamp)
            book(&record, number: remote.voucherNumber, version: remote.timestamp, progress: &progress)
            try save([record])
        } catch TargetError.ambiguous, TargetError.stale {
            // Read it back: booked (adopt), or still a draft with a fresh Timestamp (book again, once).
            let remote = try await client.voucher(record.kind, guid: guid)
            record.remoteVersion = remote.timestamp
            if remote.isBooked {
                book(&record, number: remote.voucherNumber, version: remote.timestamp, progress: &progress)
                try save([record])
                return
            }
            record.phase = .created
            try save([record])
            let again = try await client.bookVoucher(record.kind, guid: guid, timestamp: remote.timestamp)
            book(&record, number: again.voucherNumber, version: again.timestamp, progress: &progress)
            try save([record])
        }
    }
}

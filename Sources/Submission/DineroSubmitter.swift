import Checkpoint
import Foundation
public import LedgerModel
public import Targets

/// How a run ended.
public enum RunEnd: Sendable, Equatable {
    /// Every document reached a final phase (booked or rejected).
    case finished
    /// The target cannot be reached or authorized; nothing more was sent.
    case targetRefused(TargetError)
    /// Stopped with documents still open (target down, rate window, interrupted); re-run to resume.
    case stoppedEarly(String)
}

/// What a run did, for the summary and progress.
public struct SubmissionProgress: Sendable {
    /// Documents the run set out to finish.
    public var total = 0
    public var booked = 0
    public var rejected = 0
    public var failed = 0
    public var open = 0
    public var adopted = 0

    public var done: Int { booked + rejected + failed }

    public init() {}
}

/// Sends a job's documents to one Dinero organization, exactly once, and keeps the state file
/// current before and after every call:
///
/// - ledger items are created in batches under ids derived from their references, booked in
///   batches, and polled until booked; a 409 or an unanswered call is settled by asking for the
///   items' status by id;
/// - vouchers are created (after their receipt is uploaded), then booked; an unanswered book is
///   settled by reading the voucher; an unanswered create is settled through its receipt's
///   `Linked` voucher when it has one, and otherwise sent again (Dinero offers no lookup by
///   `ExternalReference`), which can leave an unbooked draft behind but never books twice.
public final class DineroSubmitter: Sendable {
    public struct Options: Sendable {
        /// Ledger items per create and book call.
        public var batchSize = 100
        /// Status polls before a booking is left `booking` for the next run.
        public var statusPolls = 30
        public var pollInterval: TimeInterval = 1
        /// The attachment's path on disk (the mapping has resolved it against the source file's folder).
        public var attachmentPath: @Sendable (Document) -> String? = { $0.attachment }
        /// Told how far the run is, and how many API calls it made, after every voucher and every
        /// batch of ledger items.
        public var onProgress: @Sendable (SubmissionProgress, Int) -> Void = { _, _ in }

        public init() {}
    }

    let client: DineroClient
    let state: StateFile
    let options: Options
    let time: any TimeSource
    let stop: @Sendable () -> Bool

    /// `stop` is asked between calls; when it says yes the run ends early, with the state saved.
    public init(
        client: DineroClient, state: StateFile, options: Options = Options(), time: any TimeSource = SystemTime(),
        stop: @escaping @Sendable () -> Bool = { false }
    ) {
        self.client = client
        self.state = state
        self.options = options
        self.time = time
        self.stop = stop
    }

    struct Stop: Error {
        var end: RunEnd
    }

    public func run() async throws -> (RunEnd, SubmissionProgress) {
        var progress = SubmissionProgress()
        do {
            let open = try state.documents(in: [.pending, .sending, .created, .booking, .failed])
            progress.total = open.count
            let ledger = open.filter { $0.kind == .ledgerItem }
            let vouchers = open.filter { $0.kind != .ledgerItem }
            try await submitLedgerItems(ledger, progress: &progress)
            options.onProgress(progress, await client.calls)
            for record in vouchers {
                if stop() { throw Stop(end: .stoppedEarly("interrupted")) }
                try await submitVoucher(record, progress: &progress)
                options.onProgress(progress, await client.calls)
            }
        } catch let stop as Stop {
            progress.open = try state.openCount()
            return (stop.end, progress)
        }
        progress.open = try state.openCount()
        return (
            progress.open == 0 ? .finished : .stoppedEarly("\(progress.open) documents are not booked yet"), progress
        )
    }

    /// Errors that stop the whole run rather than one document.
    func stopIfFatal(_ error: TargetError) throws {
        switch error {
        case .unauthorized, .forbidden, .notPro: throw Stop(end: .targetRefused(error))
        case .unavailable, .rateLimited, .deprecated: throw Stop(end: .stoppedEarly(error.description))
        default: return
        }
    }

    func save(_ records: [DocumentRecord]) throws { try state.update(records) }

    func reject(_ record: inout DocumentRecord, _ error: TargetError, progress: inout SubmissionProgress) {
        record.phase = .rejected
        record.errorCode = error.code
        record.errorMessage = error.description
        progress.rejected += 1
    }

    func book(_ record: inout DocumentRecord, number: Int?, version: String?, progress: inout SubmissionProgress) {
        record.phase = .booked
        record.voucherNumber = number
        if let version { record.remoteVersion = version }
        if record.errorCode != "L001" {
            // A note about a possible stray draft stays; any other earlier error is over.
            record.errorCode = nil
            record.errorMessage = nil
        }
        progress.booked += 1
    }
}

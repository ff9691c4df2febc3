public import Checkpoint
public import Foundation
public import LedgerModel
import Synchronization
public import Targets

/// How a run ended.
public enum RunEnd: Sendable, Equatable {
    /// Every document reached a final phase (booked or rejected).
    case finished
    /// The target cannot be reached or authorized; nothing more was sent.
    case targetRefused(TargetError)
    /// Stopped with documents still open (target down, rate window, interrupted); re-run to
    /// resume, after `resumeAt` when the target said when.
    case stoppedEarly(String, resumeAt: Date? = nil)
}

/// What a run did, for the summary and progress.
public struct SubmissionProgress: Sendable {
    /// Documents the run set out to finish.
    public var total = 0
    public var booked = 0
    public var rejected = 0
    public var failed = 0
    public var open = 0
    /// Documents found already at the target (booked by an earlier run whose answer was lost).
    public var adopted = 0
    /// Contacts (suppliers) the run created at the target.
    public var contactsCreated = 0

    public var done: Int { booked + rejected + failed }

    public init() {}
}

/// How a ``Submitter`` sends: batch size, status polls, attempts, and who hears of progress.
public struct SubmissionOptions: Sendable {
    /// Documents per create and book call, within what the target takes.
    public var batchSize = 100
    /// Status polls before an asynchronous booking is left `booking` for the next run.
    public var statusPolls = 30
    public var pollInterval: TimeInterval = 1
    /// Sends that got no answer, after which a document is `failed` for this run.
    public var attempts = 3
    /// The attachment's path on disk (the mapping has resolved it against the source file's folder).
    public var attachmentPath: @Sendable (DocumentRecord) -> String? = { $0.attachment }
    /// The organization's accounting year a date falls in, so that when the target refuses to
    /// book because a year is closed, the rest of that year's documents are not sent.
    public var yearOf: @Sendable (LocalDate) -> ReferenceData.AccountingYear? = { _ in nil }
    /// Told how far the run is, and how many API calls it made, after every batch.
    public var onProgress: @Sendable (SubmissionProgress, Int) -> Void = { _, _ in }

    public init() {}
}

/// Sends a job's documents to one organization of a ``Target``, exactly once, and keeps the
/// state file current before and after every call:
///
/// - a document's phase is written before each call and its result after, so a run that stops
///   anywhere leaves `sending` or `booking` behind, never a silent gap;
/// - anything past `pending` is looked up at the target (``Target/lookup(_:)``) before it is
///   sent again; only what the target does not hold is sent again;
/// - documents go in batches as large as the target takes for their kind (and `batchSize`),
///   each batch created, then booked, then followed until booked, so the target never holds
///   more than one batch of ours unbooked;
/// - a refused batch is split until the refused documents stand alone; the rest go on.
public final class Submitter<T: Target>: Sendable {
    public typealias Options = SubmissionOptions

    let target: T
    let state: StateFile
    let options: Options
    let time: any TimeSource
    let stop: @Sendable () -> Bool
    /// Periods the target refused to book in during this run: their other documents are not sent.
    let closedPeriods = Mutex<[ClosedPeriod]>([])
    /// Contacts the target refused to create in this run, by id: their other documents are
    /// rejected with the same reason, without asking again.
    let contactRefusals = Mutex<[String: TargetError]>([:])

    struct ClosedPeriod {
        var name: String
        var from: LocalDate
        var to: LocalDate
        var reason: String
    }

    /// `stop` is asked between calls; when it says yes the run ends early, with the state saved.
    public init(
        target: T, state: StateFile, options: Options = Options(), time: any TimeSource = SystemTime(),
        stop: @escaping @Sendable () -> Bool = { false }
    ) {
        self.target = target
        self.state = state
        self.options = options
        self.time = time
        self.stop = stop
    }

    /// Why the run stops before every document is final.
    struct Stop: Error {
        var end: RunEnd
    }

    /// The job's open documents, a batch at a time; documents the target takes in batches first
    /// (all of a kind together), then the others one by one in file order.
    public func run() async throws -> (RunEnd, SubmissionProgress) {
        var progress = SubmissionProgress()
        do {
            let open = try state.documents(in: [.pending, .sending, .created, .booking, .failed])
            progress.total = open.count
            for kind in DocumentKind.allCases where target.handling(of: kind).batchLimit > 1 {
                let group = open.filter { $0.kind == kind }
                if !group.isEmpty { try await submit(group, progress: &progress) }
            }
            for record in open where target.handling(of: record.kind).batchLimit == 1 {
                try checkStop()
                try await submit([record], progress: &progress)
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

    // MARK: Shared steps

    func checkStop() throws {
        if stop() { throw Stop(end: .stoppedEarly("interrupted")) }
    }

    /// Errors that stop the whole run rather than one document.
    func stopIfFatal(_ error: TargetError) throws {
        switch error {
        case .unauthorized, .forbidden, .notPro: throw Stop(end: .targetRefused(error))
        case .rateLimited(_, let resumeAt): throw Stop(end: .stoppedEarly(error.description, resumeAt: resumeAt))
        case .unavailable, .deprecated: throw Stop(end: .stoppedEarly(error.description))
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

    func book(
        _ record: inout DocumentRecord, id: String, version: String?, number: String?,
        progress: inout SubmissionProgress
    ) {
        record.phase = .booked
        record.remoteID = id
        record.remoteNumber = number
        if let version { record.remoteVersion = version }
        if record.errorCode != JobCode.strayDraft.rawValue {
            // A note about a possible stray draft stays; any other earlier error is over.
            record.errorCode = nil
            record.errorMessage = nil
        }
        progress.booked += 1
    }

    /// Whether a call may have reached the target with the document, so it must be looked up
    /// before it is sent again: it is past `pending`, unless it failed with nothing sent or
    /// answered (a receipt that could not be uploaded, a create the target answered with an error).
    static func mayBeAtTarget(_ record: DocumentRecord) -> Bool {
        switch record.phase {
        case .pending, .booked, .rejected: false
        case .sending, .created, .booking: true
        case .failed: record.remoteID != nil || record.errorCode == TargetError.ambiguous("").code
        }
    }

    /// The document as the target knows it.
    static func sent(_ record: DocumentRecord) -> SentDocument {
        SentDocument(
            reference: record.reference, kind: record.kind, remoteID: record.remoteID,
            remoteVersion: record.remoteVersion, attachmentID: record.attachmentID)
    }
}

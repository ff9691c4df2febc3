public import Foundation
public import LedgerModel

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

/// One document of the job, as the state file keeps it: what the target needs to send it, where
/// it stands there, and the source rows that made it. Target-neutral: each target fills the
/// remote fields with its own ids.
public struct DocumentRecord: Sendable, Hashable {
    public var reference: String
    public var kind: DocumentKind
    public var date: LocalDate
    /// The source rows that made it, for the report.
    public var rows: [SourceRow]
    /// The attachment's path on disk, when it has one.
    public var attachment: String?
    /// The id of a contact the job creates, which must exist before the document is sent.
    public var newContact: String?
    /// The target's wire body, made once when the document was stored (``Target/preflight``).
    /// Nil only in state files written before it was kept: then ``document`` is loaded.
    public var wire: Data?
    /// The mapped document itself: set when storing, and loaded only where ``wire`` is missing.
    public var document: Document?
    public var phase: Phase
    /// The target's id: a voucher guid, or a ledger item id.
    public var remoteID: String?
    /// The target's version of it (Dinero's `Timestamp` or `Version`).
    public var remoteVersion: String?
    /// Its number at the target once booked (a voucher number).
    public var remoteNumber: String?
    /// The uploaded attachment's id at the target.
    public var attachmentID: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var attempts: Int
    /// Position in file order, so documents are sent in the order they were read.
    public var sequence: Int
    /// The source file it is kept under in the job: its path, or the key an inbox gives a file.
    public var file: String

    public init(document: Document, wire: Data?, sequence: Int, file: String? = nil) {
        self.file = file ?? document.provenance.file
        self.reference = document.reference
        self.kind = document.kind
        self.date = document.date
        self.rows = document.provenance.rows
        self.attachment = document.attachment
        self.wire = wire
        self.document = document
        self.phase = .pending
        self.attempts = 0
        self.sequence = sequence
    }

    init(reference: String, kind: DocumentKind, date: LocalDate, rows: [SourceRow], sequence: Int, file: String) {
        self.reference = reference
        self.kind = kind
        self.date = date
        self.rows = rows
        self.sequence = sequence
        self.file = file
        self.phase = .pending
        self.attempts = 0
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

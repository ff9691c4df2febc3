public import Foundation
public import LedgerModel

/// What an accounting system offers the pipeline. One conformance per system, in a folder of
/// its own (`Dinero/`); the submitter, the import job and the reports know only this protocol.
///
/// A document goes through it in this order: ``preflight(_:)`` once, offline, when the document
/// is stored (its answer is the wire body the state file keeps, so a document is translated
/// once); then ``create(_:)`` as a draft, ``book(_:)``, and ``lookup(_:)`` whenever the outcome
/// of a call is unknown. Every method that talks to the system throws ``TargetError``, whose
/// cases say whether the document, the batch or the whole run is at fault.
public protocol Target: Sendable {
    /// The system's name as the state file keeps it: `dinero`.
    var system: String { get }
    /// The organization (company) booked into, as the system names it.
    var organization: String { get }
    /// How fast requests may go, and how long a run may wait for a window.
    var rateLimit: RateLimitPolicy { get }
    /// The currencies it books each kind of document in; validation refuses any other.
    var currencies: CurrencyRules { get }
    /// How it names a line's VAT; a VAT model of another scheme is refused at the start.
    var vatScheme: VatScheme { get }
    /// API calls made so far (sign-in not counted).
    var calls: Int { get async }

    /// Checks, before any write, that the credentials reach the organization and that it may
    /// use the API.
    func checkAccess() async throws(TargetError) -> TargetOrganization
    /// The organization's chart, deposit accounts, VAT codes and years, for validation.
    func referenceData() async throws(TargetError) -> ReferenceData
    /// The organization's contacts, all of them: the suppliers documents name are found among them.
    func contacts() async throws(TargetError) -> [Contact]
    /// The id a contact the job creates gets, derived from its ``ContactReference/creationKey``
    /// (and the organization), so a supplier is created once, under one id, whatever stops a run.
    func newContactID(key: String) -> String
    /// Creates a contact under the id ``newContactID(key:)`` gave it. One that exists with that
    /// id already (an earlier run's create whose answer was lost) counts as created.
    func createContact(_ contact: Contact) async throws(TargetError)

    /// Puts a document in the system's words without sending anything, or says why it cannot
    /// be (a `rejected` error). The answer is kept and sent later as it is.
    func preflight(_ document: Document) throws(TargetError) -> Data
    /// How documents of a kind are sent: alone or in batches, with receipts or without.
    func handling(of kind: DocumentKind) -> DocumentHandling

    /// Uploads a receipt; answers its id at the target.
    func uploadAttachment(path: String) async throws(TargetError) -> String
    /// Creates the documents (all of one kind, at most its batch limit) as drafts. Answers each
    /// one's state by reference. A batch is created whole or not at all.
    func create(_ documents: [OutgoingDocument]) async throws(TargetError) -> [String: RemoteState]
    /// Books drafts (all of one kind). Answers each one's state by reference: `booked`, or
    /// `booking` while the system books it asynchronously (``lookup(_:)`` follows it).
    func book(_ drafts: [SentDocument]) async throws(TargetError) -> [String: RemoteState]
    /// What the system holds of documents whose last call went unanswered or whose outcome is
    /// not final, by reference. Documents it cannot tell about are `unknown`, never `absent`.
    func lookup(_ documents: [SentDocument]) async throws(TargetError) -> [String: RemoteState]
    /// Deletes a draft this run created.
    func deleteDraft(_ draft: SentDocument) async throws(TargetError)
    /// The documents of a batch that a `rejected` error names, by reference, each with the part
    /// of the error that is its own; empty when the error names none (the submitter then splits
    /// the batch to find them).
    func culprits(of error: TargetError, in batch: [SentDocument]) -> [String: TargetError]
}

/// The organization a target reached.
public struct TargetOrganization: Sendable, Equatable {
    public var id: String
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// How a target takes documents of one kind.
public struct DocumentHandling: Sendable, Equatable {
    /// The most documents one create or book call takes (1: one at a time).
    public var batchLimit: Int
    /// Receipts are uploaded before the create and linked to the document.
    public var attachments: Bool
    /// Calls a clean run makes: per batch (create, book, status) and per document.
    public var callsPerBatch: Int
    public var callsPerDocument: Int

    public init(batchLimit: Int, attachments: Bool, callsPerBatch: Int, callsPerDocument: Int) {
        self.batchLimit = batchLimit
        self.attachments = attachments
        self.callsPerBatch = callsPerBatch
        self.callsPerDocument = callsPerDocument
    }
}

/// A document on its way to the target: its wire body from ``Target/preflight(_:)``.
public struct OutgoingDocument: Sendable {
    public var reference: String
    public var kind: DocumentKind
    public var wire: Data
    /// The uploaded receipt's id, when it has one.
    public var attachmentID: String?

    public init(reference: String, kind: DocumentKind, wire: Data, attachmentID: String? = nil) {
        self.reference = reference
        self.kind = kind
        self.wire = wire
        self.attachmentID = attachmentID
    }
}

/// What the job knows of a document that may be at the target.
public struct SentDocument: Sendable, Equatable {
    public var reference: String
    public var kind: DocumentKind
    /// The target's id for it, once a create was answered.
    public var remoteID: String?
    /// The target's version of it (Dinero's `Timestamp` or `Version`), needed to book or delete.
    public var remoteVersion: String?
    public var attachmentID: String?

    public init(
        reference: String, kind: DocumentKind, remoteID: String? = nil, remoteVersion: String? = nil,
        attachmentID: String? = nil
    ) {
        self.reference = reference
        self.kind = kind
        self.remoteID = remoteID
        self.remoteVersion = remoteVersion
        self.attachmentID = attachmentID
    }
}

/// What a target holds of one document.
public enum RemoteState: Sendable, Equatable {
    /// Nothing: sending it is safe.
    case absent
    /// The target cannot be asked (no lookup by reference). Sending again books once, but may
    /// leave a stray draft; the text says where to look.
    case unknown(String)
    /// A draft.
    case draft(id: String, version: String?)
    /// Being booked by the target, asynchronously.
    case booking(id: String, version: String?)
    /// Booked, with its number at the target (voucher number) when it has one.
    case booked(id: String, version: String?, number: String?)
}

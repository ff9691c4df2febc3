public import Checkpoint
import Crypto
import Foundation
import LedgerModel
import Mapping
import Readers
public import Submission
public import Targets
import Validation

/// The import pipeline, once: map and validate the files into the job's state file, book what
/// is open exactly once. `import` runs it for the files it is given; the inbox for each file it
/// takes, against the route's state file. The report is made from the state file afterwards
/// (``JobReport``).
///
/// The caller holds the state file's lock and owns the connection.
public struct ImportJob: Sendable {
    /// A file to import, and the key the state file keeps it under: its path for `import`; for
    /// an inbox, its name and content digest, so the same name dropped again tomorrow is a new file.
    public struct Input: Sendable {
        public var path: String
        public var key: String
        /// Where its relative attachment paths start (default: the file's folder).
        public var attachmentFolder: String?
        /// Its size and digest, when the caller has read them already.
        public var fingerprint: Fingerprint?

        public init(path: String, key: String, attachmentFolder: String? = nil, fingerprint: Fingerprint? = nil) {
            self.path = path
            self.key = key
            self.attachmentFolder = attachmentFolder
            self.fingerprint = fingerprint
        }
    }

    public var mapping: MappingSession
    public var inputs: [Input]
    /// The target's name as the job records it (`sandbox`, `dinero`).
    public var targetName: String
    public var statePath: String
    /// Read the organization's reference data again even if a fresh copy is cached.
    public var refreshReference = false
    public var reader = ReaderOverrides()
    public var validation = ValidationChoices()
    /// How booking goes: batch size, status polls, attempts, who hears of progress.
    public var submission = SubmissionOptions()
    /// The clock status polls wait on.
    public var time: any TimeSource = SystemTime()

    public init(mapping: MappingSession, inputs: [Input], targetName: String, statePath: String) {
        self.mapping = mapping
        self.inputs = inputs
        self.targetName = targetName
        self.statePath = statePath
    }

    public struct Result: Sendable {
        public var outcome: JobOutcome
        public var organization: TargetOrganization?
        public var progress = SubmissionProgress()
        public var calls = 0
        public var state: StateFile?
        /// The inputs the job had mapped completely before this run (the same file again).
        public var alreadyMapped: Set<String> = []

        static func stopped(_ outcome: JobOutcome) -> Result { Result(outcome: outcome) }
    }

    /// Runs the job against the connection's target; `stop` is asked between calls. Throws a
    /// `ValidationSetupError` (reported to the sink) when the validation setup cannot be used.
    public func run(
        connection: TargetConnection, sink: some ProblemSink, stop: @escaping @Sendable () -> Bool = { false }
    ) async throws -> Result {
        try await run(target: connection.target, sink: sink, stop: stop)
    }

    /// Runs the job against `target`.
    public func run<T: Target>(
        target: T, sink: some ProblemSink, stop: @escaping @Sendable () -> Bool = { false }
    ) async throws -> Result {
        let organization: TargetOrganization
        var reference: ReferenceData
        let cache = ReferenceCache(
            path: (statePath as NSString).deletingLastPathComponent
                + "/cache/\(targetName)-\(target.organization).json")
        do {
            organization = try await target.checkAccess()
            if !refreshReference, let cached = cache.load(maxAge: 3600) {
                reference = cached
            } else {
                reference = try await target.referenceData()
                cache.save(reference)
            }
        } catch {
            sink.error("cannot use the organization: \(error)")
            return .stopped(.targetRefused)
        }
        let stateFile = try StateFile(path: statePath)
        let jobRecord = JobRecord(
            mapping: Self.absolute(mapping.path), target: targetName, organization: organization.id)
        if let existing = try stateFile.job() {
            guard existing == jobRecord else {
                sink.error(
                    "\(statePath) belongs to another job (mapping \(existing.mapping), \(existing.target) organization \(existing.organization)). Name another --state, or --restart."
                )
                return .stopped(.unusable)
            }
            sink.note("Resuming the job in \(statePath)")
        } else {
            try stateFile.start(jobRecord)
        }

        let alreadyMapped = Set(try inputs.map(\.key).filter { try stateFile.sourceFile($0)?.mapped == true })
        if mapping.mapping.validation.namesContacts, validation.enabled,
            inputs.contains(where: { !alreadyMapped.contains($0.key) })
        {
            do {
                reference.contacts = try await contacts(of: target, stateFile: stateFile)
            } catch {
                sink.error("cannot read the organization's contacts: \(error)")
                return Result(outcome: .targetRefused, organization: organization, state: stateFile)
            }
        }
        guard try mapAndValidate(into: stateFile, target: target, reference: reference, sink: sink) else {
            return Result(outcome: .unusable, organization: organization, state: stateFile)
        }

        var options = submission
        options.yearOf = { [years = reference.years] date in years.first { $0.from <= date && date <= $0.to } }
        let submitter = Submitter(target: target, state: stateFile, options: options, time: time, stop: stop)
        let (end, progress) = try await submitter.run()
        var result = Result(
            outcome: .done, organization: organization, progress: progress, calls: await target.calls,
            state: stateFile, alreadyMapped: alreadyMapped)
        switch end {
        case .targetRefused(let error):
            sink.error("the target refused: \(error)")
            result.outcome = .targetRefused
        case .stoppedEarly(let reason, let resumeAt):
            sink.note("stopped early (\(reason)); run the same command again to resume")
            result.outcome = .resumeLater(at: resumeAt)
        case .finished:
            break
        }
        return result
    }

    /// The organization's contacts, read once per run when a file is to be mapped, and kept in the
    /// state file: a run within five minutes of the last (an inbox taking several files) uses
    /// that copy, with the contacts the job created since, unless told to read again.
    private func contacts(of target: some Target, stateFile: StateFile) async throws -> [Contact] {
        if !refreshReference, let kept = try stateFile.contacts(maxAge: 300) { return kept }
        let contacts = try await target.contacts()
        try stateFile.replaceContacts(contacts)
        return contacts
    }

    /// A supplier that validation found nowhere and the mapping lets the job create: the contact
    /// the job planned for it already, or a new one under the id the target derives from its
    /// creation key. The document gets the contact's id; a new contact is answered, to store.
    static func newContact(
        in document: inout Document, planned: inout NewContacts, target: some Target
    ) -> (contact: Contact, isNew: Bool)? {
        guard let reference = document.purchase?.contact, reference.create,
            let planned = planned.contact(for: reference, id: target.newContactID)
        else { return nil }
        document.purchase?.contact?.id = planned.contact.id
        return planned
    }

    /// Maps and validates each file once into the state file, each document put in the
    /// target's words once (``Target/preflight(_:)``); a file that changed since is refused.
    /// False when a file (or the job) cannot be used.
    private func mapAndValidate(
        into stateFile: StateFile, target: some Target, reference: ReferenceData, sink: some ProblemSink
    ) throws -> Bool {
        // A setup that cannot be used (a reference or VAT model file) is thrown: it is the
        // configuration's fault, not the files'.
        var choices = validation
        choices.currencies = target.currencies
        choices.target = (target.currencies.system, target.vatScheme)
        let validator = try choices.makeValidator(
            mapping: mapping.mapping.validation, fromTarget: reference, sink: sink)
        var problems = ProblemPrinter(limit: 20, sink: sink)
        var usable = true
        var planned = NewContacts(try stateFile.newContacts())
        for input in inputs {
            let fingerprint: Fingerprint
            do {
                fingerprint = try input.fingerprint ?? Fingerprint(of: input.path)
            } catch {
                sink.error("cannot read \(input.path): \(error)")
                usable = false
                continue
            }
            if let known = try stateFile.sourceFile(input.key) {
                guard known.size == fingerprint.size, known.sha256 == fingerprint.sha256 else {
                    sink.error(
                        "\(input.path) changed since this job first read it (was \(known.size) bytes, sha256 \(known.sha256.prefix(12))…; now \(fingerprint.size) bytes, \(fingerprint.sha256.prefix(12))…). Booking it now could book rows twice or miss some. Put new rows in a new file, or start over with --restart."
                    )
                    return false
                }
                if known.mapped { continue }
            } else {
                try stateFile.record(
                    SourceFileRecord(path: input.key, size: fingerprint.size, sha256: fingerprint.sha256))
            }
            var step = ValidationStep(validator)
            guard
                let (builder, _) = try mapping.open(
                    input.path, overrides: reader, attachmentFolder: input.attachmentFolder,
                    makeCheck: step.makeCheck, sink: sink)
            else {
                usable = false
                continue
            }
            var documents: [DocumentRecord] = []
            var rows: [RowRecord] = []
            var newContacts: [String: Contact] = [:]
            // Stored a chunk at a time, so memory stays bounded whatever the file's size.
            var sequence = try stateFile.phaseCounts().values.reduce(0, +)
            var stored = 0
            var skippedOrRejected = 0
            do {
                while let (mapped, checked) = try builder.nextChecked() {
                    let (event, warnings) = step.apply(
                        mapped, checked: checked, distinct: builder.referencesAreDistinct)
                    if let warnings { problems.report(warnings) }
                    switch event {
                    case .document(var document):
                        do {
                            let contact = Self.newContact(in: &document, planned: &planned, target: target)
                            let wire = try target.preflight(document)
                            var record = DocumentRecord(
                                document: document, wire: wire, sequence: sequence, file: input.key)
                            if let contact {
                                record.newContact = contact.contact.id
                                if contact.isNew { newContacts[contact.contact.id] = contact.contact }
                            }
                            documents.append(record)
                            sequence += 1
                        } catch {
                            let outcome = RowOutcome(
                                file: document.provenance.file, rows: document.provenance.rows,
                                reason: error.description)
                            problems.report(outcome)
                            rows += Self.rowRecords(outcome, key: input.key, status: .rejected, code: error.code)
                        }
                    case .rejected(let outcome):
                        problems.report(outcome)
                        rows += Self.rowRecords(
                            outcome, key: input.key, status: .rejected, code: outcome.diagnostics.first?.code.rawValue)
                    case .skipped(let outcome):
                        rows += Self.rowRecords(outcome, key: input.key, status: .skipped, code: nil)
                    }
                    if documents.count + rows.count >= 1_000 {
                        try stateFile.storeMapped(
                            file: input.key, documents: documents, rows: rows, contacts: Array(newContacts.values),
                            complete: false)
                        newContacts.removeAll()
                        stored += documents.count
                        skippedOrRejected += rows.count
                        documents.removeAll(keepingCapacity: true)
                        rows.removeAll(keepingCapacity: true)
                    }
                }
            } catch {
                try MappingSession.reportStop(error, sink: sink)
                usable = false
                continue
            }
            try stateFile.storeMapped(
                file: input.key, documents: documents, rows: rows, contacts: Array(newContacts.values))
            let controls = builder.controlTotals
            for total in controls where total.agrees {
                sink.note("\(input.path): control total \(total.description) ✓")
            }
            if let refusal = ControlTotal.refusal(controls, file: input.path) {
                sink.error(refusal)
                try stateFile.rejectPending(
                    file: input.key, code: MappingCode.controlTotals.rawValue, message: refusal)
            }
            sink.note(
                "\(input.path): \(stored + documents.count) documents to book, \(skippedOrRejected + rows.count) rows rejected or skipped"
            )
        }
        problems.finish("see the report")
        return usable
    }

    /// A job's name: the mapping's, and a digest of what makes it this job (mapping, files,
    /// target, organization), so the same command finds the same state file.
    public static func name(mapping: String, files: [String], target: String, organization: String?) -> String {
        let stem = ((mapping as NSString).lastPathComponent as NSString).deletingPathExtension
        let identity = ([absolute(mapping)] + files.map(absolute) + [target, organization ?? ""]).joined(
            separator: "\n")
        let digest = SHA256.hash(data: Data(identity.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        return "\(stem)-\(digest)"
    }

    /// A path made absolute and standard, as the job record keeps the mapping's.
    public static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    static func rowRecords(_ outcome: RowOutcome, key: String, status: RowRecord.Status, code: String?) -> [RowRecord] {
        outcome.rows.map { RowRecord(file: key, row: $0, status: status, code: code, message: outcome.reason) }
    }
}

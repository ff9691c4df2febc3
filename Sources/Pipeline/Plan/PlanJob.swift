public import LedgerModel
public import Mapping
public import Targets
import Validation

/// Everything a plan found, for the table or `--json`.
public struct PlanOutput: Encodable {
    public struct FileStats: Encodable {
        public var file: String
        public var stats: MappingStats
        /// The file's own totals against its documents' (`control_totals:`).
        public var controlTotals: [ControlTotal] = []
    }

    public var mapping: String
    public var kind: DocumentKind
    public var files: [FileStats] = []
    public var stoppedFiles: [String] = []
    public var documents: [Document] = []
    public var documentCount = 0
    public var rejected: [RowOutcome] = []
    public var skipped: [RowOutcome] = []
    /// Documents that passed validation with warnings.
    public var warned: [RowOutcome] = []
    public var summary = PlanSummary()
    /// What booking the documents in Dinero takes.
    public var dineroCalls = CallPlan.dinero()

    public var rejectedRows: Int { rejected.reduce(0) { $0 + $1.rows.count } }
    /// A file's documents do not add up to the totals it states: import would send none of them.
    public var controlsDiffer = false
    public var skippedRows: Int { skipped.reduce(0) { $0 + $1.rows.count } }

    init(mapping: String, kind: DocumentKind) {
        self.mapping = mapping
        self.kind = kind
    }

    public mutating func add(_ event: borrowing MappingEvent, keepDocuments: Int) {
        switch event {
        case .document(let document):
            documentCount += 1
            summary.add(document)
            dineroCalls.add(document)
            if documents.count < keepDocuments { documents.append(document) }
        case .rejected(let outcome): rejected.append(outcome)
        case .skipped(let outcome): skipped.append(outcome)
        }
    }

    private enum CodingKeys: String, CodingKey {
        case mapping, kind, files, stoppedFiles, documents, documentCount, rejected, skipped, warned, summary
        case dineroCalls
    }
}

/// `plan`'s job: maps and validates files, nothing sent, and gathers what booking them would
/// take. Every event can be handed on as it comes (`eachEvent`, for JSON Lines).
public struct PlanJob {
    public var mapping: MappingSession
    public var files: [String]
    public var reader = ReaderOverrides()
    public var validation = ValidationChoices()
    /// Documents kept for the table (the totals cover all).
    public var keepDocuments = 20
    /// Row problems passed to the sink (all are in the output); 0 passes none.
    public var maxProblems = 50
    /// Every event, validated, in file order, with its warnings.
    public var eachEvent: ((borrowing MappingEvent) throws -> Void)?

    public init(mapping: MappingSession, files: [String]) {
        self.mapping = mapping
        self.files = files
    }

    /// The plan, and how it ended: `unusable` when no file could be read, `rowsFailed` when
    /// rows were rejected or a file stopped part way. Throws ``UsageError`` when the validation
    /// setup cannot be used (the sink has heard why).
    public func run(sink: some ProblemSink) throws -> (plan: PlanOutput, outcome: JobOutcome) {
        var plan = PlanOutput(mapping: mapping.mapping.name, kind: mapping.mapping.kind)
        let validator: Validator?
        do {
            validator = try validation.offline.makeValidator(mapping: mapping.mapping.validation, sink: sink)
        } catch {
            throw UsageError(error.description)
        }
        var unusable = false
        var problems = ProblemPrinter(limit: maxProblems, sink: sink)
        var step = ValidationStep(validator)
        for file in files {
            guard let (builder, _) = try mapping.open(file, overrides: reader, makeCheck: step.makeCheck, sink: sink)
            else {
                unusable = true
                continue
            }
            do {
                // Each event is lent where the mapping left it: a plan only reads documents (and
                // keeps the few it shows), so none is copied, and each is freed by the thread
                // that mapped it.
                func take(_ event: borrowing MappingEvent, warnings: RowOutcome?) throws {
                    try eachEvent?(event)
                    plan.add(event, keepDocuments: keepDocuments)
                    if let warnings {
                        plan.warned.append(warnings)
                        if maxProblems > 0 { problems.report(warnings) }
                    }
                    switch event {
                    case .rejected(let outcome) where maxProblems > 0: problems.report(outcome)
                    case .rejected, .skipped, .document: break
                    }
                }
                while try builder.withNext({ (event, checked) throws -> Void in
                    switch step.review(event, checked: checked, distinct: builder.referencesAreDistinct) {
                    case .clean: try take(event, warnings: nil)
                    case .kept(let warnings): try take(event, warnings: warnings)
                    case .rejected(let outcome): try take(MappingEvent.rejected(outcome), warnings: nil)
                    }
                }) != nil {}
            } catch {
                try MappingSession.reportStop(error, sink: sink)
                plan.stoppedFiles.append(file)
            }
            let controls = builder.controlTotals
            plan.files.append(
                PlanOutput.FileStats(file: file, stats: step.adjust(builder.stats), controlTotals: controls))
            if let message = ControlTotal.refusal(controls, file: file) {
                sink.error(message)
                plan.controlsDiffer = true
            }
        }
        if maxProblems > 0 { problems.finish("see --json or --jsonl") }
        if unusable || !plan.stoppedFiles.isEmpty { return (plan, plan.files.isEmpty ? .unusable : .rowsFailed) }
        return (plan, plan.rejectedRows > 0 || plan.controlsDiffer ? .rowsFailed : .done)
    }
}

public import LedgerModel
public import Mapping
public import Validation

/// Validation's verdicts on mapped events: a document with errors becomes rejected rows
/// carrying the diagnostics; warnings are handed back and the document goes on. The rules and
/// the run-wide pass are Validation's (``Validator/finish(_:checked:distinctInFile:)``); this
/// step turns verdicts into events and keeps the counts.
public struct ValidationStep {
    public let validator: Validator?
    /// Documents of the current file that validation rejected, and their rows.
    private(set) var rejectedDocuments = 0
    private(set) var rejectedRows = 0
    private(set) var rejectedLines = 0

    public init(_ validator: Validator?) { self.validator = validator }

    /// A check per mapping worker: the document's own checks, run beside the mapping.
    public var makeCheck: (() -> DocumentBuilder.Check)? { validator?.workerCheck }

    /// What validation made of an event: nothing to say (nearly every document), kept with
    /// warnings, or rejected.
    public enum Verdict {
        case clean
        case kept(warnings: RowOutcome)
        case rejected(RowOutcome)
    }

    /// Validates a mapped document where it lies (a lent event is not copied); `checked` is what
    /// ``makeCheck`` said of it already, so only the run-wide pass is left. Lend from a builder
    /// made with ``makeCheck``: without `checked`, the document is checked on a copy, and the
    /// VAT codes the check would rewrite stay as mapped (``apply(_:checked:distinct:)`` checks
    /// an owned document in place). Events that are not documents, and every event without a
    /// validator, are kept. `distinct`: the builder's ``DocumentBuilder/referencesAreDistinct``.
    public mutating func review(
        _ event: borrowing MappingEvent, checked: [Diagnostic]?, distinct: Bool = false
    ) -> Verdict {
        guard let validator else { return .clean }
        switch event {
        case .rejected, .skipped:
            return .clean
        case .document(let document):
            let diagnostics: [Diagnostic]
            if let checked {
                diagnostics = checked
            } else {
                var copy = document
                diagnostics = validator.check(&copy)
            }
            let found = validator.finish(document, checked: diagnostics, distinctInFile: distinct)
            if found.isEmpty { return .clean }
            guard found.contains(where: { $0.severity == .error }) else {
                return .kept(warnings: Self.outcome(document, found))
            }
            rejectedDocuments += 1
            rejectedRows += document.provenance.rowCount
            rejectedLines += document.lines.count
            return .rejected(Self.outcome(document, found))
        }
    }

    static func outcome(_ document: Document, _ diagnostics: [Diagnostic]) -> RowOutcome {
        RowOutcome(
            file: document.provenance.file, rows: document.provenance.rows,
            reason: diagnostics.first { $0.severity == .error }?.message ?? diagnostics[0].message,
            diagnostics: diagnostics)
    }

    /// ``review(_:checked:distinct:)`` for an event the caller owns: the event as validation
    /// leaves it (a rejected document becomes rejected rows), and the warnings of a kept one.
    public mutating func apply(
        _ event: MappingEvent, checked: [Diagnostic]? = nil, distinct: Bool = false
    ) -> (event: MappingEvent, warnings: RowOutcome?) {
        guard let validator, case .document(var document) = event else { return (event, nil) }
        // Without a worker's check, the validator checks the document here, and may fill in what
        // it derives (so it is checked in place, not through `review`'s copy).
        let diagnostics = checked ?? validator.check(&document)
        switch review(MappingEvent.document(document), checked: diagnostics, distinct: distinct) {
        case .clean: return (.document(document), nil)
        case .kept(let warnings): return (.document(document), warnings)
        case .rejected(let outcome): return (.rejected(outcome), nil)
        }
    }

    /// A file's mapping counts with validation's rejections moved from documents to rejected rows.
    public mutating func adjust(_ stats: MappingStats) -> MappingStats {
        var adjusted = stats
        adjusted.documents -= rejectedDocuments
        adjusted.lines -= rejectedLines
        adjusted.rowsInDocuments -= rejectedRows
        adjusted.rowsRejected += rejectedRows
        (rejectedDocuments, rejectedRows, rejectedLines) = (0, 0, 0)
        return adjusted
    }
}

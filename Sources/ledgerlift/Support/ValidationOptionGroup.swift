import ArgumentParser
import Foundation
import LedgerModel
import Mapping
import Validation

/// Validation settings shared by `check`, `plan` and `import`.
struct ValidationOptionGroup: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Reference data: a snapshot of the organization (chart of accounts, deposit accounts, accounting years, "
                + "VAT codes), YAML or JSON.", valueName: "file"))
    var reference: String?

    @Option(
        help: ArgumentHelp(
            "VAT model (default: the reference data's vat_model, else Dinero's Danish codes).", valueName: "file"))
    var vatModel: String?

    @Option(help: ArgumentHelp("The date validation counts as today (default: today).", valueName: "yyyy-mm-dd"))
    var today: String?

    @Option(help: "How many days after today a document may be dated (default: the mapping's, else 7).")
    var futureDays: Int?

    @Flag(help: "Let lines have a zero amount.")
    var allowZeroLines = false

    @Flag(help: "Treat validation warnings as errors.")
    var strict = false

    @Flag(help: "Map only; do not validate the documents.")
    var noValidate = false

    func validate() throws {
        if let today, LocalDate(iso: today) == nil { throw ValidationError("--today is a date like 2026-03-31") }
        if let futureDays, futureDays < 0 { throw ValidationError("--future-days cannot be negative") }
    }

    /// The run's validator, or nil with --no-validate. Prints what cannot be used and exits 2.
    /// `fromTarget` is the organization's own reference data, used unless --reference names a file.
    /// The mapping's `validation:` settings apply where the command line says nothing; a live
    /// organization's data (`fromTarget`) comes before the mapping's snapshot file.
    func makeValidator(
        mapping: ValidationSettings = ValidationSettings(), fromTarget: ReferenceData? = nil
    ) throws
        -> Validator?
    {
        if noValidate { return nil }
        do {
            let referencePath = reference ?? (fromTarget == nil ? mapping.reference : nil)
            let referenceData =
                try referencePath.map { path throws(ValidationSetupError) in
                    try ReferenceData.load(path: path)
                } ?? fromTarget
            let model =
                try (vatModel ?? mapping.vatModel ?? referenceData?.vatModelPath).map {
                    path throws(ValidationSetupError) in
                    try VatModel.load(path: path)
                } ?? VatModel.dineroDenmark
            var options = ValidationOptions(today: today.flatMap { LocalDate(iso: $0) } ?? Self.localToday())
            options.futureDays = futureDays ?? mapping.futureDays ?? 7
            options.allowZeroLines = allowZeroLines || mapping.allowZeroLines == true
            options.strict = strict || mapping.strict == true
            let validator = Validator(vat: model, reference: referenceData, options: options)
            validator.setupDiagnostics.forEach(Console.report)
            return validator
        } catch {
            Console.report(error.diagnostic)
            throw ExitStatus.usage
        }
    }

    static func localToday() -> LocalDate {
        let parts = Calendar.current.dateComponents([.year, .month, .day], from: Date())
        return LocalDate(year: parts.year!, month: parts.month!, day: parts.day!)!
    }
}

/// Runs each mapped document through validation: a document with errors becomes rejected rows
/// carrying the diagnostics; warnings are handed back and the document goes on.
struct ValidationStep {
    let validator: Validator?
    /// Documents of the current file that validation rejected, and their rows.
    private(set) var rejectedDocuments = 0
    private(set) var rejectedRows = 0
    private(set) var rejectedLines = 0

    init(_ validator: Validator?) { self.validator = validator }

    /// A check per mapping worker: the document's own checks, run beside the mapping.
    var makeCheck: (() -> DocumentBuilder.Check)? { validator?.workerCheck }

    /// What validation made of an event: kept (with warnings, if any), or rejected.
    enum Verdict {
        case kept(warnings: RowOutcome?)
        case rejected(RowOutcome)
    }

    /// Validates a mapped document where it lies (a lent event is not copied); `checked` is what
    /// ``makeCheck`` said of it already, so only the run-wide check on references is left. Lend
    /// from a builder made with ``makeCheck``: without `checked`, the document is checked on a
    /// copy, and the VAT codes the check would rewrite stay as mapped (``apply(_:checked:distinct:)``
    /// checks an owned document in place).
    /// Events that are not documents, and every event without a validator, are kept.
    /// `distinct`: the builder's ``DocumentBuilder/referencesAreDistinct``.
    mutating func review(
        _ event: borrowing MappingEvent, checked: [Diagnostic]?, distinct: Bool = false
    ) -> Verdict {
        guard let validator else { return .kept(warnings: nil) }
        switch event {
        case .rejected, .skipped:
            return .kept(warnings: nil)
        case .document(let document):
            var diagnostics: [Diagnostic]
            if let checked {
                diagnostics = checked
            } else {
                var copy = document
                diagnostics = validator.check(&copy)
            }
            if let duplicate = validator.registerReference(of: document, distinctInFile: distinct) {
                diagnostics.append(duplicate)
            }
            if diagnostics.isEmpty { return .kept(warnings: nil) }
            let outcome = RowOutcome(
                file: document.provenance.file, rows: document.provenance.rows,
                reason: diagnostics.first { $0.severity == .error }?.message ?? diagnostics[0].message,
                diagnostics: diagnostics)
            guard diagnostics.contains(where: { $0.severity == .error }) else { return .kept(warnings: outcome) }
            rejectedDocuments += 1
            rejectedRows += document.provenance.rowCount
            rejectedLines += document.lines.count
            return .rejected(outcome)
        }
    }

    /// ``review(_:checked:distinct:)`` for an event the caller owns: the event as validation
    /// leaves it (a rejected document becomes rejected rows), and the warnings of a kept one.
    mutating func apply(
        _ event: MappingEvent, checked: [Diagnostic]? = nil, distinct: Bool = false
    ) -> (event: MappingEvent, warnings: RowOutcome?) {
        guard validator != nil, case .document(var document) = event else { return (event, nil) }
        // Without a worker's check, the validator checks the document here, and may fill in what
        // it derives (so it is checked in place, not through `review`'s copy).
        let diagnostics = checked ?? validator!.check(&document)
        switch review(MappingEvent.document(document), checked: diagnostics, distinct: distinct) {
        case .kept(let warnings): return (.document(document), warnings)
        case .rejected(let outcome): return (.rejected(outcome), nil)
        }
    }

    /// A file's mapping counts with validation's rejections moved from documents to rejected rows.
    mutating func adjust(_ stats: MappingStats) -> MappingStats {
        var adjusted = stats
        adjusted.documents -= rejectedDocuments
        adjusted.lines -= rejectedLines
        adjusted.rowsInDocuments -= rejectedRows
        adjusted.rowsRejected += rejectedRows
        (rejectedDocuments, rejectedRows, rejectedLines) = (0, 0, 0)
        return adjusted
    }
}

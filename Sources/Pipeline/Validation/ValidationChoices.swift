import Foundation
public import LedgerModel
public import Mapping
public import Validation

/// How a run validates: what the command line (or an inbox) chose, over the mapping's
/// `validation:` settings, over the defaults.
public struct ValidationChoices: Sendable {
    /// A reference data snapshot file (`--reference`).
    public var reference: String?
    /// A VAT model file (`--vat-model`).
    public var vatModel: String?
    /// The date validation counts as today (default: today).
    public var today: LocalDate?
    public var futureDays: Int?
    public var allowZeroLines = false
    public var strict = false
    /// Map only; no validation.
    public var enabled = true
    /// The currencies the target books each kind of document in.
    public var currencies: CurrencyRules?

    public init() {}

    /// The run's validator, or nil when validation is off. `fromTarget` is the organization's own
    /// reference data, used unless `reference` names a file; a live organization's data comes
    /// before the mapping's snapshot file. Setup warnings go to `sink`; what cannot be used is
    /// reported and thrown.
    public func makeValidator(
        mapping: ValidationSettings = ValidationSettings(), fromTarget: ReferenceData? = nil, sink: some ProblemSink
    ) throws(ValidationSetupError) -> Validator? {
        guard enabled else { return nil }
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
            var options = ValidationOptions(today: today ?? Self.localToday())
            options.futureDays = futureDays ?? mapping.futureDays ?? 7
            options.allowZeroLines = allowZeroLines || mapping.allowZeroLines == true
            options.strict = strict || mapping.strict == true
            options.currencies = currencies
            let validator = Validator(vat: model, reference: referenceData, options: options)
            validator.setupDiagnostics.forEach(sink.report)
            return validator
        } catch {
            sink.report(error.diagnostic)
            throw error
        }
    }

    static func localToday() -> LocalDate {
        let parts = Calendar.current.dateComponents([.year, .month, .day], from: Date())
        return LocalDate(year: parts.year!, month: parts.month!, day: parts.day!)!
    }
}

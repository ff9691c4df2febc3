import Foundation
public import LedgerModel
public import Mapping
import Targets
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
    /// The lock date (`--locked-before`): documents dated before it are rejected.
    public var lockedBefore: LocalDate?
    public var allowZeroLines = false
    public var strict = false
    /// Map only; no validation.
    public var enabled = true
    /// The currencies the target books each kind of document in.
    public var currencies: CurrencyRules?
    /// How the target names VAT, and its name: a VAT model of another scheme is refused.
    public var target: (system: String, vat: VatScheme)?

    public init() {}

    /// The run's validator, or nil when validation is off. `fromTarget` is the organization's own
    /// reference data, used unless `reference` names a file; a live organization's data comes
    /// before the mapping's snapshot file. Setup warnings go to `sink`; what cannot be used is
    /// reported and thrown.
    public func makeValidator(
        mapping: ValidationSettings = ValidationSettings(), fromTarget: ReferenceData? = nil, sink: some ProblemSink
    ) throws(ValidationSetupError) -> Validator? {
        guard enabled else { return nil }
        do throws(ValidationSetupError) {
            let referencePath = reference ?? (fromTarget == nil ? mapping.reference : nil)
            var referenceData =
                try referencePath.map { path throws(ValidationSetupError) in
                    try ReferenceData.load(path: path)
                } ?? fromTarget
            // Contacts the job read from the target complete a snapshot file that has none.
            if referenceData?.contacts == nil { referenceData?.contacts = fromTarget?.contacts }
            let model =
                try (vatModel ?? mapping.vatModel ?? referenceData?.vatModelPath).map {
                    path throws(ValidationSetupError) in
                    try VatModel.load(path: path)
                } ?? VatModel.dineroDenmark
            if let target, model.shape != target.vat {
                throw ValidationSetupError(
                    .error(
                        ValidationCode.vatModelTarget,
                        "the VAT model \(model.name) names VAT by \(model.shape.name), but \(target.system) takes \(target.vat.name)",
                        hint: target.vat == .codes
                            ? "use a model of VAT codes (mappings/vat/dk-dinero.yaml is Dinero's, and the default), or leave --vat-model and vat_model out"
                            : "use a model of the company's VAT zones and categories",
                        at: SourceLocation(file: model.path)))
            }
            var options = ValidationOptions(today: today ?? Self.localToday())
            options.futureDays = futureDays ?? mapping.futureDays ?? 7
            options.allowZeroLines = allowZeroLines || mapping.allowZeroLines == true
            options.strict = strict || mapping.strict == true
            options.currencies = currencies
            options.lockedBefore = lockedBefore ?? mapping.lockedBefore
            options.createContacts = mapping.contacts == .create
            options.namesContacts = mapping.namesContacts
            let validator = Validator(vat: model, reference: referenceData, options: options)
            validator.setupDiagnostics.forEach(sink.report)
            return validator
        } catch {
            sink.report(error.diagnostic)
            throw error
        }
    }

    /// The choices for `plan` and `check`, which name no target: Dinero's currencies (the one
    /// target so far) unless others are named, and either VAT scheme, so a mapping can be tried
    /// against a Visma.net company's model.
    public var offline: ValidationChoices {
        var choices = self
        if choices.currencies == nil { choices.currencies = DineroClient.currencyRules }
        return choices
    }

    static func localToday() -> LocalDate {
        let parts = Calendar.current.dateComponents([.year, .month, .day], from: Date())
        return LocalDate(year: parts.year!, month: parts.month!, day: parts.day!)!
    }
}

import ArgumentParser
import LedgerModel
import Pipeline

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

    @Option(
        help: ArgumentHelp(
            "The lock date: documents dated before it are rejected without sending (default: the mapping's).",
            valueName: "yyyy-mm-dd"))
    var lockedBefore: String?

    @Flag(help: "Let lines have a zero amount.")
    var allowZeroLines = false

    @Flag(help: "Treat validation warnings as errors.")
    var strict = false

    @Flag(help: "Map only; do not validate the documents.")
    var noValidate = false

    func validate() throws {
        if let today, LocalDate(iso: today) == nil { throw ValidationError("--today is a date like 2026-03-31") }
        if let futureDays, futureDays < 0 { throw ValidationError("--future-days cannot be negative") }
        if let lockedBefore, LocalDate(iso: lockedBefore) == nil {
            throw ValidationError("--locked-before is a date like 2026-01-01")
        }
    }

    /// The options as the pipeline takes them.
    var choices: ValidationChoices {
        var choices = ValidationChoices()
        choices.reference = reference
        choices.vatModel = vatModel
        choices.today = today.flatMap { LocalDate(iso: $0) }
        choices.futureDays = futureDays
        choices.lockedBefore = lockedBefore.flatMap { LocalDate(iso: $0) }
        choices.allowZeroLines = allowZeroLines
        choices.strict = strict
        choices.enabled = !noValidate
        return choices
    }
}

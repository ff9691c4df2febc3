public import LedgerModel

/// The validation diagnostic codes. Documented in `docs/validation.md`; never renumbered.
/// V0xx: the run's setup; V1xx: amounts and balance; V2xx: dates and periods; V3xx: accounts,
/// payment and contacts; V4xx: VAT; V5xx: references.
public enum ValidationCode {
    public static let noReferenceData: DiagnosticCode = "V001"
    public static let setupFile: DiagnosticCode = "V002"
    public static let vatModelTarget: DiagnosticCode = "V003"
    public static let noContacts: DiagnosticCode = "V004"

    public static let unbalanced: DiagnosticCode = "V101"
    public static let zeroLine: DiagnosticCode = "V102"
    public static let tooManyDecimals: DiagnosticCode = "V103"
    public static let noAccount: DiagnosticCode = "V104"
    public static let noLines: DiagnosticCode = "V105"
    public static let currencyNotBooked: DiagnosticCode = "V106"

    public static let futureDate: DiagnosticCode = "V201"
    public static let noAccountingYear: DiagnosticCode = "V202"
    public static let closedYear: DiagnosticCode = "V203"
    public static let beforeLockDate: DiagnosticCode = "V204"

    public static let unknownAccount: DiagnosticCode = "V301"
    public static let balanceSheetOnPurchase: DiagnosticCode = "V302"
    public static let cashWithoutDeposit: DiagnosticCode = "V303"
    public static let notADepositAccount: DiagnosticCode = "V304"
    public static let creditWithoutContact: DiagnosticCode = "V305"
    public static let creditWithoutPaymentDate: DiagnosticCode = "V306"
    public static let creditWithDeposit: DiagnosticCode = "V307"
    public static let cashWithPaymentDate: DiagnosticCode = "V308"
    public static let hiddenAccount: DiagnosticCode = "V309"
    public static let purchaseBalancingAccount: DiagnosticCode = "V310"
    public static let foreignCurrencyCash: DiagnosticCode = "V311"
    public static let unknownContact: DiagnosticCode = "V312"
    public static let ambiguousContact: DiagnosticCode = "V313"
    public static let contactConflict: DiagnosticCode = "V314"
    public static let contactWithoutName: DiagnosticCode = "V315"

    public static let missingVat: DiagnosticCode = "V401"
    public static let unknownVatCode: DiagnosticCode = "V402"
    public static let vatDirection: DiagnosticCode = "V403"
    public static let vatRegion: DiagnosticCode = "V404"
    public static let noVatForPair: DiagnosticCode = "V405"
    public static let unknownZoneOrCategory: DiagnosticCode = "V406"
    public static let vatDirectionUnknown: DiagnosticCode = "V407"
    public static let vatAmount: DiagnosticCode = "V408"

    public static let duplicateReference: DiagnosticCode = "V501"
}

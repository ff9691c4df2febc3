public import LedgerModel

/// The mapping diagnostic codes. Documented in `docs/mapping.md`; never renumbered.
/// M0xx are problems in the mapping file, M1xx problems mapping a row.
public enum MappingCode {
    public static let yamlSyntax: DiagnosticCode = "M001"
    public static let version: DiagnosticCode = "M002"
    public static let unknownKey: DiagnosticCode = "M003"
    public static let wrongType: DiagnosticCode = "M004"
    public static let missingKey: DiagnosticCode = "M005"
    public static let unknownFunction: DiagnosticCode = "M006"
    public static let unknownColumn: DiagnosticCode = "M007"
    public static let unknownName: DiagnosticCode = "M008"
    public static let invalidValue: DiagnosticCode = "M009"
    public static let lookupFile: DiagnosticCode = "M010"
    public static let cannotRead: DiagnosticCode = "M011"
    /// Found with a sample file (`check`): a path that reaches nothing, or several values.
    public static let pathMatchesNothing: DiagnosticCode = "M012"
    public static let pathRepeats: DiagnosticCode = "M013"
    /// A file's documents do not add up to the totals the file states (`control_totals:`).
    public static let controlTotals: DiagnosticCode = "M014"

    public static let notAnAmount: DiagnosticCode = "M101"
    public static let notADate: DiagnosticCode = "M102"
    public static let lookupMiss: DiagnosticCode = "M103"
    public static let missingValue: DiagnosticCode = "M104"
    public static let tooManyDecimals: DiagnosticCode = "M105"
    public static let overflow: DiagnosticCode = "M106"
    public static let groupNotTogether: DiagnosticCode = "M107"
    public static let groupBufferFull: DiagnosticCode = "M108"
    public static let invalidRowValue: DiagnosticCode = "M109"
    public static let bothSides: DiagnosticCode = "M110"
    public static let currencyMismatch: DiagnosticCode = "M111"
    public static let roundingDifference: DiagnosticCode = "M112"
    /// `for_each` lines do not add up to the record's amount they split (`split_of`).
    public static let splitMismatch: DiagnosticCode = "M113"
}

/// A problem that stops mapping a whole file (an invalid mapping, a full group buffer).
public struct MappingError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

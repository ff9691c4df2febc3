public import LedgerModel

/// A problem that stops reading a whole file: it is missing, unreadable, or broken beyond the
/// current record. Row-level problems are not thrown; they travel on the record as diagnostics.
public struct ReadError: Error, Sendable, CustomStringConvertible {
    public var diagnostic: Diagnostic

    public init(_ diagnostic: Diagnostic) { self.diagnostic = diagnostic }

    init(_ code: DiagnosticCode, _ message: String, hint: String? = nil, at location: SourceLocation) {
        self.diagnostic = .error(code, message, hint: hint, at: location)
    }

    public var description: String { diagnostic.description }
}

/// The reader diagnostic codes. Documented in `docs/readers.md`; never renumbered.
public enum ReaderCode {
    public static let fileNotFound: DiagnosticCode = "R001"
    public static let notARegularFile: DiagnosticCode = "R002"
    public static let cannotOpen: DiagnosticCode = "R003"
    public static let emptyFile: DiagnosticCode = "R004"
    public static let fileChanged: DiagnosticCode = "R005"
    public static let ioError: DiagnosticCode = "R006"
    public static let invalidBytes: DiagnosticCode = "R010"
    public static let unterminatedQuote: DiagnosticCode = "R020"
    public static let recordTooLarge: DiagnosticCode = "R021"
    public static let fieldCount: DiagnosticCode = "R022"
    public static let headerName: DiagnosticCode = "R023"
    public static let noHeader: DiagnosticCode = "R024"
    public static let malformedJSON: DiagnosticCode = "R030"
    public static let recordPathNotFound: DiagnosticCode = "R031"
    public static let recordNotObject: DiagnosticCode = "R032"
    public static let tooDeep: DiagnosticCode = "R033"
    public static let malformedXML: DiagnosticCode = "R040"
    public static let unsafeXML: DiagnosticCode = "R041"
    /// Chosen records could not be copied out of a file in its own format (inbox rejected rows).
    public static let subsetNotCopied: DiagnosticCode = "R050"
}

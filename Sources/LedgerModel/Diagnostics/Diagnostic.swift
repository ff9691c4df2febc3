/// A problem found in the input, the mapping or a document, with a stable code and a location.
///
/// Row problems are diagnostics, not thrown errors: the row gets a status, the run goes on.
/// Printed in the compiler style: `file:line:col: error: [R022] message`.
public struct Diagnostic: Sendable, Hashable, Codable {
    /// How bad it is. Errors block the row or document; warnings let it pass.
    public enum Severity: String, Sendable, Hashable, Codable, Comparable {
        case note, warning, error

        private var rank: Int {
            switch self {
            case .note: 0
            case .warning: 1
            case .error: 2
            }
        }

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    /// Stable code such as `R022`; documented, safe to match on in scripts.
    public var code: DiagnosticCode
    public var severity: Severity
    /// What is wrong, in plain words. Never contains secrets.
    public var message: String
    /// What to do about it, when there is something to say.
    public var hint: String?
    public var location: SourceLocation?

    public init(
        _ severity: Severity, _ code: DiagnosticCode, _ message: String, hint: String? = nil,
        at location: SourceLocation? = nil
    ) {
        self.severity = severity
        self.code = code
        self.message = message
        self.hint = hint
        self.location = location
    }

    public static func error(
        _ code: DiagnosticCode, _ message: String, hint: String? = nil, at location: SourceLocation? = nil
    ) -> Diagnostic {
        Diagnostic(.error, code, message, hint: hint, at: location)
    }

    public static func warning(
        _ code: DiagnosticCode, _ message: String, hint: String? = nil, at location: SourceLocation? = nil
    ) -> Diagnostic {
        Diagnostic(.warning, code, message, hint: hint, at: location)
    }
}

extension Diagnostic: CustomStringConvertible {
    /// `file:line:col: error: [R022] message (hint)`.
    public var description: String {
        var text = ""
        if let location {
            text += location.compilerStyle + ": "
        }
        text += "\(severity.rawValue): [\(code.rawValue)] \(message)"
        if let element = location?.element { text += " (at \(element))" }
        if let hint { text += "; \(hint)" }
        return text
    }
}

/// A stable diagnostic code. The letter names the stage (R readers, M mapping, V validation,
/// S submission); the number never changes meaning once released.
public struct DiagnosticCode: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
}

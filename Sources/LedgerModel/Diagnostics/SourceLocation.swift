/// Where something came from: a file, and inside it a line, column, element path or field.
///
/// Every record, document and diagnostic carries one, so a problem can always be traced back to
/// the bytes that caused it.
public struct SourceLocation: Sendable, Hashable, Codable {
    /// The file as the user named it (not resolved), so messages match what they typed.
    public var file: String
    /// 1-based line, when the format has lines.
    public var line: Int?
    /// 1-based column, when known.
    public var column: Int?
    /// The element path (XML) or record path (JSON), e.g. `/AuditFile/Journal/Transaction[3]`.
    public var element: String?
    /// The field (column name or path) the problem is about.
    public var field: String?

    public init(file: String, line: Int? = nil, column: Int? = nil, element: String? = nil, field: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.element = element
        self.field = field
    }

    /// `file:line:column` as compilers print it; absent parts are left out.
    public var compilerStyle: String {
        var text = file
        if let line {
            text += ":\(line)"
            if let column { text += ":\(column)" }
        }
        return text
    }
}

extension SourceLocation: CustomStringConvertible {
    public var description: String {
        var text = compilerStyle
        if let element { text += " (\(element))" }
        if let field { text += " [field \(field)]" }
        return text
    }
}

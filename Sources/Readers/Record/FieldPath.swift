/// A path to a value inside a JSON or XML record, compiled once and used for every record.
///
/// JSON paths are dotted (`customer.name`, `lines.amount`, `lines[0].amount`); XML paths use
/// slashes (`Header/Date`, `Line/@id`, `Line/Amount`, `{urn:x}Amount`, `ns:Amount` with a
/// namespace table). Array items and repeated elements are all matched: `lines.amount` is every
/// line's amount, the first of them when one value is asked for.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public struct Step: Sendable, Hashable {
        /// Local name; attributes start with `@`; `*` matches any element.
        public var name: String
        /// Namespace URI to match, or nil to match by local name alone.
        public var namespace: String?
        /// Pick the n-th match (JSON 0-based, XML 1-based as in XPath), or nil for all.
        public var index: Int?

        public init(name: String, namespace: String? = nil, index: Int? = nil) {
            self.name = name
            self.namespace = namespace
            self.index = index
        }
    }

    public var steps: [Step]
    /// The text the path was written as.
    public var description: String

    public init(steps: [Step], description: String) {
        self.steps = steps
        self.description = description
    }

    /// Errors in a written path, e.g. an unknown namespace prefix.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Parses a path. `separator` is `.` for JSON and `/` for XML; `namespaces` maps prefixes
    /// to URIs for XML paths written as `prefix:name`.
    public init(_ text: String, separator: Character, namespaces: [String: String] = [:]) throws {
        var steps: [Step] = []
        var trimmed = Substring(text)
        while trimmed.first == separator { trimmed = trimmed.dropFirst() }
        for raw in Self.split(trimmed, separator: separator) {
            guard !raw.isEmpty else {
                throw ParseError(description: "path `\(text)` has an empty step")
            }
            var part = Substring(raw)
            var index: Int?
            if part.hasSuffix("]"), let open = part.lastIndex(of: "[") {
                guard let n = Int(part[part.index(after: open)..<part.index(before: part.endIndex)]), n >= 0 else {
                    throw ParseError(description: "path `\(text)`: `\(raw)` has an index that is not a number")
                }
                index = n
                part = part[..<open]
            }
            var namespace: String?
            if part.first == "{", let close = part.firstIndex(of: "}") {
                namespace = String(part[part.index(after: part.startIndex)..<close])
                part = part[part.index(after: close)...]
            } else if let colon = part.firstIndex(of: ":"), separator == "/" {
                let prefix = String(part[..<colon].drop { $0 == "@" })
                guard let uri = namespaces[prefix] else {
                    throw ParseError(
                        description:
                            "path `\(text)` uses the namespace prefix `\(prefix)`, which is not declared; "
                            + "add it under `namespaces:` or match by local name without a prefix")
                }
                namespace = uri
                part = (part.first == "@" ? "@" : "") + part[part.index(after: colon)...]
            }
            steps.append(Step(name: String(part), namespace: namespace, index: index))
        }
        self.init(steps: steps, description: text)
    }

    /// Splits on the separator, but not inside `{…}` (namespace URIs hold dots and slashes).
    private static func split(_ text: Substring, separator: Character) -> [Substring] {
        var parts: [Substring] = []
        var depth = 0
        var start = text.startIndex
        for i in text.indices {
            switch text[i] {
            case "{": depth += 1
            case "}": depth = max(0, depth - 1)
            case separator where depth == 0:
                parts.append(text[start..<i])
                start = text.index(after: i)
            default: break
            }
        }
        parts.append(text[start...])
        return parts
    }
}

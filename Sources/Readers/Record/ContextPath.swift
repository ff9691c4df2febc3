/// A field outside the record that a mapping reads beside it: a value of one of the record's
/// ancestors (`../JournalID`: the `JournalID` of the element that holds the record), or a path
/// from the document's root (`/AuditFile/Header/DefaultCurrencyCode`; JSON `/meta.currency`).
///
/// Readers keep the latest value of each such path met before the record, while they stream, and
/// forget it when the element (or object) that holds it starts again: the second journal's
/// transactions never see the first journal's id. Values that come after the records in the file
/// (a trailer) are not seen by them.
public enum ContextPath {
    /// Whether a field name the mapping uses is a context path.
    public static func isContext(_ name: String) -> Bool {
        name.hasPrefix("/") || name.hasPrefix("../")
    }

    public struct ResolveError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The path's steps from the document's root. `recordSteps`: the record path's steps from the
    /// root; nil when the records are matched at any depth (`//Transaction`), where `../` has no
    /// fixed meaning.
    public static func resolve(
        _ written: String, recordSteps: [FieldPath.Step]?, separator: Character, namespaces: [String: String] = [:]
    ) throws(ResolveError) -> [FieldPath.Step] {
        var rest = Substring(written)
        var up = 0
        if rest.hasPrefix("/") {
            rest = rest.dropFirst()
        } else {
            while rest.hasPrefix("../") {
                up += 1
                rest = rest.dropFirst(3)
            }
        }
        let steps: [FieldPath.Step]
        do {
            steps = try FieldPath(String(rest), separator: separator, namespaces: namespaces).steps
        } catch {
            throw ResolveError(description: "\(error)")
        }
        guard !steps.isEmpty else { throw ResolveError(description: "`\(written)` names no field") }
        if steps.dropLast().contains(where: { $0.name.hasPrefix("@") }) {
            throw ResolveError(description: "`\(written)`: only the last step may be an attribute")
        }
        guard up > 0 else { return steps }
        guard let recordSteps else {
            throw ResolveError(
                description:
                    "`\(written)` climbs from the record, but the records are matched at any depth (`//`); name the record path from the root, or use a path from the root (`/…`)"
            )
        }
        // An XML record's outermost ancestor is the root element; a JSON record's is the object
        // (or array) the whole document is.
        let ancestors = separator == "/" ? recordSteps.count - 1 : recordSteps.count
        guard up <= ancestors else {
            throw ResolveError(
                description: "`\(written)` climbs \(up) levels from the record, which has \(ancestors) above it")
        }
        return Array(recordSteps.dropLast(up)) + steps
    }
}

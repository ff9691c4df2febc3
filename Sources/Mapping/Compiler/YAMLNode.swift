import LedgerModel
import Yams

/// Helpers for reading a YAML node with its place in the mapping file.
extension Node {
    /// The scalar's text, or nil for mappings and sequences.
    var text: String? {
        if case .scalar(let scalar) = self { return scalar.string }
        return nil
    }

    /// True for `~`, `null` and an empty value.
    var isNull: Bool {
        if case .scalar(let scalar) = self { return scalar.style == .plain && self.null != nil }
        return false
    }

    /// True for an unquoted number (`55000`, `0.25`).
    var isPlainNumber: Bool {
        if case .scalar(let scalar) = self {
            return scalar.style == .plain && (self.int != nil || (self.float.map { $0.isFinite } ?? false))
        }
        return false
    }

    var kindName: String {
        switch self {
        case .scalar: isNull ? "nothing" : "a value"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// The key/value pairs with string keys, in order.
    var pairs: [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = self else { return nil }
        return mapping.map { (key: $0.key.text ?? "", keyNode: $0.key, value: $0.value) }
    }

    var items: [Node]? {
        if case .sequence(let sequence) = self { return Array(sequence) }
        return nil
    }
}

/// The closest allowed word within two edits, for "did you mean".
func suggestion(for word: String, among candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1]
            for (j, cb) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    let lower = Array(word.lowercased())
    let best = candidates.map { ($0, distance(lower, Array($0.lowercased()))) }.min { $0.1 < $1.1 }
    guard let best, best.1 <= 2, best.1 < word.count else { return nil }
    return best.0
}

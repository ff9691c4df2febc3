/// Which rules can never apply: with the first rule that holds applying, a rule whose `when`
/// holds only where an earlier rule's holds too is never reached (hledger applies every
/// matching block, the later winning; a port that keeps hledger's order hits this). Decided
/// conservatively: "cannot tell" is never a warning.
extension Condition {
    /// Whether this condition holding means `other` holds too.
    func implies(_ other: Condition) -> Bool {
        switch (self, other) {
        case (_, .all(let parts)): return parts.allSatisfy { implies($0) }
        case (_, .any(let parts)): return parts.contains { implies($0) }
        case (.all(let parts), _): return parts.contains { $0.implies(other) }
        case (.any(let parts), _): return parts.allSatisfy { $0.implies(other) }
        case (.test(let field, let test, _), .test(let otherField, let otherTest, _)):
            return field == otherField && test.implies(otherTest)
        default: return false
        }
    }
}

extension Test {
    /// Whether a value that passes this test passes `other` too, for the text tests.
    func implies(_ other: Test) -> Bool {
        // The value this test pins down, or the text it needs at the start, end or anywhere.
        guard let theirs = other.text, let mine = text else { return false }
        // A test that ignores case does not imply one that heeds it.
        if mine.ignoreCase && !theirs.ignoreCase { return false }
        let fold = theirs.ignoreCase
        let a = fold ? mine.value.lowercased() : mine.value
        let b = fold ? theirs.value.lowercased() : theirs.value
        switch (self, other) {
        case (.equals, .equals): return a == b
        case (.equals, .contains), (.startsWith, .contains), (.endsWith, .contains), (.contains, .contains):
            return a.contains(b)
        case (.equals, .startsWith), (.startsWith, .startsWith): return a.hasPrefix(b)
        case (.equals, .endsWith), (.endsWith, .endsWith): return a.hasSuffix(b)
        case (.equals, .oneOf(let set, _)): return Set(set.map { fold ? $0.lowercased() : $0 }).contains(a)
        case (.oneOf(let mineSet, _), .oneOf(let theirSet, _)):
            let folded = Set(mineSet.map { fold ? $0.lowercased() : $0 })
            return folded.isSubset(of: Set(theirSet.map { fold ? $0.lowercased() : $0 }))
        default: return false
        }
    }

    private var text: (value: String, ignoreCase: Bool)? {
        switch self {
        case .equals(let value, let ignoreCase): (value, ignoreCase)
        case .contains(let bytes, let ignoreCase), .startsWith(let bytes, let ignoreCase),
            .endsWith(let bytes, let ignoreCase):
            (String(decoding: bytes, as: UTF8.self), ignoreCase)
        case .oneOf(let set, let ignoreCase): (set.sorted().joined(separator: "\u{0}"), ignoreCase)
        default: nil
        }
    }
}

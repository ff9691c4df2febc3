import LedgerModel

/// Remembers which of a list of conditions (the skip rules, or the rules) first held for a row's
/// field values. The conditions depend only on the fields they read, and bank texts repeat (the
/// same shops, rent, wages), so evaluating a dozen conditions again for a text seen before is
/// wasted work. Exact: an entry keeps the field bytes it was made from and is used only when they
/// are equal. Bounded: cleared when full. Each list has its own memo, keyed by its own fields, so
/// a skip rule on the amount does not spoil the rules' memo on the text.
///
/// Not used when a condition reads a variable, whose value could come from elsewhere.
struct RuleMemo {
    /// The index of the first condition that held, or none.
    typealias Outcome = Int?

    private let refs: [FieldRef]
    private var key: [UInt8] = []
    private var table: [Int: (key: [UInt8], outcome: Outcome)] = [:]
    private var lastHash = 0
    private var lookups = 0
    private var hits = 0
    /// Set when remembering does not pay: fewer than half the first lookups were hits.
    private(set) var retired = false
    static let limit = 65_536

    /// nil when the conditions cannot be remembered (they read variables, or nothing).
    init?(_ conditions: [Condition?]) {
        var refs: [FieldRef] = []
        var readsVariables = false
        func collect(_ condition: Condition) {
            switch condition {
            case .all(let parts), .any(let parts): parts.forEach(collect)
            case .not(let inner): collect(inner)
            case .test(let ref, _, _):
                if case .variable = ref { readsVariables = true }
                if !refs.contains(ref) { refs.append(ref) }
            }
        }
        conditions.forEach { $0.map(collect) }
        guard !readsVariables, !refs.isEmpty else { return nil }
        self.refs = refs
    }

    /// The remembered outcome for this row's fields, or nil when there is none yet.
    mutating func lookup(_ row: RowState, _ evaluator: Evaluator) throws(EvalFailure) -> Outcome? {
        if retired { return nil }
        lookups += 1
        if lookups == 8192 && hits < lookups / 2 {
            // Values hardly repeat (amounts, references): stop paying for the table.
            retired = true
            table = [:]
            return nil
        }
        key.removeAll(keepingCapacity: true)
        for ref in refs {
            let present = try evaluator.withField(ref, row) { (bytes) throws(EvalFailure) -> Bool in
                key.append(contentsOf: bytes)
                return true
            }
            key.append(present == nil ? 0x1E : 0x1F)
        }
        let hash = key.withUnsafeBytes { bytes in
            var hasher = Hasher()
            hasher.combine(bytes: bytes)
            return hasher.finalize()
        }
        lastHash = hash
        if let entry = table[hash], entry.key == key {
            hits += 1
            return .some(entry.outcome)
        }
        return nil
    }

    /// Remembers the outcome for the fields of the last `lookup`.
    mutating func store(_ outcome: Outcome) {
        if retired { return }
        if table.count >= Self.limit { table.removeAll(keepingCapacity: true) }
        table[lastHash] = (key, outcome)
    }
}

import LedgerModel
import Readers

/// A value in a record or a run. Fields are slots, resolved once per file to a column index or
/// a path, so evaluating a row never looks a name up.
enum FieldRef: Sendable, Hashable {
    /// A field of the record, by slot in ``CompiledMapping/fields``.
    case slot(Int)
    /// A variable, by index in ``CompiledMapping/variables``.
    case variable(Int)
}

/// A piece of a text template: `"{Tekst} ({Bilag})"`.
enum TemplatePart: Sendable {
    case literal(String)
    case field(FieldRef)
}

/// What an expression yields. The compiler checks each expression against the type its
/// destination needs, so a sum never lands in a description.
enum ValueType: String, Sendable {
    case text, amount, date
}

/// A compiled expression: a value from the record, a constant, or a computation.
indirect enum Expr: Sendable {
    // Text
    case constant(String)
    case field(FieldRef)
    case template([TemplatePart])
    case trim(Expr)
    case upper(Expr)
    case lower(Expr)
    case replace(Expr, RegexBox, with: String)
    /// The first operand that is not empty.
    case firstOf([Expr])
    case lookup(table: Int, key: Expr, fallback: String?)
    case conditional(Condition, then: Expr, else: Expr?)
    // Amounts
    /// Text read as an amount with a given format (nil: the mapping's locale).
    case amount(Expr, AmountFormat?)
    case sum([Expr])
    case difference(Expr, Expr)
    case negate(Expr)
    case absolute(Expr)
    case multiply(Expr, by: ExactDecimal, rounding: RoundingMode?)
    case divide(Expr, by: ExactDecimal, rounding: RoundingMode)
    /// Debit minus credit; an empty side counts as zero.
    case debitCredit(debit: Expr?, credit: Expr?)
    // Dates
    case date(Expr, DateFormat?)

    /// The type this expression yields on its own (text may still be read as an amount or a date).
    var type: ValueType {
        switch self {
        case .amount, .sum, .difference, .negate, .absolute, .multiply, .divide, .debitCredit: .amount
        case .date: .date
        case .conditional(_, let then, _): then.type
        default: .text
        }
    }
}

/// A compiled `when:`.
indirect enum Condition: Sendable {
    case all([Condition])
    case any([Condition])
    case not(Condition)
    case test(FieldRef, Test, name: String)
}

/// One test on a field's value.
indirect enum Test: Sendable {
    case equals(String, ignoreCase: Bool)
    case contains([UInt8], ignoreCase: Bool)
    case startsWith([UInt8], ignoreCase: Bool)
    case endsWith([UInt8], ignoreCase: Bool)
    case matches(RegexBox, id: Int)
    case oneOf(Set<String>, ignoreCase: Bool)
    case empty(Bool)
    case compare(Comparison, ExactDecimal)
    case negated(Test)

    enum Comparison: String, Sendable {
        case gt, gte, lt, lte
    }
}

/// A compiled regular expression. Swift's `Regex` is not `Sendable`; this box only hands out
/// matches and is never mutated after compiling, so sharing it is safe.
final class RegexBox: @unchecked Sendable {
    let pattern: String
    let regex: Regex<AnyRegexOutput>

    init(pattern: String, ignoreCase: Bool) throws {
        self.pattern = pattern
        let compiled = try Regex(pattern)
        self.regex = ignoreCase ? compiled.ignoresCase() : compiled
    }

    func matches(_ text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }

    /// Replaces every match; `$1`…`$9` in `replacement` stand for the match's groups, `$0` for
    /// the whole match, `$$` for a dollar sign.
    func replacing(in text: String, with replacement: String) -> String {
        guard replacement.contains("$") else { return text.replacing(regex, with: replacement) }
        return text.replacing(regex) { match -> String in
            var out = ""
            var chars = replacement[...]
            while let c = chars.popFirst() {
                guard c == "$", let next = chars.first else {
                    out.append(c)
                    continue
                }
                if next == "$" {
                    out.append("$")
                    chars.removeFirst()
                } else if let n = next.wholeNumberValue, n < match.output.count {
                    out += match.output[n].substring.map(String.init) ?? ""
                    chars.removeFirst()
                } else {
                    out.append(c)
                }
            }
            return out
        }
    }
}

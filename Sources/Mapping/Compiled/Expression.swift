import LedgerModel
import Readers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

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

/// A compiled expression: a value from the record, a constant, or a computation. Only the
/// cases that hold an expression are boxed: constants and fields, which nearly every row reads,
/// sit inline, so reading them counts no references on storage every worker thread shares.
enum Expr: Sendable {
    // Text
    case constant(String)
    case field(FieldRef)
    case template([TemplatePart])
    indirect case trim(Expr)
    indirect case upper(Expr)
    indirect case lower(Expr)
    indirect case replace(Expr, RegexBox, with: String)
    /// The first operand that is not empty.
    case firstOf([Expr])
    /// Every value a JSON/XML path reaches (`RmtInf/Ustrd` twice), joined; a CSV field or a
    /// variable is its one value.
    indirect case join(FieldRef, separator: String)
    indirect case lookup(table: Int, key: Expr, fallback: String?)
    indirect case conditional(Condition, then: Expr, else: Expr?)
    // Amounts
    /// Text read as an amount with a given format (nil: the mapping's locale).
    indirect case amount(Expr, AmountFormat?)
    case sum([Expr])
    indirect case difference(Expr, Expr)
    indirect case negate(Expr)
    indirect case absolute(Expr)
    indirect case multiply(Expr, by: ExactDecimal, rounding: RoundingMode?)
    indirect case divide(Expr, by: ExactDecimal, rounding: RoundingMode)
    /// Debit minus credit; an empty side counts as zero. A row with both sides non-zero is
    /// rejected unless `netBoth` (the mapping's `both: net`).
    indirect case debitCredit(debit: Expr?, credit: Expr?, netBoth: Bool)
    // Dates
    indirect case date(Expr, DateFormat?)

    /// What an expression reads: nothing (a constant), variables only (its value then follows
    /// from the variables alone), or the record.
    enum VariableUse: Comparable {
        case nothing, variablesOnly, record
    }

    var variableUse: VariableUse {
        switch self {
        case .constant: return .nothing
        case .field(.variable): return .variablesOnly
        case .field(.slot): return .record
        case .template(let parts):
            return parts.reduce(.nothing) { use, part in
                switch part {
                case .literal: use
                case .field(.variable): max(use, .variablesOnly)
                case .field(.slot): .record
                }
            }
        case .trim(let inner), .upper(let inner), .lower(let inner): return inner.variableUse
        default: return .record
        }
    }

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

/// A compiled `when:`. Tests sit inline; only `not` is boxed.
enum Condition: Sendable {
    case all([Condition])
    case any([Condition])
    indirect case not(Condition)
    case test(FieldRef, Test, name: String)
}

/// One test on a field's value. Only `negated` is boxed.
enum Test: Sendable {
    case equals(String, ignoreCase: Bool)
    case contains([UInt8], ignoreCase: Bool)
    case startsWith([UInt8], ignoreCase: Bool)
    case endsWith([UInt8], ignoreCase: Bool)
    case matches(RegexBox)
    case oneOf(Set<String>, ignoreCase: Bool)
    case empty(Bool)
    case compare(Comparison, ExactDecimal)
    indirect case negated(Test)

    enum Comparison: String, Sendable {
        case gt, gte, lt, lte
    }
}

/// A compiled POSIX extended regular expression (the dialect hledger's rules use), matched on
/// UTF-8 bytes by the C library's engine: fast, and with no per-match allocation. Compiled once;
/// `regexec` may be used from several threads on one compiled expression.
final class RegexBox: @unchecked Sendable {
    let pattern: String
    private let regex: UnsafeMutablePointer<regex_t>
    /// Capture groups the pattern has (for `replace`).
    let groups: Int
    /// Whether case is ignored: the text is then folded like the pattern (Latin-1 letters) and
    /// the engine folds ASCII.
    let ignoreCase: Bool
    /// The pattern's texts when it is only literal alternatives (`netto|rema|føtex`), found
    /// without the engine: nil otherwise.
    let literals: LiteralSet?

    struct PatternError: Error, CustomStringConvertible {
        let description: String
    }

    init(pattern: String, ignoreCase: Bool) throws {
        self.pattern = pattern
        self.ignoreCase = ignoreCase
        regex = .allocate(capacity: 1)
        // Case folding for non-ASCII Latin letters is not in the C locale: fold the pattern's
        // (Æ → æ …) as the text is folded, and let REG_ICASE handle ASCII.
        let compiledPattern =
            ignoreCase ? String(decoding: CaseFolding.foldLatin1(Array(pattern.utf8)), as: UTF8.self) : pattern
        let flags = REG_EXTENDED | (ignoreCase ? REG_ICASE : 0)
        let status = regcomp(regex, compiledPattern, flags)
        guard status == 0 else {
            var message = [CChar](repeating: 0, count: 256)
            regerror(status, regex, &message, message.count)
            regex.deallocate()
            throw PatternError(
                description: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        groups = regex.pointee.re_nsub
        literals = LiteralSet.alternatives(of: pattern, ignoreCase: ignoreCase).map(LiteralSet.init)
    }

    deinit {
        regfree(regex)
        regex.deallocate()
        literals?.deallocate()
    }

    /// Whether the pattern matches somewhere in `text` (NUL-terminated UTF-8).
    func matches(_ text: UnsafePointer<CChar>) -> Bool {
        regexec(regex, text, 0, nil, 0) == 0
    }

    /// Replaces every match; `$1`…`$9` in `replacement` stand for the match's groups, `$0` for
    /// the whole match, `$$` for a dollar sign.
    func replacing(in text: String, with replacement: String) -> String {
        var input = Array(text.utf8CString)
        var out: [UInt8] = []
        var matches = [regmatch_t](repeating: regmatch_t(), count: groups + 1)
        var offset = 0
        let total = input.count - 1
        let template = Array(replacement.utf8)
        while offset <= total {
            let found = input.withUnsafeMutableBufferPointer { buffer in
                regexec(regex, buffer.baseAddress! + offset, groups + 1, &matches, offset > 0 ? REG_NOTBOL : 0) == 0
            }
            guard found else { break }
            let start = offset + Int(matches[0].rm_so)
            let end = offset + Int(matches[0].rm_eo)
            out += input[offset..<start].map { UInt8(bitPattern: $0) }
            var i = 0
            while i < template.count {
                let c = template[i]
                if c == UInt8(ascii: "$"), i + 1 < template.count {
                    let next = template[i + 1]
                    if next == UInt8(ascii: "$") {
                        out.append(c)
                        i += 2
                        continue
                    }
                    if next >= 0x30, next <= 0x39, Int(next - 0x30) <= groups {
                        let group = matches[Int(next - 0x30)]
                        if group.rm_so >= 0 {
                            out += input[(offset + Int(group.rm_so))..<(offset + Int(group.rm_eo))].map {
                                UInt8(bitPattern: $0)
                            }
                        }
                        i += 2
                        continue
                    }
                }
                out.append(c)
                i += 1
            }
            if end == start {
                // An empty match: keep one character and move on.
                if start < total { out.append(UInt8(bitPattern: input[start])) }
                offset = start + 1
            } else {
                offset = end
            }
        }
        if offset < total { out += input[offset..<total].map { UInt8(bitPattern: $0) } }
        input.removeAll()
        return String(decoding: out, as: UTF8.self)
    }
}

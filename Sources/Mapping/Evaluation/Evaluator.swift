import LedgerModel
import Readers

/// Why a row could not be mapped: a code, a message without row values, and the field.
struct EvalFailure: Error {
    var code: DiagnosticCode
    var message: String
    var hint: String?
    var field: String?
}

/// One row being mapped: the record, the group item a `for_each` line is at, and the variables.
///
/// The record is reached through a pointer, so copying a row (or making one) copies no record
/// and counts no references on its buffers. ``RowMapper/map(_:)`` lends the caller's record
/// for the length of the call; a row kept longer (grouped rows) holds a ``KeptRecord``.
struct RowState {
    private let pointer: UnsafePointer<Record>
    private let kept: KeptRecord?
    var item: TreeFields.NodeID = 0
    /// The row's variables, when they do not follow from its rule (see ``outcome``).
    var variables: [String?]
    /// When every variable is given only constants, which rule held for the row: its variables
    /// are then that rule's, from ``Evaluator/variablesByOutcome``, and the row holds none of
    /// its own. The rules' count stands for no rule (the starting values, which the skip rules
    /// and rules see too); -1 when the row has its own variables.
    var outcome = -1
    /// A CSV row's storage, while ``RowMapper/map(_:)`` maps it: fields are then read through
    /// these pointers, without copying (and counting references on) the record's arrays for
    /// every field. Nil for rows kept past that call (grouped rows) and for trees.
    var columns: ColumnView?

    /// A row over a record lent for as long as the row is used, and no longer.
    init(lent pointer: UnsafePointer<Record>, variables: [String?], outcome: Int, columns: ColumnView?) {
        self.pointer = pointer
        kept = nil
        self.variables = variables
        self.outcome = outcome
        self.columns = columns
    }

    /// A row that keeps its record.
    init(keeping record: Record, variables: [String?], outcome: Int) {
        let kept = KeptRecord(record)
        self.pointer = UnsafePointer(kept.pointer)
        self.kept = kept
        self.variables = variables
        self.outcome = outcome
    }

    var record: Record {
        unsafeAddress { pointer }
    }

    /// Whether reading found an error in the record. Checked in place: calling `hasErrors` on
    /// `record` copied the whole record (a retain and a release for each of its arrays), and
    /// nearly every record has no diagnostics at all.
    var recordHasErrors: Bool {
        !pointer.pointee.diagnostics.isEmpty && pointer.pointee.hasErrors
    }
}

/// A record on the heap for a row kept past the call that read it.
final class KeptRecord {
    let pointer: UnsafeMutablePointer<Record>

    init(_ record: Record) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: record)
    }

    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}

/// Evaluates compiled expressions and conditions against rows. One per run: it owns scratch
/// buffers and the regular-expression memo, so evaluating allocates as little as it can.
final class Evaluator {
    let bound: BoundMapping
    private let mapping: CompiledMapping
    private var folded: [UInt8] = []
    /// Which field of which row `folded` holds: every text test on one field folds it once.
    private var foldedFor: (ref: FieldRef, record: Int, item: Int)?
    /// A NUL-terminated copy of a field for the C regular-expression engine.
    private var cString: [UInt8] = []
    /// Fields' texts, made once while their bytes come back.
    private var recentTexts = RecentTexts()
    /// Each rule outcome's variables, for rows whose variables follow from their rule (see
    /// ``RowState/outcome``); set by the ``RowMapper``.
    var variablesByOutcome: [[String?]] = []

    /// The locale's date format (ISO when it has none), this evaluator's own copy.
    private let localeDateFormat: DateFormat
    /// The currency the last amount read named itself (`£ 7.90`), if it named one; the row
    /// mapper clears it before a line's amount and reads it after.
    var amountMarker: CurrencyMarker?

    /// Fields are read without the spaces and tabs around them (``CompiledMapping/Locale/keepsSpaces``).
    private let trims: Bool

    init(_ bound: BoundMapping) {
        self.bound = bound
        self.mapping = bound.mapping
        trims = !bound.mapping.locale.keepsSpaces
        localeDateFormat = (bound.mapping.locale.dateFormat ?? Self.iso).ownCopy()
    }

    // MARK: Fields

    /// The field's bytes, or nil when the record does not have it.
    @inline(__always)
    func withField<R>(
        _ ref: FieldRef, _ row: RowState, _ body: (UnsafeBufferPointer<UInt8>) throws(EvalFailure) -> R
    )
        throws(EvalFailure) -> R?
    {
        try withField(ref, row) { (bytes, _) throws(EvalFailure) in try body(bytes) }
    }

    /// The field's bytes and whether it is a JSON number (always written with `.`, whatever the
    /// locale); nil when the record does not have the field. A path is walked once.
    @inline(__always)
    func withField<R>(
        _ ref: FieldRef, _ row: RowState,
        _ body: (UnsafeBufferPointer<UInt8>, _ isNumber: Bool) throws(EvalFailure) -> R
    ) throws(EvalFailure) -> R? {
        if case .slot(let slot) = ref {
            switch bound.resolved[slot] {
            case .column(let index):
                if let view = row.columns {
                    guard let bytes = view.field(index) else { return nil }
                    return try body(trimmed(bytes), false)
                }
                guard case .columns(let columns) = row.record.fields else { return nil }
                return try columns.withUTF8(at: index) { (bytes) throws(EvalFailure) in try body(trimmed(bytes), false)
                }
            case .path(let path, let inGroup):
                guard case .tree(let tree) = row.record.fields else { return nil }
                // Inside `for_each` the item's own field, never the record's (`{^Amt}` is that).
                guard let node = inGroup ? tree.node(at: path, from: row.item) : tree.node(at: path) else {
                    return nil
                }
                let isNumber = tree.nodes[node].kind == .number
                return try tree.withValueBytes(of: node) { (bytes) throws(EvalFailure) in
                    try body(trimmed(bytes), isNumber)
                }
            case .wholeRecord, .context:
                break
            }
        }
        // The rare fields, whose value is a string already: one path for all, out of line.
        guard var text = fieldText(ref, row) else { return nil }
        // `String.withUTF8` is `rethrows`; a Result keeps the failure's type across it (rare path).
        return try text.withUTF8 { bytes in Result { () throws(EvalFailure) in try body(bytes, false) } }.get()
    }

    /// A variable's value, the whole row (`_record`), or a value outside the record: the fields
    /// that are strings already.
    @inline(never)
    private func fieldText(_ ref: FieldRef, _ row: RowState) -> String? {
        switch ref {
        case .variable(let index):
            return variable(index, row)
        case .slot(let slot):
            switch bound.resolved[slot] {
            case .wholeRecord:
                return Self.wholeRecord(row.record)
            case .context(let index):
                guard case .tree(let tree) = row.record.fields, tree.context.indices.contains(index),
                    let text = tree.context[index]
                else { return nil }
                return trims ? String(text.trimmingWhitespace) : text
            case .column, .path:
                return nil
            }
        }
    }

    /// A row's fields as one text, joined with commas: CSV fields in order, a JSON or XML
    /// record's values in document order.
    static func wholeRecord(_ record: Record) -> String {
        switch record.fields {
        case .columns(let columns): (0..<columns.count).map { columns.string(at: $0) ?? "" }.joined(separator: ",")
        case .tree: record.flattened().map(\.value).joined(separator: ",")
        }
    }

    /// A field's bytes without the spaces and tabs around them, unless the mapping keeps them.
    /// Nearly every field starts and ends with neither: two compares.
    @inline(__always)
    private func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        // Space and tab are both at most 0x20: one compare an end.
        guard trims, let base = bytes.baseAddress, bytes.count > 0, base[0] <= 0x20 || base[bytes.count - 1] <= 0x20
        else { return bytes }
        return Self.withoutSpaces(bytes)
    }

    private static func withoutSpaces(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var lower = 0
        var upper = bytes.count
        while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[lower..<upper])
    }

    /// A variable's value for the row.
    @inline(__always)
    private func variable(_ index: Int, _ row: RowState) -> String? {
        row.outcome < 0 ? row.variables[index] : variablesByOutcome[row.outcome][index]
    }

    func fieldName(_ ref: FieldRef) -> String {
        switch ref {
        case .slot(let slot): mapping.fields[slot].name
        case .variable(let index): "$" + mapping.variables[index].name
        }
    }

    // MARK: Text

    /// The expression's text; nil when it is missing or empty.
    func text(_ expr: Expr, _ row: RowState) throws(EvalFailure) -> String? {
        switch expr {
        case .constant(let text):
            return text.isEmpty ? nil : text
        case .field(let ref):
            if case .variable(let index) = ref {
                // A variable is a string already: no bytes to decode.
                guard let text = variable(index, row), !text.isEmpty else { return nil }
                return text
            }
            // An empty field is missing; tested on the bytes, so the text is neither made nor copied.
            // A field's text is the one made before while the same bytes come back (descriptions
            // repeat row after row; see ``RecentTexts``).
            let text = try withField(ref, row) { bytes throws(EvalFailure) -> String? in
                bytes.isEmpty ? nil : recentTexts.text(bytes)
            }
            return text ?? nil
        case .template(let parts):
            var out = ""
            for part in parts {
                switch part {
                case .literal(let literal): out += literal
                case .field(let ref):
                    try withField(ref, row) { bytes throws(EvalFailure) in out += String(decoding: bytes, as: UTF8.self)
                    }
                }
            }
            return out.isEmpty ? nil : out
        case .trim(let inner):
            guard let text = try text(inner, row) else { return nil }
            let trimmed = String(text.trimmingWhitespace)
            return trimmed.isEmpty ? nil : trimmed
        case .upper(let inner):
            return try text(inner, row)?.uppercased()
        case .lower(let inner):
            return try text(inner, row)?.lowercased()
        case .replace(let inner, let regex, let replacement):
            guard let text = try text(inner, row) else { return nil }
            let result = regex.replacing(in: text, with: replacement)
            return result.isEmpty ? nil : result
        case .firstOf(let options):
            for option in options {
                if let text = try text(option, row) { return text }
            }
            return nil
        case .join(let ref, let separator):
            guard case .slot(let slot) = ref, case .path(let path, let inGroup) = bound.resolved[slot],
                case .tree(let tree) = row.record.fields
            else { return try text(.field(ref), row) }
            let values = tree.nodes(at: path, from: inGroup ? row.item : 0).compactMap { node in
                tree.value(of: node).map { trims ? String($0.trimmingWhitespace) : $0 }
            }.filter { !$0.isEmpty }
            return values.isEmpty ? nil : values.joined(separator: separator)
        case .lookup(let table, let key, let fallback):
            let lookup = mapping.lookups[table]
            let keyText = try text(key, row) ?? ""
            if let value = lookup.value(for: keyText) ?? fallback { return value }
            throw EvalFailure(
                code: MappingCode.lookupMiss,
                message: "lookup `\(lookup.name)` has no entry for this row's key and no default",
                hint: "add the key under lookups.\(lookup.name).entries, or give a default", field: describe(key))
        case .conditional(let condition, let then, let otherwise):
            if try holds(condition, row) { return try text(then, row) }
            return try otherwise.flatMap { e throws(EvalFailure) in try text(e, row) }
        case .amount, .sum, .difference, .negate, .absolute, .multiply, .divide, .debitCredit:
            return try amount(expr, row)?.description
        case .date:
            return try date(expr, row)?.description
        }
    }

    /// A short name for what an expression reads, for diagnostics.
    func describe(_ expr: Expr) -> String? {
        switch expr {
        case .field(let ref): fieldName(ref)
        case .amount(let inner, _), .date(let inner, _), .trim(let inner), .upper(let inner), .lower(let inner),
            .negate(let inner), .absolute(let inner):
            describe(inner)
        case .multiply(let inner, _, _), .divide(let inner, _, _): describe(inner)
        case .template(let parts):
            parts.compactMap { part -> String? in
                if case .field(let ref) = part { return fieldName(ref) }
                return nil
            }.first
        default: nil
        }
    }

    // MARK: Amounts

    /// The expression's amount; nil when the text is empty.
    func amount(_ expr: Expr, _ row: RowState) throws(EvalFailure) -> ExactDecimal? {
        switch expr {
        case .amount(let inner, let format):
            if case .field(let ref) = inner {
                // The fast path: parse the field's bytes in place.
                let result = try withField(ref, row) { (bytes, isNumber) throws(EvalFailure) -> ExactDecimal? in
                    let amountFormat = format ?? (isNumber ? .plain : mapping.locale.amountFormat)
                    switch amountFormat.parse(bytes, marker: &amountMarker) {
                    case .success(let value): return value
                    case .failure(.empty): return nil
                    case .failure(let failure):
                        throw notAnAmount(fieldName(ref), failure, amountFormat)
                    }
                }
                return result ?? nil
            }
            guard let text = try text(inner, row) else { return nil }
            let amountFormat = format ?? mapping.locale.amountFormat
            switch amountFormat.parse(text, marker: &amountMarker) {
            case .success(let value): return value
            case .failure(.empty): return nil
            case .failure(let failure): throw notAnAmount(describe(inner) ?? "the value", failure, amountFormat)
            }
        case .sum(let terms):
            var total = ExactDecimal.zero
            for term in terms {
                guard let value = try amount(term, row) else { continue }
                total = try checked(total.adding(value))
            }
            return total
        case .difference(let a, let b):
            return try checked((try amount(a, row) ?? .zero).subtracting(try amount(b, row) ?? .zero))
        case .negate(let inner):
            return try amount(inner, row)?.negated
        case .absolute(let inner):
            guard let value = try amount(inner, row) else { return nil }
            return value.isNegative ? value.negated : value
        case .multiply(let inner, let rate, let rounding):
            guard let value = try amount(inner, row) else { return nil }
            let product = try checked(value.multiplied(by: rate))
            guard let rounding else { return product }
            return product.rounded(toScale: min(product.scale, currencyDigits(row)), rounding)
        case .divide(let inner, let rate, let rounding):
            guard let value = try amount(inner, row) else { return nil }
            return try checked(value.divided(by: rate, scale: currencyDigits(row), rounding: rounding))
        case .debitCredit(let debit, let credit, let netBoth):
            let d = try debit.flatMap { e throws(EvalFailure) in try amount(e, row) } ?? .zero
            let c = try credit.flatMap { e throws(EvalFailure) in try amount(e, row) } ?? .zero
            if !netBoth && !d.isZero && !c.isZero {
                // Netting would book an amount the row does not state: say so instead.
                throw EvalFailure(
                    code: MappingCode.bothSides,
                    message: "the row has both a debit and a credit amount",
                    hint: "fix the row, or write `both: net` beside `debit:` and `credit:` to book their difference")
            }
            return try checked(d.subtracting(c))
        case .conditional(let condition, let then, let otherwise):
            if try holds(condition, row) { return try amount(then, row) }
            return try otherwise.flatMap { e throws(EvalFailure) in try amount(e, row) }
        default:
            guard let text = try text(expr, row) else { return nil }
            switch mapping.locale.amountFormat.parse(text, marker: &amountMarker) {
            case .success(let value): return value
            case .failure(.empty): return nil
            case .failure(let failure):
                throw notAnAmount(describe(expr) ?? "the value", failure, mapping.locale.amountFormat)
            }
        }
    }

    private func currencyDigits(_ row: RowState) -> Int { mapping.locale.currency.minorDigits }

    private func checked(_ value: ExactDecimal?) throws(EvalFailure) -> ExactDecimal {
        guard let value else {
            throw EvalFailure(
                code: MappingCode.overflow, message: "the computed amount is too large", hint: "check the row's amounts"
            )
        }
        return value
    }

    private func notAnAmount(_ field: String, _ failure: AmountFormat.Failure, _ format: AmountFormat) -> EvalFailure {
        let mark = Character(Unicode.Scalar(format.decimalMark))
        let thousands = format.thousandsSeparator.map { ", thousands \"\(Character(Unicode.Scalar($0)))\"" } ?? ""
        return EvalFailure(
            code: MappingCode.notAnAmount, message: "`\(field)` is not an amount: it \(failure)",
            hint: "amounts here use decimal mark \"\(mark)\"\(thousands); set locale.decimal_mark if the file differs",
            field: field)
    }

    // MARK: Dates

    func date(_ expr: Expr, _ row: RowState) throws(EvalFailure) -> LocalDate? {
        guard case .date(let inner, let explicit) = expr else {
            guard let text = try text(expr, row) else { return nil }
            return try parseDate(text, format: nil, field: describe(expr))
        }
        if case .field(let ref) = inner {
            // Read in place, not through `explicit ?? localeDateFormat`, which copied the format
            // (two references counted) for every row.
            if let explicit { return try date(ref, row, explicit) }
            return try date(ref, row, localeDateFormat)
        }
        guard let text = try text(inner, row) else { return nil }
        return try parseDate(text, format: explicit, field: describe(inner))
    }

    private func date(_ ref: FieldRef, _ row: RowState, _ format: DateFormat) throws(EvalFailure) -> LocalDate? {
        let result = try withField(ref, row) { bytes throws(EvalFailure) -> LocalDate? in
            if bytes.isEmpty { return nil }
            if let date = format.parse(bytes) { return date }
            throw notADate(fieldName(ref), format)
        }
        return result ?? nil
    }

    private func parseDate(
        _ text: String, format explicit: DateFormat?, field: String?
    ) throws(EvalFailure) -> LocalDate {
        let format = explicit ?? localeDateFormat
        if let date = format.parse(text) ?? (explicit == nil ? Self.iso.parse(text) : nil) { return date }
        throw notADate(field ?? "the value", format)
    }

    private func notADate(_ field: String, _ format: DateFormat) -> EvalFailure {
        EvalFailure(
            code: MappingCode.notADate, message: "`\(field)` is not a date in the format \(format)",
            hint: "set locale.date_format, or `format:` on the field, to how the file writes dates", field: field)
    }

    static let iso = try! DateFormat("iso")

    // MARK: Conditions

    func holds(_ condition: Condition, _ row: RowState) throws(EvalFailure) -> Bool {
        switch condition {
        case .all(let parts):
            for part in parts where try !holds(part, row) { return false }
            return true
        case .any(let parts):
            for part in parts where try holds(part, row) { return true }
            return false
        case .not(let inner):
            return try !holds(inner, row)
        case .test(let ref, let test, _):
            return try evaluate(test, ref, row)
        }
    }

    fileprivate func evaluate(_ test: Test, _ ref: FieldRef, _ row: RowState) throws(EvalFailure) -> Bool {
        switch test {
        case .negated(let inner):
            return try !evaluate(inner, ref, row)
        case .empty(let wanted):
            let isEmpty =
                try withField(ref, row) { bytes throws(EvalFailure) in bytes.allSatisfy { $0 == 0x20 } } ?? true
            return isEmpty == wanted
        case .compare(let comparison, let bound):
            guard let value = try amount(.amount(.field(ref), nil), row) else { return false }
            switch comparison {
            case .gt: return value > bound
            case .gte: return value >= bound
            case .lt: return value < bound
            case .lte: return value <= bound
            }
        case .matches(let regex):
            if let literals = regex.literals {
                return try search(ref, row, ignoreCase: regex.ignoreCase) { literals.occurs(in: $0) }
            }
            return try fieldMatches(ref, row, folding: regex.ignoreCase) { regex.matches($0) }
        case .equals(var expected, let ignoreCase):
            return try withField(ref, row) { bytes throws(EvalFailure) in
                if let equal = expected.withUTF8({ Self.asciiEquals(bytes, $0, ignoreCase: ignoreCase) }) {
                    return equal
                }
                let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace
                return ignoreCase ? text.lowercased() == expected : text == expected
            } ?? expected.isEmpty
        case .oneOf(let set, let ignoreCase):
            return try withField(ref, row) { bytes throws(EvalFailure) in
                if ignoreCase, let lowercased = CaseFolding.lowercasedLatin1(bytes) { return set.contains(lowercased) }
                let text = String(String(decoding: bytes, as: UTF8.self).trimmingWhitespace)
                return set.contains(ignoreCase ? text.lowercased() : text)
            } ?? false
        case .contains(let needle, let ignoreCase):
            return try find(needle, .contains, ref, row, ignoreCase: ignoreCase)
        case .startsWith(let needle, let ignoreCase):
            return try find(needle, .startsWith, ref, row, ignoreCase: ignoreCase)
        case .endsWith(let needle, let ignoreCase):
            return try find(needle, .endsWith, ref, row, ignoreCase: ignoreCase)
        }
    }

    /// Whether a regular expression matches the field: `match` gets the text, NUL-terminated for
    /// the C engine, its Latin-1 letters folded like the pattern's when `folding` (the engine
    /// folds ASCII). False when the record has no such field.
    fileprivate func fieldMatches(
        _ ref: FieldRef, _ row: RowState, folding: Bool, _ match: (UnsafePointer<CChar>) -> Bool
    ) throws(EvalFailure) -> Bool {
        var scratch: [UInt8] = []
        swap(&scratch, &cString)
        defer { swap(&scratch, &cString) }
        let present: Bool? = try withField(ref, row) { (bytes) throws(EvalFailure) -> Bool in
            scratch.removeAll(keepingCapacity: true)
            if folding {
                CaseFolding.foldLatin1(bytes, into: &scratch)
            } else {
                scratch.append(contentsOf: bytes)
            }
            scratch.append(0)
            return true
        }
        guard present != nil else { return false }
        return scratch.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { match($0) }
        }
    }

    /// Where `contains`, `starts_with` and `ends_with` look for their text.
    enum Placement: UInt8 {
        case contains, startsWith, endsWith
    }

    private func find(
        _ needle: [UInt8], _ placement: Placement, _ ref: FieldRef, _ row: RowState, ignoreCase: Bool
    ) throws(EvalFailure) -> Bool {
        // `withUnsafeBufferPointer` is `rethrows`; a Result keeps the failure's type across it.
        try needle.withUnsafeBufferPointer { needle in
            Result { () throws(EvalFailure) in try find(needle, placement, ref, row, ignoreCase: ignoreCase) }
        }.get()
    }

    /// Whether the field has `needle` at `placement`; with `ignoreCase` `needle` is folded
    /// already.
    @inline(__always)
    fileprivate func find(
        _ needle: UnsafeBufferPointer<UInt8>, _ placement: Placement, _ ref: FieldRef, _ row: RowState,
        ignoreCase: Bool
    ) throws(EvalFailure) -> Bool {
        try search(ref, row, ignoreCase: ignoreCase) { Self.find(needle, in: $0, placement) }
    }

    /// What `test` says of the field's bytes, folded with `ignoreCase` (once per field and row,
    /// however many tests read it); false when the record has no such field.
    fileprivate func search(
        _ ref: FieldRef, _ row: RowState, ignoreCase: Bool, _ test: (UnsafeBufferPointer<UInt8>) -> Bool
    ) throws(EvalFailure) -> Bool {
        guard ignoreCase else {
            return try withField(ref, row) { bytes throws(EvalFailure) in test(bytes) } ?? false
        }
        let key = (ref: ref, record: row.record.number, item: row.item)
        if foldedFor.map({ $0.ref != key.ref || $0.record != key.record || $0.item != key.item }) ?? true {
            // Take the scratch buffer out (not a copy) so folding reuses its storage.
            var scratch: [UInt8] = []
            swap(&scratch, &folded)
            let present: Bool? = try withField(ref, row) { bytes throws(EvalFailure) in
                CaseFolding.fold(bytes, into: &scratch)
                return true
            }
            swap(&scratch, &folded)
            guard present != nil else {
                foldedFor = nil
                return false
            }
            foldedFor = key
        }
        return folded.withUnsafeBufferPointer { test($0) }
    }

    /// `equals` on the bytes, for the usual value: ASCII, with no space to trim at either end.
    /// nil when the value needs the full Unicode comparison. `wanted` is lower case when
    /// `ignoreCase`.
    @inline(__always)
    fileprivate static func asciiEquals(
        _ bytes: UnsafeBufferPointer<UInt8>, _ wanted: UnsafeBufferPointer<UInt8>, ignoreCase: Bool
    ) -> Bool? {
        guard let first = bytes.first, let last = bytes.last, first > 0x20, last > 0x20 else { return nil }
        guard bytes.count == wanted.count else {
            // Unequal lengths are unequal only when nothing could fold to another length.
            return bytes.allSatisfy { $0 < 0x80 } && wanted.allSatisfy { $0 < 0x80 } ? false : nil
        }
        for i in 0..<bytes.count {
            var byte = bytes[i]
            if byte >= 0x80 { return nil }
            if ignoreCase && byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            if byte != wanted[i] { return wanted[i] >= 0x80 ? nil : false }
        }
        return true
    }

    private static func find(
        _ needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>, _ placement: Placement
    ) -> Bool {
        switch placement {
        case .startsWith: return haystack.starts(with: needle)
        case .endsWith: return haystack.count >= needle.count && haystack.suffix(needle.count).elementsEqual(needle)
        case .contains:
            guard let first = needle.first else { return true }
            guard haystack.count >= needle.count else { return false }
            var i = 0
            let last = haystack.count - needle.count
            while i <= last {
                if haystack[i] == first {
                    var j = 1
                    while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                    if j == needle.count { return true }
                }
                i += 1
            }
            return false
        }
    }
}

/// Case folding on UTF-8 bytes for ASCII and the Latin-1 letters (æ ø å, ä ö ü, é …), which is
/// what Danish and most European bank texts hold. Other scripts compare as written.
enum CaseFolding {
    /// ASCII, and U+00C0–U+00FF as UTF-8 (C3 80–BF). ASCII is passed eight bytes at a time.
    static func isLatin1(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        if let base = text.baseAddress {
            while i + 8 <= text.count {
                let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { break }
                i += 8
            }
        }
        while i < text.count {
            if text[i] < 0x80 {
                i += 1
            } else if text[i] == 0xC3, i + 1 < text.count, text[i + 1] >= 0x80, text[i + 1] <= 0xBF {
                i += 2
            } else {
                return false
            }
        }
        return true
    }

    /// `String.lowercased()` of text that is ASCII and Latin-1 letters only (what Danish texts
    /// hold), made from the bytes in one pass; nil for any other text, or one with white space
    /// to trim at either end. `lowercased()` decodes and looks up every character, which cost
    /// 2 µs for a bank text.
    static func lowercasedLatin1(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard let first = bytes.first, let last = bytes.last, first > 0x20, first != 0x7F, last > 0x20, last != 0x7F,
            isLatin1(bytes)
        else { return nil }
        // Folding such text is what lowercased() does to it.
        return String(unsafeUninitializedCapacity: bytes.count) { out in
            let end = out.initialize(fromContentsOf: bytes)
            foldInPlace(out)
            return end
        }
    }

    /// Folds only the Latin-1 letters (À–Þ → à–þ), leaving ASCII as it is: for regular
    /// expressions, whose ASCII is folded by the engine and whose escapes must stay as written.
    static func foldLatin1(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        bytes.withUnsafeBufferPointer { foldLatin1($0, into: &out) }
        return out
    }

    static func foldLatin1(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0xC3, i + 1 < bytes.count, (0x80...0x9E).contains(bytes[i + 1]), bytes[i + 1] != 0x97 {
                out.append(b)
                out.append(bytes[i + 1] + 0x20)
                i += 2
                continue
            }
            out.append(b)
            i += 1
        }
    }

    static func fold(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        bytes.withUnsafeBufferPointer { fold($0, into: &out) }
        return out
    }

    /// `bytes` folded into `out`, replacing what it held: copied, then folded in place (folding
    /// keeps every byte where it is). Appending byte by byte checked the array's capacity and
    /// uniqueness at each: about 870 instructions for a 40-byte bank text.
    static func fold(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: bytes)
        out.withUnsafeMutableBufferPointer { foldInPlace($0) }
    }

    /// Folds UTF-8 text where it lies: A–Z and À–Þ (not ×) to their lower case.
    static func foldInPlace(_ text: UnsafeMutableBufferPointer<UInt8>) {
        var previous: UInt8 = 0
        for i in text.indices {
            let byte = text[i]
            text[i] = folded(byte, after: previous)
            previous = byte
        }
    }

    /// A byte of UTF-8 text folded, given the byte before it (as written): A–Z, and the second
    /// byte of À–Þ (not ×), C3 80–9E → C3 A0–BE. Every other byte stays as it is.
    @inline(__always)
    static func folded(_ byte: UInt8, after previous: UInt8) -> UInt8 {
        if byte >= 0x41 && byte <= 0x5A { return byte | 0x20 }
        if previous == 0xC3 && byte >= 0x80 && byte <= 0x9E && byte != 0x97 { return byte + 0x20 }
        return byte
    }
}

/// A list of conditions (the skip rules, or the rules) compiled for one mapper into plain
/// values: evaluating them copies no `Condition` and counts no references. A `Condition` holds
/// strings and arrays, and reading one out of its list copied it (a retain and a release for
/// each, on storage every worker shares): about 220 instructions for every condition tried, and
/// a skip rule is tried on every row.
///
/// Each condition is a run of nodes: `all`, `any` and `not` are followed by their parts, and
/// leaves test a field against text kept in one byte buffer. A test with no leaf form (`in:`,
/// comparisons, `empty`) is evaluated from the original `Test`.
struct ConditionProgram {
    fileprivate struct Node {
        enum Op: UInt8 { case all, any, not, equals, find, findAny, oneOf, regex, other }
        var op: Op
        /// How many nodes after this one belong to it.
        var descendants: Int32 = 0
        var ref: FieldRef = .slot(0)
        var placement: Evaluator.Placement = .contains
        var ignoreCase = false
        var negated = false
        /// The text to compare, in `bytes`.
        var start: Int32 = 0
        var count: Int32 = 0
        /// `other`, and `equals` on text that is not plain ASCII: the test, in `tests`.
        var test: Int32 = -1
        /// `regex` and `findAny` (its texts): kept alive by `storage`.
        var regex: Unmanaged<RegexBox>?
        /// `oneOf`: the members as bytes (owned by `storage`), and the test for fields they
        /// cannot answer for.
        var members: ExactSet?
    }

    private final class Storage {
        let nodes: UnsafeMutableBufferPointer<Node>
        let bytes: UnsafeMutableBufferPointer<UInt8>
        let roots: UnsafeMutableBufferPointer<Int>
        let regexes: [RegexBox]

        init(nodes: [Node], bytes: [UInt8], roots: [Int], regexes: [RegexBox]) {
            self.nodes = .allocate(capacity: nodes.count)
            _ = self.nodes.initialize(from: nodes)
            self.bytes = .allocate(capacity: max(bytes.count, 1))
            _ = self.bytes.initialize(from: bytes)
            self.roots = .allocate(capacity: roots.count)
            _ = self.roots.initialize(from: roots)
            self.regexes = regexes
        }

        deinit {
            for node in nodes { node.members?.deallocate() }
            nodes.deallocate()
            bytes.deallocate()
            roots.deallocate()
        }
    }

    fileprivate let nodes: UnsafeBufferPointer<Node>
    fileprivate let bytes: UnsafeBufferPointer<UInt8>
    fileprivate let roots: UnsafeBufferPointer<Int>
    /// Tests evaluated from their original form.
    fileprivate let tests: [Test]
    private let storage: Storage

    /// How many conditions.
    var count: Int { roots.count }

    /// The fields the conditions test, each once, in the order they first appear.
    var fieldsRead: [FieldRef] {
        var refs: [FieldRef] = []
        for node in nodes where ![.all, .any, .not].contains(node.op) && !refs.contains(node.ref) {
            refs.append(node.ref)
        }
        return refs
    }

    init(_ conditions: [Condition]) {
        var nodes: [Node] = []
        var bytes: [UInt8] = []
        var tests: [Test] = []
        var regexes: [RegexBox] = []
        func text(_ utf8: some Collection<UInt8>) -> (Int32, Int32) {
            defer { bytes.append(contentsOf: utf8) }
            return (Int32(bytes.count), Int32(utf8.count))
        }
        func leaf(_ ref: FieldRef, _ test: Test, negated: Bool) -> Node {
            var node = Node(op: .other, ref: ref, negated: negated)
            switch test {
            case .negated(let inner):
                return leaf(ref, inner, negated: !negated)
            case .equals(let expected, let ignoreCase):
                node.op = .equals
                node.ignoreCase = ignoreCase
                (node.start, node.count) = text(expected.utf8)
                node.test = Int32(tests.count)
                tests.append(test)
            case .contains(let needle, let ignoreCase), .startsWith(let needle, let ignoreCase),
                .endsWith(let needle, let ignoreCase):
                node.op = .find
                node.ignoreCase = ignoreCase
                switch test {
                case .startsWith: node.placement = .startsWith
                case .endsWith: node.placement = .endsWith
                default: node.placement = .contains
                }
                (node.start, node.count) = text(needle)
            case .matches(let regex):
                node.op = regex.literals == nil ? .regex : .findAny
                node.ignoreCase = regex.ignoreCase
                node.regex = Unmanaged.passUnretained(regex)
                regexes.append(regex)
            case .oneOf(let members, let ignoreCase):
                node.test = Int32(tests.count)
                tests.append(test)
                if let set = ExactSet(members, ignoreCase: ignoreCase) {
                    node.op = .oneOf
                    node.members = set
                }
            case .empty, .compare:
                node.test = Int32(tests.count)
                tests.append(test)
            }
            return node
        }
        func add(_ condition: Condition) {
            let at = nodes.count
            switch condition {
            case .all(let parts), .any(let parts):
                if case .all = condition { nodes.append(Node(op: .all)) } else { nodes.append(Node(op: .any)) }
                parts.forEach(add)
            case .not(let inner):
                nodes.append(Node(op: .not))
                add(inner)
            case .test(let ref, let test, _):
                nodes.append(leaf(ref, test, negated: false))
            }
            nodes[at].descendants = Int32(nodes.count - at - 1)
        }
        var roots: [Int] = []
        for condition in conditions {
            roots.append(nodes.count)
            add(condition)
        }
        storage = Storage(nodes: nodes, bytes: bytes, roots: roots, regexes: regexes)
        self.nodes = UnsafeBufferPointer(storage.nodes)
        self.bytes = UnsafeBufferPointer(storage.bytes)
        self.roots = UnsafeBufferPointer(storage.roots)
        self.tests = tests
    }
}

extension Evaluator {
    /// Whether the `index`th condition of `program` holds for the row.
    func holds(_ program: ConditionProgram, _ index: Int, _ row: RowState) throws(EvalFailure) -> Bool {
        try holds(program, node: program.roots[index], row)
    }

    private func holds(_ program: ConditionProgram, node index: Int, _ row: RowState) throws(EvalFailure) -> Bool {
        let node = program.nodes[index]
        switch node.op {
        case .all, .any:
            let wanted = node.op == .any
            var part = index + 1
            let end = index + 1 + Int(node.descendants)
            while part < end {
                if try holds(program, node: part, row) == wanted { return wanted }
                part += 1 + Int(program.nodes[part].descendants)
            }
            return !wanted
        case .not:
            return try !holds(program, node: index + 1, row)
        case .equals, .find, .findAny, .oneOf, .regex, .other:
            return try leafHolds(program, node, row) != node.negated
        }
    }

    private func leafHolds(
        _ program: ConditionProgram, _ node: ConditionProgram.Node, _ row: RowState
    ) throws(EvalFailure) -> Bool {
        let text = UnsafeBufferPointer(rebasing: program.bytes[Int(node.start)..<Int(node.start + node.count)])
        switch node.op {
        case .equals:
            let equal = try withField(node.ref, row) { bytes throws(EvalFailure) in
                Self.asciiEquals(bytes, text, ignoreCase: node.ignoreCase)
            }
            guard let equal else { return text.isEmpty }
            if let equal { return equal }
            // Not plain ASCII: compared as Unicode text, by the test itself.
            return try evaluate(program.tests[Int(node.test)], node.ref, row)
        case .find:
            return try find(text, node.placement, node.ref, row, ignoreCase: node.ignoreCase)
        case .findAny:
            return try search(node.ref, row, ignoreCase: node.ignoreCase) { text in
                node.regex!._withUnsafeGuaranteedRef { $0.literals!.occurs(in: text) }
            }
        case .oneOf:
            let member = try withField(node.ref, row) { bytes throws(EvalFailure) in node.members!.contains(bytes) }
            guard let member else { return false }
            if let member { return member }
            // Not ASCII and Latin-1 letters only: compared as Unicode text, by the test itself.
            return try evaluate(program.tests[Int(node.test)], node.ref, row)
        case .regex:
            return try fieldMatches(node.ref, row, folding: node.ignoreCase) { cString in
                node.regex!._withUnsafeGuaranteedRef { $0.matches(cString) }
            }
        case .other, .all, .any, .not:
            return try evaluate(program.tests[Int(node.test)], node.ref, row)
        }
    }
}

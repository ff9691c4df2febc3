import Foundation
import LedgerModel
import Readers

/// A row, or rows, mapped: the event, and for a document with a derived reference the digest of
/// its content, which ``ReferenceCounter`` still has to see in file order.
struct Mapped {
    var event: MappingEvent
    var digest: ContentDigest?
    /// What a ``DocumentBuilder/Check`` said of the document, when one ran as it was made.
    var diagnostics: [Diagnostic]?
    /// The skip rule that skipped the row, when it skips rows after it too (`also_skip`); -1
    /// for none (an `Int?` made every mapped row a word larger to move).
    var skipRule: Int32 = -1

    /// The event and the check's diagnostics, moved out: swapped for an empty event, as
    /// returning the stored properties of a consumed `self` copied the document, then destroyed
    /// the original.
    mutating func take() -> (event: MappingEvent, diagnostics: [Diagnostic]?) {
        var taken = Self.placeholder
        swap(&taken, &event)
        return (taken, diagnostics.take())
    }

    /// An event that owns nothing, to stand in while the real one is moved out.
    private static var placeholder: MappingEvent { .skipped(RowOutcome(file: "", rows: [], reason: "")) }
}

/// Turns records into documents: skip rules, rules, lines, the reference. It keeps per-run
/// memos and scratch buffers, so each thread that maps rows has its own.
final class RowMapper {
    let bound: BoundMapping
    let evaluator: Evaluator
    private let spec: CompiledMapping.DocumentSpec
    private let mapping: CompiledMapping
    private var hasher: ReferenceHasher
    private let sourceFolder: String
    /// The source's path. Every document holds it; a mapper on a worker thread gets a copy of
    /// its own, so documents made on several threads do not all count references on one string.
    private let path: String
    /// The skip rules' and the rules' conditions, compiled for this mapper; one with no `when:`
    /// always holds (`.all([])`).
    private let skipConditions: ConditionProgram
    private let ruleConditions: ConditionProgram
    /// The document's line specs, this mapper's own copies: every row reads them, and shared
    /// objects would have their reference counts bounce between the workers' cores.
    private let lineSpecs: [CompiledMapping.LineSpec]
    /// Whether documents can have an attachment, purchase terms or stated VAT.
    private let hasRareFields: Bool
    /// Each variable's starting value, and each rule's assignments, with constants (nearly all
    /// of them) made once, in strings of this mapper's own.
    private let initialValues: [Assignment]
    private let ruleAssignments: [[Assignment]]
    private var skipMemo: RuleMemo?
    private var ruleMemo: RuleMemo?
    private var spareVariables: [String?] = []
    /// Whether every variable is only ever given constants (rules that set accounts and VAT
    /// codes, as nearly every mapping's do): a row's variables then follow from which rule
    /// held, and the evaluator has them for each rule (``Evaluator/variablesByOutcome``); a row
    /// holds no variables of its own and is given none, one assignment at a time.
    private let variablesFollowRules: Bool
    /// How often each line field's value is worked out: four slots a line (account, balancing
    /// account, VAT, balancing VAT).
    private let reuse: [Reuse]
    /// The line fields' values worked out so far: a slot per field for ``Reuse/always``, then
    /// for ``Reuse/perRule`` a slot per field for each rule outcome in turn.
    private var resolved: [Resolved]
    private var recentAccounts: [RecentValues<String, AccountNumber>]
    private var recentVats: [RecentValues<String, VatSpec>]

    /// A value given to a variable.
    private enum Assignment {
        case constant(variable: Int, String?)
        case expression(variable: Int, Expr)

        init(_ variable: Int, _ expr: Expr) {
            // An empty constant reads as missing, as `Evaluator.text` has it.
            if case .constant(let text) = expr {
                self = .constant(variable: variable, text.isEmpty ? nil : text.ownCopy())
            } else {
                self = .expression(variable: variable, expr)
            }
        }
    }

    /// How often a line field's value is worked out.
    private enum Reuse {
        /// Once: it reads nothing that changes (`account: 5500`, `vat: none`).
        case always
        /// Once per rule: it reads only variables, and those follow from the rules
        /// (`balancing_account: "{$counter_account}"`).
        case perRule
        /// For each row; its last few texts are remembered with what each gave, as the values
        /// rules set come back row after row.
        case never
    }

    private enum Resolved {
        case unknown
        case account(AccountNumber?)
        case vat(VatSpec?)
    }

    /// A record before its document is built: a row to build from, or the reason it is not one.
    enum Prepared {
        case row(RowState)
        case skipped(RowOutcome, rule: Int?)
        case rejected(RowOutcome)
    }

    /// `fileDigest`: the SHA-256 of the source file, when references are scoped to the file.
    /// `source`: the worker's own copy of the source description, on a worker thread.
    init(_ bound: BoundMapping, fileDigest: [UInt8]?, attachmentFolder: String? = nil, source: SourceFile? = nil) {
        self.bound = bound
        self.mapping = bound.mapping
        self.spec = bound.mapping.document
        self.evaluator = Evaluator(bound)
        path = (source ?? bound.source).path
        hasher = ReferenceHasher(name: bound.mapping.name, kind: spec.kind, fileDigest: fileDigest)
        sourceFolder =
            attachmentFolder ?? URL(fileURLWithPath: bound.source.path).deletingLastPathComponent().relativePath
        recentAccounts = Array(repeating: RecentValues(), count: bound.mapping.document.lines.count * 4)
        recentVats = Array(repeating: RecentValues(), count: bound.mapping.document.lines.count * 4)
        skipConditions = ConditionProgram(bound.mapping.skips.map(\.when))
        ruleConditions = ConditionProgram(bound.mapping.rules.map { $0.when ?? .all([]) })
        lineSpecs = bound.mapping.document.lines.map { $0.ownCopy() }
        hasRareFields = spec.attachment != nil || spec.purchase != nil || spec.vatCheck != nil
        initialValues = bound.mapping.variables.enumerated().compactMap { i, variable in
            variable.initial.map { Assignment(i, $0) }
        }
        ruleAssignments = bound.mapping.rules.map { rule in rule.assignments.map { Assignment($0.variable, $0.value) } }
        let variablesByOutcome = Self.variablesByOutcome(
            initial: initialValues, rules: ruleAssignments, count: bound.mapping.variables.count)
        let followRules = variablesByOutcome != nil
        variablesFollowRules = followRules
        evaluator.variablesByOutcome = variablesByOutcome ?? []
        reuse = lineSpecs.flatMap { line in
            [
                line.account?.variableUse, line.balancingAccount?.variableUse, line.vat?.variableUse,
                line.balancingVat?.variableUse,
            ].map { use -> Reuse in
                switch use {
                case .nothing?: .always
                case .variablesOnly? where followRules: .perRule
                default: .never
                }
            }
        }
        resolved = Array(repeating: .unknown, count: reuse.count * (1 + (variablesByOutcome?.count ?? 0)))
        skipMemo = RuleMemo(skipConditions)
        ruleMemo = RuleMemo(ruleConditions)
    }

    /// Maps one record on its own (mappings without `group_by`). A CSV row's fields are read
    /// through its storage's pointers for the whole call.
    func map(_ record: borrowing Record, check: DocumentBuilder.Check? = nil) -> Mapped {
        withUnsafePointer(to: record) { map(at: $0, check: check) }
    }

    /// ``map(_:)`` for a record that stays where it is, unchanged, for the call (a batch's
    /// buffer): read in place, so the record is never copied and none of its references counted.
    /// `check` runs on the document, if there is one, as it is made (see ``build(_:more:check:)``).
    func map(at record: UnsafePointer<Record>, check: DocumentBuilder.Check? = nil) -> Mapped {
        guard case .columns(let columns) = record.pointee.fields else {
            return map(record, columns: nil, check: check)
        }
        return columns.withStorage { bytes, ends in
            map(record, columns: ColumnView(bytes: bytes, ends: ends), check: check)
        }
    }

    private func map(_ record: UnsafePointer<Record>, columns: ColumnView?, check: DocumentBuilder.Check?) -> Mapped {
        // The row is built here and lent to each step, never copied; it does not outlive the call.
        var row = RowState(lent: record, variables: freshVariables(), outcome: startingOutcome, columns: columns)
        defer { swap(&spareVariables, &row.variables) }
        switch applyRules(&row) {
        case nil: return build(row, more: [], check: check)
        case .skipped(let outcome, let rule)?: return Mapped(event: .skipped(outcome), skipRule: Int32(rule ?? -1))
        case .rejected(let outcome)?: return Mapped(event: .rejected(outcome))
        }
    }

    // MARK: Rows

    /// Applies the skip rules and the rules to a record, for a row kept to be built later.
    func prepare(_ record: Record) -> Prepared {
        var row = RowState(keeping: record, variables: freshVariables(), outcome: startingOutcome)
        switch applyRules(&row) {
        case nil: return .row(row)
        case .skipped(let outcome, let rule)?: return .skipped(outcome, rule: rule)
        case .rejected(let outcome)?: return .rejected(outcome)
        }
    }

    /// What rules decide of a row that is not a document, or nil when it is one: a record with
    /// errors is rejected, a skip rule skips it, and the first rule that holds sets variables.
    private func applyRules(_ row: inout RowState) -> Outcome? {
        if row.recordHasErrors {
            return .rejected(rejection([source(row)], row.record.diagnostics.filter { $0.severity == .error }))
        }
        do {
            if !variablesFollowRules { try assign(initialValues, &row) }
            if let index = try first(skipConditions, &skipMemo, row) {
                return .skipped(
                    RowOutcome(file: path, rows: [source(row)], reason: mapping.skips[index].reason),
                    rule: mapping.skips[index].alsoSkip == nil ? nil : index)
            }
            let index = try first(ruleConditions, &ruleMemo, row)
            if variablesFollowRules {
                // The row started with no rule's outcome: the starting values.
                if let index { row.outcome = index }
            } else if let index {
                try assign(ruleAssignments[index], &row)
            }
        } catch {
            return .rejected(rejection([source(row)], [diagnostic(error, row)]))
        }
        return nil
    }

    private func assign(_ assignments: [Assignment], _ row: inout RowState) throws(EvalFailure) {
        for i in assignments.indices {
            switch assignments[i] {
            case .constant(let variable, let text): row.variables[variable] = text
            case .expression(let variable, let expr): row.variables[variable] = try evaluator.text(expr, row)
            }
        }
    }

    /// A row that is not a document: skipped, or rejected.
    private enum Outcome {
        /// `rule`: the skip rule, when it skips rows after this one too.
        case skipped(RowOutcome, rule: Int?)
        case rejected(RowOutcome)
    }

    private func source(_ row: RowState) -> SourceRow {
        SourceRow(record: row.record.number, line: row.record.line)
    }

    /// The row's group key.
    func groupKey(_ expr: Expr, _ row: RowState) -> Result<String, EvalFailure> {
        Result { () throws(EvalFailure) in try evaluator.text(expr, row) ?? "" }
    }

    /// The first of `conditions` that holds for the row, remembered per distinct field values.
    private func first(
        _ conditions: ConditionProgram, _ memo: inout RuleMemo?, _ row: RowState
    ) throws(EvalFailure) -> Int? {
        if memo != nil, let remembered = try memo!.lookup(row, evaluator) { return remembered }
        var found: Int?
        for index in 0..<conditions.count where try evaluator.holds(conditions, index, row) {
            found = index
            break
        }
        memo?.store(found)
        return found
    }

    /// A new row's outcome: no rule's (the starting values) when the variables follow from the
    /// rules, else -1 (the row has variables of its own).
    private var startingOutcome: Int { variablesFollowRules ? ruleAssignments.count : -1 }

    /// A variables array for a new row: none when they follow from its rule, else the last
    /// row's array when it is free, emptied.
    func freshVariables() -> [String?] {
        if variablesFollowRules { return [] }
        var variables: [String?] = []
        swap(&variables, &spareVariables)
        if variables.count != mapping.variables.count {
            return [String?](repeating: nil, count: mapping.variables.count)
        }
        variables.withUnsafeMutableBufferPointer { $0.update(repeating: nil) }  // one uniqueness check, not one a slot
        return variables
    }

    /// Each rule's variables, then the starting values, when every assignment is a constant.
    private static func variablesByOutcome(
        initial: [Assignment], rules: [[Assignment]], count: Int
    ) -> [[String?]]? {
        func applying(_ assignments: [Assignment], to start: [String?]) -> [String?]? {
            var values = start
            for assignment in assignments {
                guard case .constant(let variable, let text) = assignment else { return nil }
                values[variable] = text
            }
            return values
        }
        guard let start = applying(initial, to: Array(repeating: nil, count: count)) else { return nil }
        var outcomes: [[String?]] = []
        for assignments in rules {
            guard let values = applying(assignments, to: start) else { return nil }
            outcomes.append(values)
        }
        return outcomes + [start]
    }

    func rejection(_ rows: [SourceRow], _ diagnostics: [Diagnostic]) -> RowOutcome {
        RowOutcome(
            file: path, rows: rows, reason: diagnostics.first?.message ?? "rejected",
            diagnostics: diagnostics)
    }

    func diagnostic(_ error: EvalFailure, _ row: RowState) -> Diagnostic {
        diagnostic(error, row.record)
    }

    func diagnostic(_ error: EvalFailure, _ record: Record) -> Diagnostic {
        var location = record.location
        location.field = error.field
        return .error(error.code, error.message, hint: error.hint, at: location)
    }

    // MARK: Documents

    /// A document from a group's rows, in order.
    func build(_ rows: [RowState], check: DocumentBuilder.Check? = nil) -> Mapped {
        build(rows[0], more: rows[1...], check: check)
    }

    /// A document from `first` and the rows after it (none for a one-row document, so nothing
    /// is allocated and no row is copied). `check`, when given, runs on the document before it
    /// goes into the event, its diagnostics kept with it: checking it there, rather than moving
    /// it out of the event and back, saved about 310 instructions a row.
    func build(_ first: RowState, more: ArraySlice<RowState>, check: DocumentBuilder.Check? = nil) -> Mapped {
        let provenance = Provenance(
            file: path, first: source(first), more: more.isEmpty ? [] : more.map(source))
        // Which row the work is at (0: `first`, then `more`), for diagnostics.
        var currentRow = 0
        do {
            guard let date = try evaluator.date(spec.date, first) else {
                throw EvalFailure(
                    code: MappingCode.missingValue, message: "the document date is empty", hint: nil,
                    field: evaluator.describe(spec.date))
            }
            var currency = try currency(first)
            let description = try spec.description.flatMap { e in try evaluator.text(e, first) }
            let voucherNumber = try spec.voucherNumber.flatMap { e in
                try integer(e, first, "voucher_number")
            }
            let attachment = try spec.attachment.flatMap { e in try evaluator.text(e, first) }.map {
                $0.hasPrefix("/") || sourceFolder == "." ? $0 : sourceFolder + "/" + $0
            }
            let purchase = try spec.purchase.map { p in try purchaseTerms(p, first) }
            var lines: [DocumentLine] = []
            /// The line that takes the remainder: the first row's, in a grouped document.
            var remainderLine: Int?
            func addLines(_ row: RowState) throws {
                for (index, lineSpec) in lineSpecs.enumerated() {
                    if lineSpec.remainder {
                        guard remainderLine == nil,
                            let line = try line(
                                lineSpec, index, row, &currency, description, linesSoFar: lines.count)
                        else { continue }
                        remainderLine = lines.count
                        lines.append(line)
                    } else if let path = lineSpec.forEach {
                        guard case .tree(let tree) = row.record.fields else { continue }
                        var itemRow = row
                        let start = lines.count
                        for item in tree.nodes(at: path) {
                            itemRow.item = item
                            if let line = try line(
                                lineSpec, index, itemRow, &currency, description, linesSoFar: lines.count)
                            {
                                lines.append(line)
                            }
                        }
                        if let split = lineSpec.splitOf {
                            try checkSplit(split, lines[start...], row, currency)
                        }
                    } else if let line = try line(
                        lineSpec, index, row, &currency, description, linesSoFar: lines.count)
                    {
                        lines.append(line)
                    }
                }
            }
            if more.isEmpty, lineSpecs.count == 1, lineSpecs[0].forEach == nil {
                // One row, one line: an array of exactly one (reserving capacity first took
                // Array's general path, about 100 instructions more).
                if let line = try line(lineSpecs[0], 0, first, &currency, description, linesSoFar: 0) {
                    lines = [line]
                }
            } else {
                lines.reserveCapacity(lineSpecs.count * (more.count + 1))
                try addLines(first)
                for (offset, row) in more.enumerated() {
                    currentRow = offset + 1
                    try addLines(row)
                }
            }
            if let index = remainderLine {
                // What balances the others: every line without a balancing account but this one.
                var others: Int64 = 0
                for (i, line) in lines.enumerated() where i != index && line.balancingAccount == nil {
                    others &+= line.amount.minorUnits
                }
                if others == 0 {
                    lines.remove(at: index)
                } else {
                    lines[index].amount = Money(minorUnits: -others, currency: lines[index].amount.currency)
                }
            }
            if lines.isEmpty {
                return Mapped(
                    event: .skipped(
                        RowOutcome(
                            file: path, rows: provenance.rows,
                            reason: "nothing to book: every line is zero or excluded by its `when`")))
            }
            let (reference, digest) = try reference(first, more)
            var stated: DeclaredVat?
            if let check = spec.vatCheck { stated = try declaredVat(check, first, currency) }
            if let exchange = spec.exchangeRate, currency != (exchange.to ?? mapping.locale.currency) {
                let base = exchange.to ?? mapping.locale.currency
                try convert(&lines, &stated, from: currency, to: base, exchange, first)
                currency = base
            }
            var document =
                hasRareFields
                ? Document(
                    kind: spec.kind, reference: reference, date: date, currency: currency, description: description,
                    voucherNumber: voucherNumber, attachment: attachment, purchase: purchase, lines: lines,
                    provenance: provenance, declaredVat: stated)
                : Document(
                    kind: spec.kind, reference: reference, date: date, currency: currency, description: description,
                    voucherNumber: voucherNumber, lines: lines, provenance: provenance)
            let diagnostics = check?(&document)
            return Mapped(event: .document(document), digest: digest, diagnostics: diagnostics)
        } catch {
            let failure =
                error as? EvalFailure ?? EvalFailure(code: MappingCode.invalidRowValue, message: "\(error)", field: nil)
            let record = currentRow == 0 ? first.record : more[more.startIndex + currentRow - 1].record
            let diagnostic = diagnostic(failure, record)
            return Mapped(
                event: .rejected(
                    RowOutcome(
                        file: path, rows: provenance.rows, reason: diagnostic.message, diagnostics: [diagnostic])))
        }
    }

    /// The VAT the row states; nil when its gross or VAT is empty (nothing to check).
    private func declaredVat(
        _ spec: CompiledMapping.VatCheckSpec, _ row: RowState, _ currency: Currency
    ) throws -> DeclaredVat? {
        func money(_ expr: Expr) throws -> Money? {
            guard let value = try evaluator.amount(expr, row) else { return nil }
            guard let money = Money(value, currency: currency) else {
                throw EvalFailure(
                    code: MappingCode.tooManyDecimals,
                    message: "the amount has more decimals than \(currency.code) allows (\(currency.minorDigits))",
                    hint: nil, field: evaluator.describe(expr))
            }
            return money
        }
        guard let gross = try money(spec.gross), let vat = try money(spec.vat),
            let code = try evaluator.text(spec.code, row)
        else { return nil }
        return DeclaredVat(gross: gross, net: try spec.net.flatMap(money), vat: vat, code: code)
    }

    /// A line of the document; `currency` is the document's, which the first line's amount may
    /// set when it names its own (`£ 7.90`) and the mapping does not name the row's.
    private func line(
        _ spec: CompiledMapping.LineSpec, _ index: Int, _ row: RowState, _ currency: inout Currency,
        _ documentDescription: String?, linesSoFar: Int
    ) throws -> DocumentLine? {
        if let when = spec.when, try !evaluator.holds(when, row) { return nil }
        evaluator.amountMarker = nil
        let value = try evaluator.amount(spec.amount, row)
        if spec.skipIfZero && (value?.isZero ?? true) { return nil }
        if let marker = evaluator.amountMarker {
            if !marker.fits(currency) {
                currency = try ownCurrency(marker, instead: currency, linesSoFar: linesSoFar, amount: spec.amount)
            }
        } else if self.spec.currency == nil, currency != mapping.locale.currency {
            // An earlier line named its currency; this amount names none, so it is the mapping's.
            throw EvalFailure(
                code: MappingCode.currencyMismatch,
                message:
                    "the document's amounts are in more than one currency (\(currency.code) and the mapping's \(mapping.locale.currency.code))",
                hint:
                    "name the row's currency (`currency: \"{Currency}\"` under `document:`), or book each currency as a document of its own",
                field: evaluator.describe(spec.amount))
        }
        guard let value else {
            throw EvalFailure(
                code: MappingCode.missingValue, message: "the line amount is empty",
                hint: "set `skip_if_zero: true` on the line if empty means nothing to book",
                field: evaluator.describe(spec.amount))
        }
        guard let money = Money(value, currency: currency) else {
            throw EvalFailure(
                code: MappingCode.tooManyDecimals,
                message: "the amount has more decimals than \(currency.code) allows (\(currency.minorDigits))",
                hint: "round it: multiply: ..., by: 1, round: half_even", field: evaluator.describe(spec.amount))
        }
        let primary = try account(spec.account, row, "account", key: index * 4)
        if spec.account != nil && primary == nil {
            throw EvalFailure(
                code: MappingCode.missingValue, message: "the line's account is empty", hint: nil,
                field: spec.account.flatMap(evaluator.describe))
        }
        return DocumentLine(
            description: try spec.description.flatMap { e in try evaluator.text(e, row) }
                ?? documentDescription ?? "",
            account: primary,
            balancingAccount: try account(spec.balancingAccount, row, "balancing_account", key: index * 4 + 1),
            amount: money,
            vat: try vat(spec.vat, row, key: index * 4 + 2),
            balancingVat: try vat(spec.balancingVat, row, key: index * 4 + 3),
            row: source(row))
    }

    /// Where a line field's value worked out once (for every row, or for the row's rule) is
    /// kept; nil when it is worked out for each row.
    @inline(__always)
    private func resolvedSlot(_ key: Int, _ row: RowState) -> Int? {
        switch reuse[key] {
        case .always: key
        case .perRule: (1 + row.outcome) * reuse.count + key
        case .never: nil
        }
    }

    /// An account: worked out once when it reads nothing of the row (see ``Reuse``), and
    /// otherwise once per text while the text is among the last few seen.
    private func account(_ expr: Expr?, _ row: RowState, _ name: String, key: Int) throws -> AccountNumber? {
        guard let expr else { return nil }
        if let slot = resolvedSlot(key, row) {
            if case .account(let known) = resolved[slot] { return known }
            let value = try account(expr, row, name)
            resolved[slot] = .account(value)
            return value
        }
        guard let text = try evaluator.text(expr, row) else { return nil }
        if let account = recentAccounts[key].value(for: text) { return account }
        let account = try account(text, expr, name)
        recentAccounts[key].remember(text, account)
        return account
    }

    private func account(_ expr: Expr, _ row: RowState, _ name: String) throws -> AccountNumber? {
        guard let text = try evaluator.text(expr, row) else { return nil }
        return try account(text, expr, name)
    }

    private func account(_ text: String, _ expr: Expr, _ name: String) throws -> AccountNumber {
        let trimmed = String(text.trimmingWhitespace)
        // Account numbers are ASCII letters, digits, `-` and `.`; checked on the bytes.
        let valid = trimmed.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x2D
                || byte == 0x2E
        }
        guard !trimmed.isEmpty, valid else {
            throw EvalFailure(
                code: MappingCode.invalidRowValue, message: "the \(name) is not an account number",
                hint: "an account is written like 5820", field: evaluator.describe(expr))
        }
        return AccountNumber(trimmed)
    }

    /// A VAT spec: worked out once when it reads nothing of the row (see ``Reuse``), and
    /// otherwise once per text while the text is among the last few seen.
    private func vat(_ spec: CompiledMapping.VatExpr?, _ row: RowState, key: Int) throws -> VatSpec? {
        guard let spec else { return nil }
        if let slot = resolvedSlot(key, row) {
            if case .vat(let known) = resolved[slot] { return known }
            let value = try vat(spec, row)
            resolved[slot] = .vat(value)
            return value
        }
        switch spec {
        case .code(let expr):
            guard let text = try evaluator.text(expr, row) else { return nil }
            if let vat = recentVats[key].value(for: text) { return vat }
            let vat = Self.vatCode(text)
            recentVats[key].remember(text, vat)
            return vat
        case .zoneCategory:
            return try vat(spec, row)
        }
    }

    private func vat(_ spec: CompiledMapping.VatExpr, _ row: RowState) throws -> VatSpec? {
        switch spec {
        case .code(let expr):
            return try evaluator.text(expr, row).map(Self.vatCode)
        case .zoneCategory(let zone, let category, let direction):
            guard let z = try evaluator.text(zone, row), let c = try evaluator.text(category, row) else { return nil }
            return .zoneCategory(zone: z, category: c, direction: direction)
        }
    }

    private static func vatCode(_ text: String) -> VatSpec {
        let code = String(text.trimmingWhitespace)
        let isNone = code.utf8.count == 4 && code.utf8.elementsEqual("none".utf8, by: { $0 | 0x20 == $1 })
        return isNone ? VatSpec.none : .code(code)
    }

    /// Turns the document's amounts into `base` at the row's exchange rate, rounded as the mapping
    /// says; each line's text keeps the original amount and the rate. A difference that rounding
    /// leaves between the sides goes to the rounding account, or the row is rejected (M112): a
    /// voucher that does not balance is never booked.
    private func convert(
        _ lines: inout [DocumentLine], _ stated: inout DeclaredVat?, from source: Currency, to base: Currency,
        _ exchange: CompiledMapping.ExchangeRateSpec, _ row: RowState
    ) throws {
        let field = evaluator.describe(exchange.rate)
        guard let rate = try evaluator.amount(exchange.rate, row), !rate.isZero, !rate.isNegative else {
            throw EvalFailure(
                code: MappingCode.missingValue,
                message: "the exchange rate from \(source.code) to \(base.code) is empty, zero or negative",
                hint: "check the rate column or lookup", field: field)
        }
        func converted(_ money: Money) throws(EvalFailure) -> Money {
            guard let product = money.decimal.multiplied(by: rate),
                let value = product.divided(by: exchange.per, scale: base.minorDigits, rounding: exchange.rounding),
                let result = Money(value, currency: base)
            else {
                throw EvalFailure(
                    code: MappingCode.overflow, message: "the converted amount is too large", hint: nil, field: field)
            }
            return result
        }
        let rateText = exchange.per == ExactDecimal(units: 1, scale: 0) ? "\(rate)" : "\(rate) per \(exchange.per)"
        var open: Int64 = 0
        for index in lines.indices {
            let original = lines[index].amount
            lines[index].amount = try converted(original)
            let note = "\(source.code) \(original.decimal) at \(rateText)"
            lines[index].description = lines[index].description.isEmpty ? note : lines[index].description + " (\(note))"
            if lines[index].balancingAccount == nil { open += lines[index].amount.minorUnits }
        }
        if let declared = stated {
            stated = DeclaredVat(
                gross: try converted(declared.gross), net: try declared.net.map(converted),
                vat: try converted(declared.vat),
                code: declared.code)
        }
        // A purchase's lines are gross amounts, not sides that balance.
        guard spec.kind != .purchaseVoucher, open != 0 else { return }
        guard let accountExpr = exchange.roundingAccount,
            let account = try account(accountExpr, row, "rounding_account")
        else {
            throw EvalFailure(
                code: MappingCode.roundingDifference,
                message:
                    "converted at \(rateText), the document's amounts differ by \(Money(minorUnits: open, currency: base)) after rounding",
                hint: "name a `rounding_account` under `exchange_rate` to take the difference", field: field)
        }
        lines.append(
            DocumentLine(
                description: "Rounding of the \(source.code)→\(base.code) conversion", account: account,
                balancingAccount: nil, amount: Money(minorUnits: -open, currency: base), vat: VatSpec.none,
                balancingVat: nil, row: lines[0].row))
    }

    /// The currency an amount names when it is not the document's: it becomes the document's
    /// when it is the first line's, names one currency, and the mapping names none for the row;
    /// otherwise the row is rejected rather than booked in a currency the file does not say.
    private func ownCurrency(
        _ marker: CurrencyMarker, instead currency: Currency, linesSoFar: Int, amount: Expr
    ) throws(EvalFailure) -> Currency {
        let field = evaluator.describe(amount)
        if spec.currency != nil {
            throw EvalFailure(
                code: MappingCode.currencyMismatch,
                message: "the amount is marked \(marker), but the row's currency is \(currency.code)",
                hint: "correct the amount or the row's currency", field: field)
        }
        guard let own = marker.definite else {
            throw EvalFailure(
                code: MappingCode.currencyMismatch,
                message:
                    "the amount is marked \(marker), which does not say which currency, and the mapping's is \(currency.code)",
                hint: "name the row's currency: `currency: \"{Currency}\"` under `document:`, or `locale.currency`",
                field: field)
        }
        guard linesSoFar == 0 else {
            throw EvalFailure(
                code: MappingCode.currencyMismatch,
                message: "the document's amounts are in more than one currency (\(currency.code) and \(own.code))",
                hint: "book each currency as a document of its own", field: field)
        }
        return own
    }

    private func currency(_ row: RowState) throws -> Currency {
        guard let expr = spec.currency, let text = try evaluator.text(expr, row) else { return mapping.locale.currency }
        guard let currency = Currency(code: String(text.trimmingWhitespace)) else {
            throw EvalFailure(
                code: MappingCode.invalidRowValue, message: "the currency is not a three-letter code", hint: nil,
                field: evaluator.describe(expr))
        }
        return currency
    }

    private func integer(_ expr: Expr, _ row: RowState, _ name: String) throws -> Int? {
        guard let text = try evaluator.text(expr, row) else { return nil }
        guard let value = Int(text.trimmingWhitespace), value > 0 else {
            throw EvalFailure(
                code: MappingCode.invalidRowValue, message: "the \(name) is not a positive whole number", hint: nil,
                field: evaluator.describe(expr))
        }
        return value
    }

    private func purchaseTerms(_ spec: CompiledMapping.PurchaseSpec, _ row: RowState) throws -> PurchaseTerms {
        let paymentText = try evaluator.text(spec.payment, row)?.lowercased() ?? ""
        guard let payment = PurchaseTerms.Payment(rawValue: String(paymentText.trimmingWhitespace)) else {
            throw EvalFailure(
                code: MappingCode.invalidRowValue, message: "the purchase payment must be cash or credit", hint: nil,
                field: evaluator.describe(spec.payment))
        }
        var region: Region?
        if let expr = spec.region, let text = try evaluator.text(expr, row) {
            region = Region.allCases.first { $0.rawValue.lowercased() == text.lowercased() }
            if region == nil {
                throw EvalFailure(
                    code: MappingCode.invalidRowValue, message: "the region must be DK, EU or World", hint: nil,
                    field: evaluator.describe(expr))
            }
        }
        return PurchaseTerms(
            payment: payment,
            depositAccount: try spec.depositAccount.flatMap { e in try account(e, row, "deposit account") },
            contact: try spec.contact.flatMap { spec in try contact(spec, row) },
            paymentDate: try spec.paymentDate.flatMap { e in try evaluator.date(e, row) },
            region: region)
    }

    /// Lines made from a record's items (`for_each`) must add up to the amount they split
    /// (`split_of`): a detail without an amount must not book the whole once per detail.
    private func checkSplit(
        _ split: Expr, _ lines: ArraySlice<DocumentLine>, _ row: RowState, _ currency: Currency
    ) throws {
        let stated = try evaluator.amount(split, row)
        let sum = lines.reduce(Int64(0)) { $0 &+ $1.amount.minorUnits }
        let found = ExactDecimal(units: sum, scale: currency.minorDigits)
        guard let stated, stated == found else {
            throw EvalFailure(
                code: MappingCode.splitMismatch,
                message:
                    "the \(lines.count) lines split from the record add up to \(found), not the \(stated?.description ?? "(empty)") they split",
                hint: "give each item its own amount, or drop `split_of` and book the record's amount as one line",
                field: evaluator.describe(split))
        }
    }

    /// The supplier as the row names it; nil when every field is empty.
    private func contact(_ spec: CompiledMapping.ContactSpec, _ row: RowState) throws -> ContactReference? {
        func text(_ expr: Expr?) throws -> String? {
            guard let expr, let value = try evaluator.text(expr, row)?.trimmingWhitespace, !value.isEmpty else {
                return nil
            }
            return String(value)
        }
        let reference = ContactReference(
            text: try text(spec.text), name: try text(spec.name), vatNumber: try text(spec.vatNumber),
            externalReference: try text(spec.externalReference), country: try text(spec.country),
            id: try text(spec.id))
        return reference.isEmpty ? nil : reference
    }

    /// The document's reference: from the mapping's template, or derived from the rows'
    /// content (then with the digest the counter needs).
    private func reference(
        _ first: RowState, _ more: ArraySlice<RowState>
    ) throws -> (
        DocumentReference, ContentDigest?
    ) {
        if case .template(let expr) = spec.reference {
            guard let text = try evaluator.text(expr, first) else {
                throw EvalFailure(
                    code: MappingCode.missingValue, message: "the document reference is empty",
                    hint: "every document needs a reference; leave `reference:` out to derive one",
                    field: evaluator.describe(expr))
            }
            guard text.utf8.count <= ReferenceHasher.maxLength else {
                throw EvalFailure(
                    code: MappingCode.invalidRowValue,
                    message: "the reference is longer than \(ReferenceHasher.maxLength) bytes", hint: nil,
                    field: evaluator.describe(expr))
            }
            return (DocumentReference(text), nil)
        }
        let (digest, reference) = hasher.digest(of: first, more)
        return (reference, digest)
    }
}

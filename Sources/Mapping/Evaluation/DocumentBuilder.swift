import Crypto
import Foundation
public import LedgerModel
public import Readers

/// What became of source rows: a document, or rows rejected or skipped with the reason.
/// Every record read ends in exactly one event.
public enum MappingEvent: Sendable {
    case document(Document)
    case rejected(RowOutcome)
    case skipped(RowOutcome)
}

/// Rows that did not become a document, and why.
public struct RowOutcome: Sendable, Hashable, Codable {
    public var file: String
    public var rows: [SourceRow]
    /// One line for the report: the first diagnostic's message, or the skip rule's reason.
    public var reason: String
    public var diagnostics: [Diagnostic]

    public init(file: String, rows: [SourceRow], reason: String, diagnostics: [Diagnostic] = []) {
        self.file = file
        self.rows = rows
        self.reason = reason
        self.diagnostics = diagnostics
    }
}

/// Counts of what a file turned into so far.
public struct MappingStats: Sendable, Hashable, Codable {
    public var records = 0
    public var documents = 0
    public var lines = 0
    public var rowsInDocuments = 0
    public var rowsRejected = 0
    public var rowsSkipped = 0

    public init() {}
}

/// Turns the records of one file into documents, streaming: it holds only the rows of the
/// group being built (or, with `group_by.order: any`, at most `buffer_rows` rows).
public final class DocumentBuilder {
    public let bound: BoundMapping
    public private(set) var stats = MappingStats()

    private let reader: any RecordReader
    private let evaluator: Evaluator
    private let spec: CompiledMapping.DocumentSpec
    private let mapping: CompiledMapping
    private var references: ReferenceMaker
    private var queue: [MappingEvent] = []
    private var queueHead = 0
    private var finished = false
    // Grouping
    private var openKey: String?
    private var openRows: [RowState] = []
    private var closedKeys: Set<String> = []
    private var buffered: [String: [RowState]] = [:]
    private var bufferedOrder: [String] = []
    private var bufferedCount = 0
    private let sourceFolder: String
    private let skipConditions: [Condition?]
    private let ruleConditions: [Condition?]
    private var skipMemo: RuleMemo?
    private var ruleMemo: RuleMemo?
    private var spareVariables: [String?] = []
    /// Line fields written as constants (`account: 5500`, `vat: none`), resolved once; four
    /// slots a line: account, balancing account, VAT, balancing VAT.
    private var constants: [Constant]

    private enum Constant {
        case unknown
        case account(AccountNumber?)
        case vat(VatSpec?)
    }

    public init(_ bound: BoundMapping, reader: any RecordReader) throws {
        self.bound = bound
        self.reader = reader
        self.mapping = bound.mapping
        self.spec = bound.mapping.document
        self.evaluator = Evaluator(bound)
        var fileDigest: [UInt8]?
        if case .file = spec.reference { fileDigest = try Self.digestFile(bound.source.path) }
        references = ReferenceMaker(name: bound.mapping.name, kind: spec.kind, fileDigest: fileDigest)
        sourceFolder = URL(fileURLWithPath: bound.source.path).deletingLastPathComponent().relativePath
        constants = [Constant](repeating: .unknown, count: bound.mapping.document.lines.count * 4)
        skipConditions = bound.mapping.skips.map(\.when)
        ruleConditions = bound.mapping.rules.map(\.when)
        skipMemo = RuleMemo(skipConditions)
        ruleMemo = RuleMemo(ruleConditions)
    }

    /// An account, computed once when the expression is a constant.
    private func account(_ expr: Expr?, _ row: RowState, _ name: String, key: Int) throws -> AccountNumber? {
        guard let expr else { return nil }
        if case .account(let fixed) = constants[key] { return fixed }
        let value = try account(expr, row, name)
        if case .constant = expr { constants[key] = .account(value) }
        return value
    }

    /// A VAT spec, computed once when the expression is a constant.
    private func vat(_ spec: CompiledMapping.VatExpr?, _ row: RowState, key: Int) throws -> VatSpec? {
        guard let spec else { return nil }
        if case .vat(let fixed) = constants[key] { return fixed }
        let value = try vat(spec, row)
        if case .code(.constant) = spec { constants[key] = .vat(value) }
        return value
    }

    /// The next event, or nil when the file is done. Throws ``ReadError`` when the file cannot
    /// be read on, ``MappingError`` when grouping cannot go on.
    public func next() throws -> MappingEvent? {
        while queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
            if finished { return nil }
            if let record = try reader.next() {
                try process(record)
            } else {
                finished = true
                flushAll()
            }
            // The usual case, one event from one row: hand it over without copying.
            if queue.count == 1 { return queue.removeLast() }
        }
        defer { queueHead += 1 }
        return queue[queueHead]
    }

    // MARK: Rows

    private func process(_ record: Record) throws {
        stats.records += 1
        let source = SourceRow(record: record.number, line: record.line)
        if record.hasErrors {
            let errors = record.diagnostics.filter { $0.severity == .error }
            reject([source], errors)
            return
        }
        var row = RowState(record: record, variables: freshVariables())
        do {
            for (i, variable) in mapping.variables.enumerated() {
                if let initial = variable.initial { row.variables[i] = try evaluator.text(initial, row) }
            }
            if let index = try first(skipConditions, &skipMemo, row) {
                stats.rowsSkipped += 1
                queue.append(
                    .skipped(RowOutcome(file: bound.source.path, rows: [source], reason: mapping.skips[index].reason)))
                return
            }
            if let index = try first(ruleConditions, &ruleMemo, row) {
                for (variable, value) in mapping.rules[index].assignments {
                    row.variables[variable] = try evaluator.text(value, row)
                }
            }
        } catch {
            reject([source], [diagnostic(error, row)])
            return
        }
        guard let group = spec.group else {
            emit(build(CollectionOfOne(row)))
            spareVariables = row.variables
            return
        }
        let key: String
        do {
            key = try evaluator.text(group.key, row) ?? ""
        } catch {
            reject([source], [diagnostic(error, row)])
            return
        }
        switch group.order {
        case .sorted:
            if key == openKey {
                openRows.append(row)
            } else if closedKeys.contains(key) {
                reject(
                    [source],
                    [
                        .error(
                            MappingCode.groupNotTogether,
                            "this row belongs to a voucher whose rows came earlier, with other rows in between",
                            hint: "sort the file by the group key, or set `group_by.order: any`",
                            at: record.location)
                    ])
            } else {
                flushOpen()
                openKey = key
                openRows = [row]
            }
        case .any:
            if buffered[key] == nil { bufferedOrder.append(key) }
            buffered[key, default: []].append(row)
            bufferedCount += 1
            if bufferedCount > group.bufferRows {
                throw MappingError([
                    .error(
                        MappingCode.groupBufferFull,
                        "more than \(group.bufferRows) rows are waiting for their voucher to be complete",
                        hint:
                            "sort the file by the group key (then use order: sorted), or raise `group_by.buffer_rows`",
                        at: group.location)
                ])
            }
        }
    }

    /// The first of `conditions` that holds for the row, remembered per distinct field values.
    private func first(_ conditions: [Condition?], _ memo: inout RuleMemo?, _ row: RowState) throws(EvalFailure) -> Int?
    {
        if memo != nil, let remembered = try memo!.lookup(row, evaluator) { return remembered }
        var found: Int?
        for (index, condition) in conditions.enumerated() {
            if let condition, try !evaluator.holds(condition, row) { continue }
            found = index
            break
        }
        memo?.store(found)
        return found
    }

    /// A variables array for a new row, reusing the last row's when it is free.
    private func freshVariables() -> [String?] {
        var variables: [String?] = []
        swap(&variables, &spareVariables)
        if variables.count != mapping.variables.count {
            return [String?](repeating: nil, count: mapping.variables.count)
        }
        for i in variables.indices { variables[i] = nil }
        return variables
    }

    private func flushOpen() {
        guard let key = openKey else { return }
        closedKeys.insert(key)
        emit(build(openRows))
        openKey = nil
        openRows = []
    }

    private func flushAll() {
        flushOpen()
        for key in bufferedOrder {
            if let rows = buffered[key] { emit(build(rows)) }
        }
        buffered = [:]
        bufferedOrder = []
    }

    private func emit(_ event: MappingEvent) {
        switch event {
        case .document(let document):
            stats.documents += 1
            stats.lines += document.lines.count
            stats.rowsInDocuments += document.provenance.rows.count
        case .rejected(let outcome): stats.rowsRejected += outcome.rows.count
        case .skipped(let outcome): stats.rowsSkipped += outcome.rows.count
        }
        queue.append(event)
    }

    private func reject(_ rows: [SourceRow], _ diagnostics: [Diagnostic]) {
        emit(
            .rejected(
                RowOutcome(
                    file: bound.source.path, rows: rows, reason: diagnostics.first?.message ?? "rejected",
                    diagnostics: diagnostics)))
    }

    private func diagnostic(_ error: EvalFailure, _ row: RowState) -> Diagnostic {
        var location = row.record.location
        location.field = error.field
        return .error(error.code, error.message, hint: error.hint, at: location)
    }

    // MARK: Documents

    private func build<Rows: Collection>(_ rows: Rows) -> MappingEvent where Rows.Element == RowState {
        let sources = rows.map { SourceRow(record: $0.record.number, line: $0.record.line) }
        let first = rows.first!
        var current = first
        do {
            guard let date = try evaluator.date(spec.date, first) else {
                throw EvalFailure(
                    code: MappingCode.missingValue, message: "the document date is empty", hint: nil,
                    field: evaluator.describe(spec.date))
            }
            let currency = try currency(first)
            let description = try spec.description.flatMap { e in try evaluator.text(e, first) }
            let voucherNumber = try spec.voucherNumber.flatMap { e in
                try integer(e, first, "voucher_number")
            }
            let attachment = try spec.attachment.flatMap { e in try evaluator.text(e, first) }.map {
                $0.hasPrefix("/") || sourceFolder == "." ? $0 : sourceFolder + "/" + $0
            }
            let purchase = try spec.purchase.map { p in try purchaseTerms(p, first) }
            var lines: [DocumentLine] = []
            for row in rows {
                current = row
                for (index, lineSpec) in spec.lines.enumerated() {
                    if let path = lineSpec.forEach {
                        guard case .tree(let tree) = row.record.fields else { continue }
                        for item in tree.nodes(at: path) {
                            current.item = item
                            if let line = try line(lineSpec, index, current, currency, description) {
                                lines.append(line)
                            }
                        }
                        current.item = 0
                    } else if let line = try line(lineSpec, index, row, currency, description) {
                        lines.append(line)
                    }
                }
            }
            if lines.isEmpty {
                return .skipped(
                    RowOutcome(
                        file: bound.source.path, rows: sources,
                        reason: "nothing to book: every line is zero or excluded by its `when`"))
            }
            let reference = try reference(rows)
            return .document(
                Document(
                    kind: spec.kind, reference: reference, date: date, currency: currency, description: description,
                    voucherNumber: voucherNumber, attachment: attachment, purchase: purchase, lines: lines,
                    provenance: Provenance(file: bound.source.path, rows: sources)))
        } catch {
            let failure =
                error as? EvalFailure ?? EvalFailure(code: MappingCode.invalidRowValue, message: "\(error)", field: nil)
            let diagnostic = diagnostic(failure, current)
            return .rejected(
                RowOutcome(
                    file: bound.source.path, rows: sources, reason: diagnostic.message, diagnostics: [diagnostic]))
        }
    }

    private func line(
        _ spec: CompiledMapping.LineSpec, _ index: Int, _ row: RowState, _ currency: Currency,
        _ documentDescription: String?
    ) throws -> DocumentLine? {
        if let when = spec.when, try !evaluator.holds(when, row) { return nil }
        let value = try evaluator.amount(spec.amount, row)
        if spec.skipIfZero && (value?.isZero ?? true) { return nil }
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
            row: SourceRow(record: row.record.number, line: row.record.line))
    }

    private func account(_ expr: Expr, _ row: RowState, _ name: String) throws -> AccountNumber? {
        guard let text = try evaluator.text(expr, row) else { return nil }
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

    private func vat(_ spec: CompiledMapping.VatExpr, _ row: RowState) throws -> VatSpec? {
        switch spec {
        case .code(let expr):
            guard let text = try evaluator.text(expr, row) else { return nil }
            let code = String(text.trimmingWhitespace)
            let isNone = code.utf8.count == 4 && code.utf8.elementsEqual("none".utf8, by: { $0 | 0x20 == $1 })
            return isNone ? VatSpec.none : .code(code)
        case .zoneCategory(let zone, let category):
            guard let z = try evaluator.text(zone, row), let c = try evaluator.text(category, row) else { return nil }
            return .zoneCategory(zone: z, category: c)
        }
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
            contact: try spec.contact.flatMap { e in try evaluator.text(e, row) },
            paymentDate: try spec.paymentDate.flatMap { e in try evaluator.date(e, row) },
            region: region)
    }

    private func reference<Rows: Collection>(_ rows: Rows) throws -> String where Rows.Element == RowState {
        if case .template(let expr) = spec.reference {
            guard let text = try evaluator.text(expr, rows.first!) else {
                throw EvalFailure(
                    code: MappingCode.missingValue, message: "the document reference is empty",
                    hint: "every document needs a reference; leave `reference:` out to derive one",
                    field: evaluator.describe(expr))
            }
            guard text.utf8.count <= ReferenceMaker.maxLength else {
                throw EvalFailure(
                    code: MappingCode.invalidRowValue,
                    message: "the reference is longer than \(ReferenceMaker.maxLength) bytes", hint: nil,
                    field: evaluator.describe(expr))
            }
            return text
        }
        return references.reference(for: rows)
    }

    static func digestFile(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ReadError(
                .error(ReaderCode.cannotOpen, "cannot open to compute its digest", at: SourceLocation(file: path)))
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return Array(hasher.finalize())
    }
}

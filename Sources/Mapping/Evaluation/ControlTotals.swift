import LedgerModel
import Readers

/// One of a file's own totals against what its documents add up to.
public struct ControlTotal: Sendable, Hashable, Encodable {
    /// `debit`, `credit`, `count` or `closing balance`.
    public var name: String
    /// What the file says; nil when it says nothing there (the path is empty).
    public var stated: String?
    /// What the documents made from the file add up to.
    public var found: String
    public var agrees: Bool

    /// Why nothing of `file` may be sent, when one of its totals differs; nil when all agree.
    public static func refusal(_ totals: [ControlTotal], file: String) -> String? {
        let differ = totals.filter { !$0.agrees }
        guard !differ.isEmpty else { return nil }
        return "\(file) does not add up to its own totals, so none of its documents is sent: "
            + differ.map(\.description).joined(separator: "; ")
    }

    public var description: String {
        let counted = name == "count" ? "it holds \(found) records" : "its documents \(found)"
        return "\(name): the file says \(stated ?? "nothing"), \(counted)\(agrees ? "" : " (differs)")"
    }
}

/// The postings of a file's documents, added up as they are made, for ``ControlTotal``s.
struct ControlSums {
    var debit: Int64 = 0
    var credit: Int64 = 0
    /// The file's records (entries, transactions), whatever became of them.
    var records = 0
    /// Postings to the statement's account (`control_totals.balance.account`).
    var account: Int64 = 0
    /// The documents' currency, when they share one.
    var currency: Currency?
    var mixedCurrencies = false

    mutating func add(_ document: Document, account statementAccount: AccountNumber?) {
        if currency == nil {
            currency = document.currency
        } else if currency != document.currency {
            mixedCurrencies = true
        }
        for line in document.lines {
            let amount = line.amount.minorUnits
            post(amount, to: line.account, statementAccount)
            if let balancing = line.balancingAccount { post(-amount, to: balancing, statementAccount) }
        }
    }

    private mutating func post(_ amount: Int64, to account: AccountNumber?, _ statementAccount: AccountNumber?) {
        if amount > 0 { debit &+= amount } else { credit &+= -amount }
        if let statementAccount, account == statementAccount { self.account &+= amount }
    }
}

extension RowMapper {
    /// The file's control totals, read from its first or last record (and what is around it), against
    /// the sums of its documents. Problems reading them are reported as totals the file states
    /// nothing for, with the reason in `stated`.
    func controlTotals(_ spec: CompiledMapping.ControlSpec, first: Record?, sums: ControlSums) -> [ControlTotal] {
        let digits = sums.currency?.minorDigits ?? 2
        func money(_ minorUnits: Int64) -> ExactDecimal { ExactDecimal(units: minorUnits, scale: digits) }
        let row = first.map { RowState(keeping: $0, variables: freshVariables(), outcome: -1) }
        func amount(_ expr: Expr) -> (ExactDecimal?, String?) {
            guard let row else { return (nil, nil) }
            do {
                let value = try evaluator.amount(expr, row)
                return (value, value?.description)
            } catch {
                return (nil, "unreadable: \(error.message)")
            }
        }
        func compare(_ name: String, _ expr: Expr, _ found: Int64) -> ControlTotal {
            let (stated, text) = amount(expr)
            let foundValue = money(found)
            return ControlTotal(
                name: name, stated: text, found: foundValue.description,
                agrees: !sums.mixedCurrencies && stated.map { $0 == foundValue } == true)
        }
        var totals: [ControlTotal] = []
        if let debit = spec.debit { totals.append(compare("debit", debit, sums.debit)) }
        if let credit = spec.credit { totals.append(compare("credit", credit, sums.credit)) }
        if let count = spec.count {
            let stated = row.flatMap { try? evaluator.text(count, $0) }
            totals.append(
                ControlTotal(
                    name: "count", stated: stated, found: String(sums.records),
                    agrees: stated.flatMap { Int($0.trimmingWhitespace) } == sums.records))
        }
        if let balance = spec.balance {
            let (opening, openingText) = amount(balance.opening)
            let (closing, closingText) = amount(balance.closing)
            let expected = opening.flatMap { $0.adding(money(sums.account)) }
            totals.append(
                ControlTotal(
                    name: "closing balance", stated: closingText,
                    found: "\(openingText ?? "?") + \(money(sums.account)) = \(expected?.description ?? "?")",
                    agrees: !sums.mixedCurrencies && closing != nil && expected == closing))
        }
        return totals
    }
}

extension RowMapper {
    /// The statement's account (`control_totals.balance.account`), read from the first record.
    func statementAccount(_ spec: CompiledMapping.ControlSpec, first: Record) -> AccountNumber? {
        guard let balance = spec.balance else { return nil }
        let row = RowState(keeping: first, variables: freshVariables(), outcome: -1)
        guard let text = try? evaluator.text(balance.account, row) else { return nil }
        return AccountNumber(String(text.trimmingWhitespace))
    }
}

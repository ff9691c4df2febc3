import Foundation

/// One side of a booking before it becomes an entry.
struct Posting: Sendable {
    var account: Int
    /// Øre; positive is a debit.
    var amount: Int64
    var vatCode: String?
    var description: String?
}

/// A line's amount split into net and VAT by its code.
struct VatSplit: Sendable {
    var net: Int64
    var vat: Int64
    var gross: Int64 { net + vat }
}

extension DineroStore {
    /// The code a line really gets: nil means the account's default, "none" (any case) means none.
    func effectiveVatCode(_ code: String?, account: Int, in organization: Organization) -> String? {
        let resolved = code ?? organization.accounts.first { $0.number == account }?.vatCode
        guard let resolved, resolved.lowercased() != "none" else { return nil }
        return resolved
    }

    func vatType(_ code: String?, in organization: Organization) -> VatType? {
        guard let code else { return nil }
        return organization.vatTypes.first { $0.code.caseInsensitiveCompare(code) == .orderedSame }
    }

    /// The problem with a VAT code as sent, if any. nil (absent) is fine: the account default applies.
    func vatCodeProblem(_ code: String?, in organization: Organization) -> String? {
        guard let code else { return nil }
        if code.isEmpty {
            return "VatCode may not be empty. Send \"none\" for no VAT, or leave it out to use the account's default."
        }
        if vatType(code, in: organization) == nil { return "The VAT code '\(code)' does not exist" }
        return nil
    }

    func accountProblem(_ number: Int?, in organization: Organization) -> String? {
        guard let number else { return nil }
        return organization.accounts.contains { $0.number == number } ? nil : "The account \(number) does not exist"
    }

    /// Splits an amount that includes VAT (`gross`), rounding the VAT half away from zero to the øre.
    func split(_ gross: Int64, vat: VatType?) -> VatSplit {
        guard let vat, vat.rateBasisPoints > 0 else { return VatSplit(net: gross, vat: 0) }
        let tax = Self.divideRounded(gross * Int64(vat.rateBasisPoints), by: Int64(10_000 + vat.grossRateBasisPoints))
        return VatSplit(net: gross - tax, vat: tax)
    }

    static func divideRounded(_ numerator: Int64, by denominator: Int64) -> Int64 {
        let half = denominator / 2
        return numerator >= 0 ? (numerator + half) / denominator : -((-numerator + half) / denominator)
    }

    /// The entries one side of a line makes: the amount on its account, less VAT that goes to
    /// the VAT accounts; reverse-charge codes post the buyer's VAT on both sides.
    func postings(
        account: Int, amount: Int64, vatCode: String?, description: String?, in organization: Organization
    )
        -> [Posting]
    {
        let code = effectiveVatCode(vatCode, account: account, in: organization)
        guard let type = vatType(code, in: organization) else {
            return [Posting(account: account, amount: amount, vatCode: nil, description: description)]
        }
        var result: [Posting] = []
        let parts = split(amount, vat: type)
        result.append(Posting(account: account, amount: parts.net, vatCode: type.code, description: description))
        if parts.vat != 0 {
            let vatAccount = type.direction == .sales ? Seed.outputVatAccount : Seed.inputVatAccount
            result.append(Posting(account: vatAccount, amount: parts.vat, vatCode: type.code, description: description))
        }
        if type.reverseChargeBasisPoints > 0 {
            let tax = Self.divideRounded(amount * Int64(type.reverseChargeBasisPoints), by: 10_000)
            let foreign = type.code.hasSuffix("V") ? Seed.foreignGoodsVatAccount : Seed.foreignServicesVatAccount
            if tax != 0 {
                result.append(
                    Posting(account: Seed.inputVatAccount, amount: tax, vatCode: type.code, description: description))
                result.append(Posting(account: foreign, amount: -tax, vatCode: type.code, description: description))
            }
        }
        return result
    }

    /// A manual-voucher or ledger line: `amount` debits `account` and credits `balancing`, each
    /// side with its own VAT code.
    func linePostings(
        account: Int?, balancing: Int?, amount: Int64, accountVat: String?, balancingVat: String?,
        description: String?, in organization: Organization
    ) -> [Posting] {
        var sides: [Posting] = []
        if let account {
            sides += postings(
                account: account, amount: amount, vatCode: accountVat, description: description, in: organization)
        }
        if let balancing {
            sides += postings(
                account: balancing, amount: -amount, vatCode: balancingVat, description: description, in: organization)
        }
        return sides
    }

    /// The date must lie in an accounting year and after the organization's locked period.
    func periodProblem(_ date: Day, in organization: Organization) -> String? {
        guard let year = organization.accountingYears.first(where: { $0.from <= date && date <= $0.to }) else {
            return "The date \(date) is not in any accounting year"
        }
        if let locked = organization.lockedThrough, date <= locked {
            return "The accounting year \(year.name) is closed for bookings up to \(locked)"
        }
        return nil
    }

    /// Takes the requested voucher number if it is free, or the next one in the sequence.
    func assignVoucherNumber(_ requested: Int?, organization: Int) throws(DineroError) -> Int {
        let key = String(organization)
        let number: Int
        if let requested {
            guard requested > 0 else { throw DineroError.validation("Number", "Number must be positive") }
            guard counters.usedVoucherNumbers[key]?.contains(requested) != true else {
                throw DineroError.validation("Number", "The voucher number \(requested) is already used")
            }
            number = requested
        } else {
            var next = counters.nextVoucherNumber[key] ?? 1
            while counters.usedVoucherNumbers[key]?.contains(next) == true { next += 1 }
            number = next
        }
        markUsed(number, organization: organization)
        return number
    }

    /// Records a voucher number as taken and moves the sequence past it.
    func markUsed(_ number: Int, organization: Int) {
        let key = String(organization)
        counters.usedVoucherNumbers[key, default: []].insert(number)
        counters.nextVoucherNumber[key] = max(counters.nextVoucherNumber[key] ?? 1, number + 1)
    }

    /// Writes entries for a booked document; they must balance to the øre.
    func writeEntries(
        _ postings: [Posting], organization: Organization, date: Day, voucherNumber: Int, voucherType: String,
        source: String
    ) {
        let moment = now
        for posting in postings where posting.amount != 0 {
            counters.entrySequence += 1
            let account = organization.accounts.first { $0.number == posting.account }
            let entry = Entry(
                organization: organization.id, guid: newGuid(), accountNumber: posting.account,
                accountName: account?.name ?? "", date: date, voucherNumber: voucherNumber, voucherType: voucherType,
                source: source, description: posting.description,
                vatType: vatType(posting.vatCode, in: organization)?.name,
                vatCode: posting.vatCode, amount: posting.amount, addedAt: moment, sequence: counters.entrySequence)
            entries[organization.id, default: []].append(entry)
            remember("entry", entry.guid, entry)
        }
    }

    /// Links an uploaded file to the document that names it.
    func link(fileGuid: String?, to document: String, organization: Int) {
        guard let fileGuid, var file = files[fileGuid], file.organization == organization else { return }
        file.linkedTo = document
        files[fileGuid] = file
        remember("file", fileGuid, file)
    }

    func fileProblem(_ fileGuid: String?, organization: Int) -> String? {
        guard let fileGuid else { return nil }
        guard let file = files[fileGuid.lowercased()], file.organization == organization else {
            return "The file \(fileGuid) does not exist; upload it first"
        }
        return nil
    }
}

/// Reads request fields the way Dinero's model binding does (keys in any case, numbers as
/// numbers or strings) and collects every problem, so one 400 names them all.
struct Binder {
    var errors: [(String, String)] = []

    mutating func fail(_ field: String, _ message: String) { errors.append((field, message)) }

    func check(message: String = "Validation failed") throws(DineroError) {
        if !errors.isEmpty { throw DineroError.validation(errors, message: message) }
    }

    mutating func string(
        _ object: JSON, _ key: String, at field: String, required: Bool = false, maxLength: Int? = nil
    )
        -> String?
    {
        switch object[key] {
        case nil, .null?:
            if required { fail(field, "\(field) is required") }
            return nil
        case .string(let text)?:
            if let maxLength, text.count > maxLength { fail(field, "\(field) may be at most \(maxLength) characters") }
            if required && text.isEmpty { fail(field, "\(field) is required") }
            return text
        case .number(let text)?:
            return text
        default:
            fail(field, "\(field) must be a string")
            return nil
        }
    }

    mutating func int(_ object: JSON, _ key: String, at field: String, required: Bool = false) -> Int? {
        switch object[key] {
        case nil, .null?:
            if required { fail(field, "\(field) is required") }
            return nil
        case .number(let text)?, .string(let text)?:
            guard let value = Int(text) else {
                fail(field, "\(field) must be a whole number, not '\(text)'")
                return nil
            }
            return value
        default:
            fail(field, "\(field) must be a whole number")
            return nil
        }
    }

    mutating func bool(_ object: JSON, _ key: String, at field: String, required: Bool = false) -> Bool? {
        switch object[key] {
        case nil, .null?:
            if required { fail(field, "\(field) is required") }
            return nil
        case .bool(let flag)?: return flag
        case .string(let text)? where text.lowercased() == "true" || text.lowercased() == "false":
            return text.lowercased() == "true"
        default:
            fail(field, "\(field) must be true or false")
            return nil
        }
    }

    /// A decimal amount in kroner as øre: at most two decimals, at most 10 billion kroner.
    mutating func amount(_ object: JSON, _ key: String, at field: String, required: Bool = false) -> Int64? {
        let text: String
        switch object[key] {
        case nil, .null?:
            if required { fail(field, "\(field) is required") }
            return nil
        case .number(let value)?, .string(let value)?: text = value
        default:
            fail(field, "\(field) must be a number")
            return nil
        }
        guard let value = Binder.minorUnits(text) else {
            fail(field, "\(field) must be an amount with at most 2 decimals, not '\(text)'")
            return nil
        }
        return value
    }

    mutating func day(_ object: JSON, _ key: String, at field: String, required: Bool = false) -> Day? {
        switch object[key] {
        case nil, .null?:
            if required { fail(field, "\(field) is required") }
            return nil
        case .string(let text)?:
            guard let day = Day(text) else {
                fail(field, "\(field) must be a date as YYYY-MM-DD, not '\(text)'")
                return nil
            }
            return day
        default:
            fail(field, "\(field) must be a date as YYYY-MM-DD")
            return nil
        }
    }

    /// "1234.5" → 123450; nil for more than two decimals, exponents or more than 10^12 øre.
    static func minorUnits(_ text: String) -> Int64? {
        var digits = Substring(text)
        var negative = false
        if digits.first == "-" {
            negative = true
            digits = digits.dropFirst()
        } else if digits.first == "+" {
            digits = digits.dropFirst()
        }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit), whole.count <= 10 else {
            return nil
        }
        var fraction = parts.count > 1 ? parts[1] : ""
        while fraction.count > 2 && fraction.last == "0" { fraction = fraction.dropLast() }
        guard fraction.count <= 2, fraction.allSatisfy(\.isASCIIDigit), parts.count == 1 || !parts[1].isEmpty else {
            return nil
        }
        let cents = Int64(fraction.isEmpty ? "0" : String(fraction))! * (fraction.count == 1 ? 10 : 1)
        let value = Int64(whole)! * 100 + cents
        return negative ? -value : value
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// Short ways to build response bodies.
extension JSON {
    static func object(_ pairs: KeyValuePairs<String, JSON>) -> JSON {
        .object(pairs.map { Member(key: $0.key, value: $0.value) })
    }

    static func string(_ text: String?) -> JSON { text.map { .string($0) } ?? .null }

    static func int(_ value: Int?) -> JSON { value.map { .number(String($0)) } ?? .null }

    /// Kroner and øre as an exact decimal number: `-1234.5` for -123450 øre.
    static func amount(_ minorUnits: Int64?) -> JSON {
        guard let minorUnits else { return .null }
        let magnitude = minorUnits.magnitude
        let whole = magnitude / 100
        let cents = magnitude % 100
        var text = (minorUnits < 0 ? "-" : "") + String(whole)
        if cents != 0 {
            text += cents % 10 == 0 ? "." + String(cents / 10) : "." + (cents < 10 ? "0" : "") + String(cents)
        }
        return .number(text)
    }

    static func day(_ day: Day?) -> JSON { day.map { .string($0.description) } ?? .null }
}

extension JSON: ExpressibleByStringLiteral {
    init(stringLiteral value: String) { self = .string(value) }
}

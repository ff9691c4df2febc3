/// A value written in JSON (and reports) as one string: a date as `2026-03-01`, an amount as
/// `1234.50`, a currency as `DKK`, an account as `5820`.
public protocol TextCoded: Codable {
    /// The value from its text, or nil when the text is not one.
    init?(codedText: String)
    /// The text the value is written as.
    var codedText: String { get }
}

extension TextCoded {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(codedText: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a valid \(Self.self): \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(codedText)
    }
}

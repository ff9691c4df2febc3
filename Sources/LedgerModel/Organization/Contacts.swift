/// One of the organization's contacts (a supplier or customer), as the target lists it.
public struct Contact: Sendable, Hashable, Codable {
    /// The target's id for it (Dinero's `ContactGuid`).
    public var id: String
    public var name: String
    /// Its VAT or CVR number, as the target holds it (`DK12345678`, `12345678`).
    public var vatNumber: String?
    /// A key another system gave it (Dinero's `ExternalReference`).
    public var externalReference: String?
    /// ISO 3166 country code (`DK`).
    public var country: String?

    public init(
        id: String, name: String, vatNumber: String? = nil, externalReference: String? = nil, country: String? = nil
    ) {
        self.id = id
        self.name = name
        self.vatNumber = vatNumber
        self.externalReference = externalReference
        self.country = country
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, country
        case vatNumber = "vat_number"
        case externalReference = "external_reference"
    }
}

/// Who a document's counterparty is, as the source names it. Validation finds the contact
/// among the organization's (``ReferenceData/contacts``) and sets ``id``; when none matches and
/// the mapping says `contacts: create`, it marks the reference ``create`` and the job creates
/// the contact before the document.
public struct ContactReference: Sendable, Hashable, Codable {
    /// The mapping's short form (`contact: Supplier`): the contact's id or its name.
    public var text: String?
    public var name: String?
    public var vatNumber: String?
    public var externalReference: String?
    /// The country a created contact gets (ISO 3166; default the target's own).
    public var country: String?
    /// The contact's id at the target: as the source gave it, found by validation, or the id
    /// the job creates it under.
    public var id: String?
    /// No contact matched and the mapping lets the job create it.
    public var create: Bool

    public init(
        text: String? = nil, name: String? = nil, vatNumber: String? = nil, externalReference: String? = nil,
        country: String? = nil, id: String? = nil, create: Bool = false
    ) {
        self.text = text
        self.name = name
        self.vatNumber = vatNumber
        self.externalReference = externalReference
        self.country = country
        self.id = id
        self.create = create
    }

    /// Nothing names a contact.
    public var isEmpty: Bool {
        [text, name, vatNumber, externalReference, id].allSatisfy { $0?.isEmpty ?? true }
    }

    /// How people would recognise it, for messages: its name, or what the source gave.
    public var label: String {
        name ?? text ?? vatNumber.map { "VAT number \($0)" } ?? externalReference.map { "reference \($0)" } ?? id
            ?? "?"
    }

    /// The name a created contact gets: the long form's `name`, or the short form's text.
    public var nameToCreate: String? {
        let value = (name ?? text)?.trimmingSpaces
        return value?.isEmpty == false ? value : nil
    }

    /// What identifies a contact the job creates, so the same supplier on many rows, in many runs,
    /// is created once under one id: its external reference, else its VAT number, else its name,
    /// each normalized as matching compares them.
    public var creationKey: String? {
        if let value = externalReference.map(ContactKey.reference), !value.isEmpty { return "reference:\(value)" }
        if let value = vatNumber.map(ContactKey.vatNumber), !value.isEmpty { return "vat:\(value)" }
        if let value = nameToCreate.map(ContactKey.name), !value.isEmpty { return "name:\(value)" }
        return nil
    }

    /// Reads the plain text older state files kept (the contact's id) as well as the structure.
    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            self.init(text: text, id: text)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            text: try container.decodeIfPresent(String.self, forKey: .text),
            name: try container.decodeIfPresent(String.self, forKey: .name),
            vatNumber: try container.decodeIfPresent(String.self, forKey: .vatNumber),
            externalReference: try container.decodeIfPresent(String.self, forKey: .externalReference),
            country: try container.decodeIfPresent(String.self, forKey: .country),
            id: try container.decodeIfPresent(String.self, forKey: .id),
            create: try container.decodeIfPresent(Bool.self, forKey: .create) ?? false)
    }

    private enum CodingKeys: String, CodingKey {
        case text, name, vatNumber, externalReference, country, id, create
    }
}

/// How contact fields are compared: one rule for matching and for the key of a created contact.
public enum ContactKey {
    /// Case and runs of spaces do not matter: `ACME  ApS` is `acme aps`.
    public static func name(_ text: String) -> String {
        text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Letters and digits only, upper-cased: `DK 12 34 56 78` and `dk12345678` are `DK12345678`.
    public static func vatNumber(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.uppercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }))
    }

    /// The number without a leading country code (`DK12345678` → `12345678`), when it has one;
    /// a number given without its country matches it.
    public static func bareVatNumber(_ normalized: String) -> String? {
        let scalars = Array(normalized.unicodeScalars)
        guard scalars.count > 2, scalars[0].properties.isAlphabetic, scalars[1].properties.isAlphabetic,
            scalars.dropFirst(2).allSatisfy({ ("0"..."9").contains($0) })
        else { return nil }
        return String(String.UnicodeScalarView(scalars.dropFirst(2)))
    }

    /// Trimmed; case does not matter.
    public static func reference(_ text: String) -> String { text.trimmingSpaces.lowercased() }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var slice = self[...]
        while slice.first?.isWhitespace == true { slice = slice.dropFirst() }
        while slice.last?.isWhitespace == true { slice = slice.dropLast() }
        return String(slice)
    }
}

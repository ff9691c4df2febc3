/// The organization's contacts, indexed the ways a source names a supplier, and the one rule
/// for which contact a ``ContactReference`` means.
///
/// The fields a reference gives are tried strongest first: its id, its external reference, its
/// VAT number, its name (the short form, an id or a name, counts as both). The first field
/// that finds contacts gives the candidates; each weaker one that finds some narrows them.
/// Then:
/// - one candidate is the contact, unless a field the source gave disagrees with the contact's
///   own (another VAT number or external reference): a conflict, never a guess;
/// - several candidates (two contacts named `Acme ApS`, no VAT number to tell them apart) are
///   ambiguous;
/// - none is missing. A name is never enough to overrule a VAT number or reference.
public struct ContactDirectory: Sendable {
    public enum Match: Sendable, Equatable {
        case found(Contact)
        case missing
        case ambiguous([Contact])
        /// A contact was found, but a field the source gave disagrees with it.
        case conflict(Contact, field: String, given: String, held: String)
    }

    private var contacts: [Contact] = []
    private var byID: [String: [Int]] = [:]
    private var byReference: [String: [Int]] = [:]
    /// By VAT number as written (normalized), and by its number without a country code.
    private var byVatNumber: [String: [Int]] = [:]
    private var byBareVatNumber: [String: [Int]] = [:]
    private var byName: [String: [Int]] = [:]

    public init(_ contacts: [Contact]) {
        for contact in contacts { add(contact) }
    }

    public mutating func add(_ contact: Contact) {
        let index = contacts.count
        contacts.append(contact)
        byID[contact.id.lowercased(), default: []].append(index)
        if let reference = contact.externalReference.map(ContactKey.reference), !reference.isEmpty {
            byReference[reference, default: []].append(index)
        }
        if let number = contact.vatNumber.map(ContactKey.vatNumber), !number.isEmpty {
            byVatNumber[number, default: []].append(index)
            byBareVatNumber[ContactKey.bareVatNumber(number) ?? number, default: []].append(index)
        }
        let name = ContactKey.name(contact.name)
        if !name.isEmpty { byName[name, default: []].append(index) }
    }

    public var count: Int { contacts.count }

    /// The contact `reference` means, by the rule above.
    public func match(_ reference: ContactReference) -> Match {
        if let id = reference.id {
            // An id names one contact or none: nothing else is consulted.
            guard let found = byID[id.lowercased()]?.first else { return .missing }
            return .found(contacts[found])
        }
        var candidates: Set<Int>?
        for found in lookups(reference) where !found.isEmpty {
            guard let current = candidates else {
                candidates = found
                continue
            }
            let narrowed = current.intersection(found)
            if !narrowed.isEmpty { candidates = narrowed }
        }
        guard let candidates, !candidates.isEmpty else { return .missing }
        guard candidates.count == 1, let index = candidates.first else {
            return .ambiguous(candidates.sorted().map { contacts[$0] })
        }
        let contact = contacts[index]
        if let given = reference.externalReference, let held = contact.externalReference, !held.isEmpty,
            ContactKey.reference(given) != ContactKey.reference(held)
        {
            return .conflict(contact, field: "external reference", given: given, held: held)
        }
        if let given = reference.vatNumber, let held = contact.vatNumber, !held.isEmpty,
            !Self.sameVatNumber(ContactKey.vatNumber(given), ContactKey.vatNumber(held))
        {
            return .conflict(contact, field: "VAT number", given: given, held: held)
        }
        return .found(contact)
    }

    /// The contacts each field finds, strongest field first.
    private func lookups(_ reference: ContactReference) -> [Set<Int>] {
        var found: [Set<Int>] = []
        if let text = reference.externalReference {
            found.append(Set(byReference[ContactKey.reference(text)] ?? []))
        }
        if let text = reference.vatNumber { found.append(vatNumber(ContactKey.vatNumber(text))) }
        if let text = reference.text {
            // The short form: an id, or a name.
            found.append(Set(byID[text.lowercased()] ?? []).union(byName[ContactKey.name(text)] ?? []))
        }
        if let text = reference.name { found.append(Set(byName[ContactKey.name(text)] ?? [])) }
        return found
    }

    /// Contacts with the VAT number: as written when it has a country code (and those holding
    /// it without one); by the bare number when it has none.
    private func vatNumber(_ number: String) -> Set<Int> {
        guard !number.isEmpty else { return [] }
        guard let bare = ContactKey.bareVatNumber(number) else { return Set(byBareVatNumber[number] ?? []) }
        let heldBare = (byVatNumber[bare] ?? [])
        return Set(byVatNumber[number] ?? []).union(heldBare)
    }

    /// Two normalized VAT numbers name the same company: equal, or equal once the one with a
    /// country code loses it.
    static func sameVatNumber(_ a: String, _ b: String) -> Bool {
        a == b || ContactKey.bareVatNumber(a).map { $0 == b } == true
            || ContactKey.bareVatNumber(b).map { $0 == a } == true
    }
}

/// The contacts a job is to create, so a supplier that is on many rows, written in different ways
/// (`DK 12 34 56 78` on one, `12345678` on the next), is created once: each new one is matched
/// against those planned before it, by the directory's rule.
public struct NewContacts: Sendable {
    private var planned = ContactDirectory([])

    /// `planned`: those an earlier run of the job planned already.
    public init(_ planned: [Contact] = []) {
        for contact in planned { self.planned.add(contact) }
    }

    /// How many are planned.
    public var count: Int { planned.count }

    /// The contact to create for a reference validation marked ``ContactReference/create``: one
    /// planned already that it means (then `isNew` is false), or a new one under the id `id`
    /// derives from its ``ContactReference/creationKey``. Nil when it has no name to create.
    public mutating func contact(
        for reference: ContactReference, id: (String) -> String
    ) -> (contact: Contact, isNew: Bool)? {
        if case .found(let contact) = planned.match(reference) { return (contact, false) }
        guard let key = reference.creationKey, let name = reference.nameToCreate else { return nil }
        let contact = Contact(
            id: id(key), name: name, vatNumber: reference.vatNumber.map(ContactKey.vatNumber),
            externalReference: reference.externalReference,
            country: reference.country)
        planned.add(contact)
        return (contact, true)
    }
}

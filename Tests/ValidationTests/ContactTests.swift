import LedgerModel
import Testing
import Validation

/// Suppliers named by a source, found among the organization's contacts: ``ContactDirectory``'s
/// rule, and what validation makes of each outcome.
@Suite("Contacts")
struct ContactTests {
    static let kontorland = Contact(
        id: "11111111-1111-4111-8111-111111111111", name: "Kontorland A/S", vatNumber: "DK12345678",
        externalReference: "crm:7")
    static let acmeOne = Contact(id: "22222222-2222-4222-8222-222222222222", name: "Acme ApS", vatNumber: "DK11111111")
    static let acmeTwo = Contact(id: "33333333-3333-4333-8333-333333333333", name: "ACME  ApS", vatNumber: "SE11111111")
    static let bare = Contact(id: "44444444-4444-4444-8444-444444444444", name: "Strøm ApS", vatNumber: "87654321")
    static let directory = ContactDirectory([kontorland, acmeOne, acmeTwo, bare])

    static func found(_ reference: ContactReference) -> String? {
        if case .found(let contact) = directory.match(reference) { return contact.name }
        return nil
    }

    @Test("a contact is found by id, external reference, VAT number written any way, or name in any case")
    func found() {
        #expect(Self.found(ContactReference(id: "11111111-1111-4111-8111-111111111111")) == "Kontorland A/S")
        #expect(Self.found(ContactReference(externalReference: " CRM:7 ")) == "Kontorland A/S")
        #expect(Self.found(ContactReference(vatNumber: "DK 12 34 56 78")) == "Kontorland A/S")
        #expect(Self.found(ContactReference(vatNumber: "12345678")) == "Kontorland A/S")
        #expect(Self.found(ContactReference(vatNumber: "DK87654321")) == "Strøm ApS")  // held without DK
        #expect(Self.found(ContactReference(name: "kontorland  a/s")) == "Kontorland A/S")
        // The short form: an id or a name.
        #expect(Self.found(ContactReference(text: "KONTORLAND A/S")) == "Kontorland A/S")
        #expect(Self.found(ContactReference(text: "44444444-4444-4444-8444-444444444444")) == "Strøm ApS")
    }

    @Test("two contacts with one name are ambiguous until a VAT number tells them apart")
    func ambiguous() {
        guard case .ambiguous(let candidates) = Self.directory.match(ContactReference(name: "acme aps")) else {
            Issue.record("expected ambiguous")
            return
        }
        #expect(candidates.count == 2)
        #expect(Self.found(ContactReference(name: "Acme ApS", vatNumber: "SE11111111")) == "ACME  ApS")
        // The bare number is in both countries: still two.
        guard case .ambiguous = Self.directory.match(ContactReference(vatNumber: "11111111")) else {
            Issue.record("expected ambiguous")
            return
        }
    }

    @Test("a field that disagrees with the contact found is a conflict; an unknown one is missing")
    func conflictAndMissing() {
        #expect(
            Self.directory.match(ContactReference(name: "Kontorland A/S", vatNumber: "DK99999999"))
                == .conflict(Self.kontorland, field: "VAT number", given: "DK99999999", held: "DK12345678"))
        #expect(
            Self.directory.match(ContactReference(vatNumber: "DK87654321", externalReference: "crm:7"))
                == .conflict(Self.kontorland, field: "VAT number", given: "DK87654321", held: "DK12345678"))
        #expect(Self.directory.match(ContactReference(name: "Ukendt ApS")) == .missing)
        // An id decides alone: an unknown id is missing even when the name is known.
        #expect(
            Self.directory.match(ContactReference(name: "Kontorland A/S", id: "55555555-5555-4555-8555-555555555555"))
                == .missing)
    }

    @Test("the contacts a job creates: one per supplier, however its rows write it")
    func newContacts() {
        var planned = NewContacts()
        let first = planned.contact(
            for: ContactReference(name: "Nyt Firma ApS", vatNumber: "DK 55 55 55 55", create: true), id: { "id-\($0)" })
        #expect(first?.isNew == true)
        #expect(first?.contact.id == "id-vat:DK55555555")
        #expect(first?.contact.vatNumber == "DK55555555")
        let again = planned.contact(for: ContactReference(text: "NYT FIRMA APS", create: true), id: { "id-\($0)" })
        #expect(again?.isNew == false)
        #expect(again?.contact.id == first?.contact.id)
        let other = planned.contact(
            for: ContactReference(name: "Nyt Firma ApS", vatNumber: "DK66666666", create: true), id: { "id-\($0)" })
        #expect(other?.isNew == true)
        #expect(planned.count == 2)
        #expect(planned.contact(for: ContactReference(vatNumber: "DK77777777", create: true), id: { $0 }) == nil)
    }

    static func credit(_ contact: ContactReference) -> Document {
        Fixture.document(
            .purchaseVoucher, lines: [Fixture.line(2750, 100)],
            purchase: PurchaseTerms(payment: .credit, contact: contact, paymentDate: Fixture.date("2026-03-31")))
    }

    static func validator(create: Bool = false, contacts: [Contact]? = [kontorland, acmeOne, acmeTwo]) -> Validator {
        var reference = Fixture.reference
        reference.contacts = contacts
        var options = Fixture.options()
        options.createContacts = create
        options.namesContacts = true
        return Validator(vat: .dineroDenmark, reference: reference, options: options)
    }

    @Test("validation writes the contact's id into the document, or rejects with a code saying why")
    func validation() throws {
        var document = Self.credit(ContactReference(name: "Kontorland A/S"))
        #expect(Self.validator().validate(&document).isEmpty)
        #expect(document.purchase?.contact?.id == Self.kontorland.id)
        #expect(document.purchase?.contact?.create == false)

        var unknown = Self.credit(ContactReference(name: "Ukendt ApS"))
        let missing = try #require(Self.validator().validate(&unknown).first)
        #expect(missing.code.rawValue == "V312")
        #expect(missing.message == "the supplier Ukendt ApS is not among the contacts of Test ApS")
        #expect(missing.hint?.contains("contacts: create") == true)
        #expect(missing.location?.field == "purchase.contact")

        var twice = Self.credit(ContactReference(text: "Acme ApS"))
        let ambiguous = try #require(Self.validator().validate(&twice).first)
        #expect(ambiguous.code.rawValue == "V313")
        #expect(
            ambiguous.message.hasPrefix(
                "2 contacts of Test ApS match the supplier Acme ApS: Acme ApS (VAT number DK11111111)"))

        var wrong = Self.credit(
            ContactReference(name: "Kontorland", vatNumber: "DK12345678", externalReference: "crm:8"))
        #expect(Self.validator().validate(&wrong).errorCodes == ["V314"])
    }

    @Test("with `contacts: create` an unknown supplier is marked to be created, if it has a name")
    func create() {
        var document = Self.credit(ContactReference(name: "Ny Leverandør ApS", vatNumber: "DK55555555"))
        #expect(Self.validator(create: true).validate(&document).isEmpty)
        #expect(document.purchase?.contact?.create == true)
        #expect(document.purchase?.contact?.id == nil)
        var nameless = Self.credit(ContactReference(vatNumber: "DK55555555"))
        #expect(Self.validator(create: true).validate(&nameless).errorCodes == ["V315"])
        // Create never makes a second contact for one that exists, nor guesses between two.
        var known = Self.credit(ContactReference(vatNumber: "12345678"))
        #expect(Self.validator(create: true).validate(&known).isEmpty)
        #expect(known.purchase?.contact?.create == false)
        var twice = Self.credit(ContactReference(name: "acme aps"))
        #expect(Self.validator(create: true).validate(&twice).errorCodes == ["V313"])
        // An id that names no contact is an error whatever the mapping says.
        var lost = Self.credit(ContactReference(id: "55555555-5555-4555-8555-555555555555"))
        #expect(Self.validator(create: true).validate(&lost).errorCodes == ["V312"])
    }

    @Test("reference data without contacts checks none, and says so once")
    func withoutContacts() {
        let validator = Self.validator(contacts: nil)
        #expect(validator.setupDiagnostics.map(\.code.rawValue) == ["V004"])
        var document = Self.credit(ContactReference(name: "Ukendt ApS"))
        #expect(validator.validate(&document).isEmpty)
        #expect(document.purchase?.contact?.id == nil)
        #expect(Self.validator().setupDiagnostics.isEmpty)
    }

    @Test("a worker's check finds contacts as the validator does")
    func worker() {
        let check = Self.validator().workerCheck()
        var document = Self.credit(ContactReference(vatNumber: "DK12345678"))
        #expect(check(&document).isEmpty)
        #expect(document.purchase?.contact?.id == Self.kontorland.id)
    }
}

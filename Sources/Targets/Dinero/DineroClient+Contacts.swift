import Foundation
public import LedgerModel
import NIOHTTP1

/// Dinero's contacts: listed a thousand a page, created under ids ledgerlift derives.
extension DineroClient {
    /// The most contacts one page lists.
    static let contactPageSize = 1000

    public func contacts() async throws(TargetError) -> [Contact] {
        var contacts: [Contact] = []
        var page = 0
        while true {
            let reply = try await send(
                .GET,
                "\(base)/contacts?fields=ContactGuid,Name,VatNumber,ExternalReference,CountryKey&page=\(page)&pageSize=\(Self.contactPageSize)",
                step: .read)
            guard let json = reply.json else { throw TargetError.protocolError("the contact list is not JSON") }
            let items = json["Collection"].array
            for item in items {
                guard let id = item["ContactGuid"].string else { continue }
                contacts.append(
                    Contact(
                        id: id.lowercased(), name: item["Name"].string ?? "",
                        vatNumber: Self.nonEmpty(item["VatNumber"]),
                        externalReference: Self.nonEmpty(item["ExternalReference"]),
                        country: Self.nonEmpty(item["CountryKey"])))
            }
            if items.count < Self.contactPageSize { return contacts }
            page += 1
        }
    }

    public nonisolated func newContactID(key: String) -> String {
        DineroTranslation.contactID(organization: organizationID, key: key)
    }

    /// A company (not a person), no member number, its details not fetched from the CVR register:
    /// what the source gives is what Dinero holds. Denmark unless the source names a country.
    public func createContact(_ contact: Contact) async throws(TargetError) {
        let body = ContactBody(
            contactGuid: contact.id, name: contact.name, countryKey: contact.country ?? "DK", isPerson: false,
            isMember: false, useCvr: false, vatNumber: contact.vatNumber, externalReference: contact.externalReference)
        do throws(TargetError) {
            _ = try await send(.POST, "\(base)/contacts", body: try json(body), step: .write)
        } catch .rejected(_, _, let fields) where fields["guidMustBeUnique"] != nil {
            return  // created already, under this id
        }
    }

    static func nonEmpty(_ value: WireValue) -> String? {
        guard let text = value.string, !text.isEmpty else { return nil }
        return text
    }
}

/// `ContactCreateModel`: the required fields and the ones ledgerlift knows.
struct ContactBody: Encodable {
    var contactGuid: String
    var name: String
    var countryKey: String
    var isPerson: Bool
    var isMember: Bool
    var useCvr: Bool
    var vatNumber: String?
    var externalReference: String?

    enum CodingKeys: String, CodingKey {
        case contactGuid = "ContactGuid", name = "Name", countryKey = "CountryKey", isPerson = "IsPerson"
        case isMember = "IsMember", useCvr = "UseCvr", vatNumber = "VatNumber"
        case externalReference = "ExternalReference"
    }
}

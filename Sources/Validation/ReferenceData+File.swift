import Foundation
public import LedgerModel

extension ReferenceData {
    // MARK: The snapshot file: one format for --reference, `reference pull` and the cache

    struct File: Codable {
        var version: Int
        var organization: String?
        var vatModel: String?
        var accounts: [Account]
        var depositAccounts: [Account]?
        var accountingYears: [AccountingYear]?
        var vatCodes: [String]?
        var contacts: [Contact]?

        enum CodingKeys: String, CodingKey {
            case version, organization, accounts, contacts
            case vatModel = "vat_model"
            case depositAccounts = "deposit_accounts"
            case accountingYears = "accounting_years"
            case vatCodes = "vat_codes"
        }
    }

    /// Reads a snapshot file (YAML or JSON).
    public static func load(path: String) throws(ValidationSetupError) -> ReferenceData {
        let file: File = try SetupFile.decode(path: path, what: "reference data")
        let location = SourceLocation(file: path)
        guard file.version == 1 else {
            throw ValidationSetupError(
                .error(
                    ValidationCode.setupFile, "unsupported reference data version \(file.version)",
                    hint: "write `version: 1`", at: location))
        }
        for year in file.accountingYears ?? [] where year.to < year.from {
            throw ValidationSetupError(
                .error(
                    ValidationCode.setupFile, "accounting year \(year.name) ends before it starts", at: location))
        }
        var data = ReferenceData(
            organization: file.organization, accounts: file.accounts, depositAccounts: file.depositAccounts ?? [],
            years: file.accountingYears ?? [], vatCodes: file.vatCodes, contacts: file.contacts)
        data.path = path
        if let model = file.vatModel {
            data.vatModelPath =
                model.hasPrefix("/")
                ? model : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(model).path
        }
        return data
    }

    /// The snapshot file's text, as `--reference` reads it (JSON, which is YAML too), accounts
    /// in number order: what `reference pull` writes and the organization's cache keeps.
    public func snapshot() throws -> Data {
        let file = File(
            version: 1, organization: organization, vatModel: nil,
            accounts: accounts.values.sorted { $0.number < $1.number },
            depositAccounts: depositAccounts.values.sorted { $0.number < $1.number }, accountingYears: years,
            vatCodes: vatCodes?.sorted(), contacts: contacts?.sorted { ($0.name, $0.id) < ($1.name, $1.id) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(file) + Data("\n".utf8)
    }
}

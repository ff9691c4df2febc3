import Foundation
public import LedgerModel

extension ReferenceData {
    // MARK: Loading

    struct File: Decodable {
        var version: Int
        var organization: String?
        var vatModel: String?
        var accounts: [Account]
        var depositAccounts: [Account]?
        var accountingYears: [AccountingYear]?
        var vatCodes: [String]?

        enum CodingKeys: String, CodingKey {
            case version, organization, accounts
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
            years: file.accountingYears ?? [], vatCodes: file.vatCodes)
        data.path = path
        if let model = file.vatModel {
            data.vatModelPath =
                model.hasPrefix("/")
                ? model : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(model).path
        }
        return data
    }
}

/// The ready-made organizations, users and clients a fresh sandbox starts with.
///
/// The credentials are fixed and public: they open nothing but the sandbox, and fixed values
/// let the README and tests name them.
public enum SandboxCredentials {
    /// The Pro organization everything is tried against.
    public static let organizationID = 1_000_001
    /// An organization without Pro: every API call to it answers 403 with code 90.
    public static let basicOrganizationID = 1_000_002
    /// Personal integration (API-key flow).
    public static let personalClientID = "ledgerlift-sandbox"
    public static let personalClientSecret = "sandbox-personal-secret"
    public static let apiKey = "sandbox-api-key-1000001"
    public static let basicAPIKey = "sandbox-api-key-1000002"
    /// Visma Connect web application (authorization code with PKCE).
    public static let connectClientID = "isv_ledgerlift_sandbox"
    public static let connectClientSecret = "sandbox-connect-secret"
    /// The Visma Connect user who signs in; they reach both organizations.
    public static let userEmail = "accountant@sandbox.ledgerlift.test"

    /// The API key of any sandbox organization.
    public static func apiKey(organization: Int) -> String { "sandbox-api-key-\(organization)" }
}

enum Seed {
    static let userID = "sandbox-user"

    static var clients: [APIClient] {
        [
            APIClient(
                id: SandboxCredentials.personalClientID, secret: SandboxCredentials.personalClientSecret,
                kind: .personal, redirectURIs: []),
            APIClient(
                id: SandboxCredentials.connectClientID, secret: SandboxCredentials.connectClientSecret,
                kind: .connect, redirectURIs: ["http://127.0.0.1/callback", "http://localhost/callback"]),
        ]
    }

    static var users: [SandboxUser] {
        [
            SandboxUser(
                id: userID, email: SandboxCredentials.userEmail,
                organizations: [SandboxCredentials.organizationID, SandboxCredentials.basicOrganizationID])
        ]
    }

    static func organizations(extra: Int) -> [Organization] {
        organizations
            + (0..<max(0, extra)).map { index in
                let id = SandboxCredentials.basicOrganizationID + 1 + index
                return Organization(
                    id: id, name: "Sandbox \(index + 3) ApS", isPro: true, email: "org\(id)@sandbox.ledgerlift.test",
                    vatNumber: "DK\(30_000_000 + index)", apiKey: SandboxCredentials.apiKey(organization: id),
                    lockedThrough: Day(year: 2025, month: 12, day: 31), accounts: accounts, vatTypes: vatTypes,
                    accountingYears: years)
            }
    }

    static var organizations: [Organization] {
        [
            Organization(
                id: SandboxCredentials.organizationID, name: "Sandbox ApS", isPro: true,
                email: "bogholderi@sandbox.ledgerlift.test", vatNumber: "DK12345678",
                apiKey: SandboxCredentials.apiKey, lockedThrough: Day(year: 2025, month: 12, day: 31),
                accounts: accounts, vatTypes: vatTypes, accountingYears: years),
            Organization(
                id: SandboxCredentials.basicOrganizationID, name: "Sandbox Basis ApS", isPro: false,
                email: "info@basis.sandbox.ledgerlift.test", vatNumber: "DK87654321",
                apiKey: SandboxCredentials.basicAPIKey, lockedThrough: nil,
                accounts: accounts, vatTypes: vatTypes, accountingYears: years),
        ]
    }

    /// The example chart of `mappings/reference/example-org.yaml`, plus the VAT accounts booking posts to.
    static var accounts: [Account] {
        [
            Account(number: 1000, name: "Salg af varer og ydelser", kind: .income, vatCode: "U25"),
            Account(number: 1050, name: "Salg til EU", kind: .income, vatCode: "UEUV"),
            Account(number: 2000, name: "Varekøb", kind: .expense, vatCode: "I25"),
            Account(number: 2750, name: "Småanskaffelser", kind: .expense, vatCode: "I25"),
            Account(number: 3400, name: "Husleje", kind: .expense, vatCode: "I25"),
            Account(number: 3600, name: "Lønninger", kind: .expense, vatCode: "none"),
            Account(number: 3610, name: "Skyldig løn", kind: .liability),
            Account(number: 3710, name: "Repræsentation", kind: .expense, vatCode: "REP"),
            Account(number: 3720, name: "Rejser", kind: .expense, vatCode: "none"),
            Account(number: 3730, name: "Hotel", kind: .expense, vatCode: "HREP"),
            Account(number: 3800, name: "Telefon, internet og software", kind: .expense, vatCode: "I25"),
            Account(number: 4000, name: "Gebyrer og renter", kind: .expense, vatCode: "none"),
            Account(number: 5500, name: "Bank", kind: .asset, isDeposit: true, isDefaultDeposit: true),
            Account(number: 5600, name: "Debitorer", kind: .asset),
            Account(number: 5810, name: "Kortindløsning (Nets)", kind: .asset),
            Account(number: 5820, name: "Kasse", kind: .asset, isDeposit: true),
            Account(number: 5830, name: "MobilePay", kind: .asset),
            Account(number: 6800, name: "Kreditorer", kind: .liability),
            Account(number: 7200, name: "Skyldig A-skat", kind: .liability),
            Account(number: 7210, name: "Skyldigt AM-bidrag", kind: .liability),
            Account(number: 7230, name: "Skyldig ATP og pension", kind: .liability),
            Account(number: 7300, name: "Momsafregning", kind: .liability),
            Account(number: 7310, name: "Købsmoms", kind: .liability),
            Account(number: 7320, name: "Salgsmoms", kind: .liability),
            Account(number: 7330, name: "Moms af varekøb i udlandet", kind: .liability),
            Account(number: 7340, name: "Moms af ydelseskøb i udlandet", kind: .liability),
            Account(number: 9900, name: "Mellemregning (til afklaring)", kind: .asset),
        ]
    }

    static let inputVatAccount = 7310
    static let outputVatAccount = 7320
    static let foreignGoodsVatAccount = 7330
    static let foreignServicesVatAccount = 7340
    static let creditorsAccount = 6800

    static var vatTypes: [VatType] {
        func code(
            _ code: String, _ name: String, _ rate: Int, _ direction: VatDirection?, _ region: String?,
            gross: Int? = nil, reverse: Int = 0
        ) -> VatType {
            VatType(
                code: code, name: name, rateBasisPoints: rate, grossRateBasisPoints: gross ?? rate,
                direction: direction, region: region, reverseChargeBasisPoints: reverse)
        }
        return [
            code("U25", "Dansk salgsmoms", 2500, .sales, "DK"),
            code("I25", "Dansk købsmoms", 2500, .purchase, "DK"),
            code("UEUV", "Varesalg EU (rubrik B-varer)", 0, .sales, "EU"),
            code("UEUV2", "Varesalg EU, indberettes ikke (rubrik B-varer)", 0, .sales, "EU"),
            code("UEUY", "Ydelsessalg EU (rubrik B-ydelser)", 0, .sales, "EU"),
            code("UVV", "Salg af varer til verden (rubrik C)", 0, .sales, "World"),
            code("UVY", "Salg af ydelser til verden (rubrik C)", 0, .sales, "World"),
            code("IEUV", "Varekøb EU (rubrik A-varer)", 0, .purchase, "EU", reverse: 2500),
            code("IEUY", "Ydelseskøb EU (rubrik A-ydelser)", 0, .purchase, "EU", reverse: 2500),
            code("IVV", "Varekøb fra verden", 0, .purchase, "World"),
            code("IVY", "Ydelseskøb fra verden", 0, .purchase, "World", reverse: 2500),
            code("REP", "Repræsentation (kvartmoms)", 625, .purchase, "DK", gross: 2500),
            code("HREP", "Hotel (trekvartmoms)", 1875, .purchase, "DK", gross: 2500),
            code("OBPK", "Dansk køb med omvendt betalingspligt", 0, .purchase, "DK", reverse: 2500),
            code("OBPS", "Dansk salg med omvendt betalingspligt", 0, .sales, "DK"),
            code("none", "Ingen moms", 0, nil, nil),
        ]
    }

    static var years: [AccountingYear] {
        [
            AccountingYear(
                name: "2025", from: Day(year: 2025, month: 1, day: 1), to: Day(year: 2025, month: 12, day: 31)),
            AccountingYear(
                name: "2026", from: Day(year: 2026, month: 1, day: 1), to: Day(year: 2026, month: 12, day: 31)),
            AccountingYear(
                name: "2027", from: Day(year: 2027, month: 1, day: 1), to: Day(year: 2027, month: 12, day: 31)),
        ]
    }
}

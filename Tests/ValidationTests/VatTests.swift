import Foundation
import LedgerModel
import Testing

@testable import Validation

/// One VAT case: a line on `account` in a document of `kind` (a purchase voucher with `region`),
/// its VAT as the mapping gave it, and what validation should make of it.
struct VatCase: CustomTestStringConvertible, Sendable {
    enum Model: Sendable { case dinero, visma }
    enum Expected: Sendable {
        /// Passes; the line's VAT afterwards, as text.
        case passes(String)
        /// Fails with these codes.
        case fails([String])
    }

    var model: Model
    var kind: DocumentKind
    var account: AccountNumber
    var vat: VatSpec?
    var region: Region? = nil
    var expected: Expected

    var testDescription: String {
        "\(model) \(kind.rawValue)\(region.map { " \($0.rawValue)" } ?? "") \(account) \(vat?.description ?? "nil")"
    }
}

private func ledger(_ account: AccountNumber, _ vat: VatSpec?, _ expected: VatCase.Expected) -> VatCase {
    VatCase(model: .dinero, kind: .ledgerItem, account: account, vat: vat, expected: expected)
}

private func purchase(
    _ region: Region?, _ account: AccountNumber, _ vat: VatSpec?, _ expected: VatCase.Expected
) -> VatCase {
    VatCase(model: .dinero, kind: .purchaseVoucher, account: account, vat: vat, region: region, expected: expected)
}

private func onVisma(_ account: AccountNumber, _ vat: VatSpec?, _ expected: VatCase.Expected) -> VatCase {
    VatCase(model: .visma, kind: .ledgerItem, account: account, vat: vat, expected: expected)
}

private func pair(_ zone: String, _ category: String, _ direction: VatDirection? = nil) -> VatSpec {
    .zoneCategory(zone: zone, category: category, direction: direction)
}

@Suite("VAT codes, zones and categories")
struct VatTests {
    // 1000 is a sales account, 2750/3710/3800 expense accounts, 5500 an asset (bank).
    static let cases: [VatCase] = [
        // Dinero codes on ledger lines: direction from the account's kind
        ledger(1000, .code("U25"), .passes("U25")),
        ledger(1000, .code("I25"), .fails(["V403"])),
        ledger(2750, .code("I25"), .passes("I25")),
        ledger(2750, .code("U25"), .fails(["V403"])),
        ledger(2750, .code("i25"), .passes("I25")),
        ledger(1000, .code("XYZ"), .fails(["V402"])),
        ledger(1000, nil, .fails(["V401"])),
        ledger(1000, VatSpec.none, .passes("none")),
        ledger(5500, .code("U25"), .passes("U25")),
        ledger(5500, .code("I25"), .passes("I25")),
        ledger(2750, .code("OBPK"), .fails(["V402"])),  // a Dinero code this organization lacks
        ledger(1000, .code("UEUV"), .passes("UEUV")),
        ledger(2750, .code("UEUY"), .fails(["V403"])),
        // Dinero zone + category → code
        ledger(1000, pair("domestic", "standard"), .passes("U25")),
        ledger(2750, pair("domestic", "standard"), .passes("I25")),
        ledger(2750, pair("eu", "services"), .passes("IEUY")),
        ledger(1000, pair("eu", "services"), .passes("UEUY")),
        ledger(1000, pair("EU", "Goods"), .passes("UEUV")),
        ledger(1000, pair("eu", "goods_unlisted"), .passes("UEUV2")),
        ledger(2750, pair("eu", "goods"), .passes("IEUV")),
        ledger(2750, pair("world", "goods"), .passes("IVV")),
        ledger(2750, pair("world", "services"), .passes("IVY")),
        ledger(1000, pair("world", "goods"), .passes("UVV")),
        ledger(1000, pair("world", "services"), .passes("UVY")),
        ledger(2750, pair("domestic", "representation"), .passes("REP")),
        ledger(1000, pair("domestic", "representation"), .fails(["V405"])),
        ledger(2750, pair("domestic", "hotel"), .passes("HREP")),
        ledger(2750, pair("domestic", "reverse_charge"), .fails(["V402"])),  // OBPK: not in this organization
        ledger(1000, pair("domestic", "reverse_charge"), .passes("OBPS")),
        ledger(1000, pair("domestic", "exempt"), .passes("none")),
        ledger(2750, pair("eu", "exempt"), .passes("none")),
        ledger(2750, pair("mars", "standard"), .fails(["V406"])),
        ledger(2750, pair("domestic", "luxury"), .fails(["V406"])),
        ledger(5500, pair("domestic", "standard"), .fails(["V407"])),
        ledger(5500, pair("domestic", "standard", .sales), .passes("U25")),
        ledger(1000, pair("domestic", "standard", .purchase), .passes("I25")),
        ledger(2750, pair("eu", "representation"), .fails(["V405"])),
        // Purchase vouchers: always purchases; codes must suit the RegionKey
        purchase(.denmark, 2750, .code("I25"), .passes("I25")),
        purchase(.denmark, 2750, .code("U25"), .fails(["V403"])),
        purchase(.denmark, 3800, .code("IVY"), .fails(["V404"])),
        purchase(.world, 3800, .code("IVY"), .passes("IVY")),
        purchase(.eu, 2750, .code("IEUV"), .passes("IEUV")),
        purchase(.eu, 2750, .code("I25"), .fails(["V404"])),
        purchase(nil, 2750, .code("IEUY"), .fails(["V404"])),
        purchase(.eu, 2750, pair("eu", "services"), .passes("IEUY")),
        purchase(.denmark, 2750, pair("eu", "services"), .fails(["V404"])),
        purchase(.denmark, 3710, .code("REP"), .passes("REP")),
        purchase(.denmark, 2750, .code("UEUV"), .fails(["V403", "V404"])),
        purchase(.denmark, 2750, VatSpec.none, .passes("none")),
        purchase(.denmark, 2750, nil, .fails(["V401"])),
        // Visma.net: applied VAT ids = zone ∩ category (zone − category when excluded), by direction
        onVisma(1000, pair("DK", "STD"), .passes("DK/STD")),
        onVisma(2750, pair("DK", "STD"), .passes("DK/STD")),
        onVisma(1000, pair("EU", "STD"), .passes("EU/STD")),
        onVisma(2750, pair("EU", "STD"), .passes("EU/STD")),
        onVisma(2750, pair("WORLD", "STD"), .fails(["V405"])),
        onVisma(1000, pair("WORLD", "STD"), .passes("WORLD/STD")),
        onVisma(2750, pair("WORLD", "VARE"), .fails(["V405"])),
        onVisma(1000, pair("DK", "VARE"), .fails(["V405"])),
        onVisma(1000, pair("DK", "FRITAGET"), .passes("DK/FRITAGET")),
        onVisma(2750, pair("EU", "YDELSE"), .passes("EU/YDELSE")),
        onVisma(2750, pair("WORLD", "YDELSE"), .passes("WORLD/YDELSE")),
        onVisma(2750, pair("NORDIC", "STD"), .fails(["V406"])),
        onVisma(2750, pair("DK", "LUX"), .fails(["V406"])),
        onVisma(5500, pair("DK", "STD"), .fails(["V407"])),
        onVisma(1000, .code("STD"), .passes("STD")),
        onVisma(1000, .code("NOPE"), .fails(["V402"])),
    ]

    static let vismaModel: VatModel = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../mappings/vat/vismanet-example.yaml"
        ).standardizedFileURL.path
        return try! VatModel.load(path: path)
    }()

    @Test("each VAT case resolves or fails as the model says", arguments: cases)
    func vatCase(_ vatCase: VatCase) {
        let validator = Fixture.validator(vat: vatCase.model == .dinero ? .dineroDenmark : Self.vismaModel)
        var document: Document
        if vatCase.kind == .purchaseVoucher {
            let terms = PurchaseTerms(payment: .cash, depositAccount: 5500, region: vatCase.region)
            document = Fixture.document(
                .purchaseVoucher, lines: [Fixture.line(vatCase.account, 10_000, vat: vatCase.vat)], purchase: terms)
        } else {
            // The bank side carries explicit "no VAT"; the case's VAT is on the account.
            document = Fixture.document(
                lines: [Fixture.line(vatCase.account, 10_000, balancing: 5500, vat: vatCase.vat)])
        }
        let diagnostics = validator.validate(&document)
        switch vatCase.expected {
        case .passes(let resolved):
            #expect(diagnostics.errorCodes == [])
            #expect(document.lines[0].vat?.description == resolved)
        case .fails(let codes):
            #expect(diagnostics.errorCodes == codes)
            #expect(diagnostics.allSatisfy { $0.location?.field == "vat" && $0.location?.line == 2 })
        }
    }

    @Test("messages say what is wrong and what to do")
    func messages() {
        let validator = Fixture.validator()
        var document = Fixture.document(lines: [Fixture.line(2750, 10_000, balancing: 5500, vat: .code("U25"))])
        let diagnostic = validator.validate(&document)[0]
        #expect(
            diagnostic.message
                == "line 1, account 2750: U25 (Dansk salgsmoms) is a sales VAT code, but account 2750 is an expense account"
        )
        #expect(diagnostic.hint == "use a purchase code such as I25")
        var missing = Fixture.document(lines: [Fixture.line(2750, 10_000, balancing: 5500, vat: nil)])
        let noCode = validator.validate(&missing)[0]
        #expect(
            noCode.message == "line 1, account 2750 has no VAT code; Dinero would apply the account's default VAT (I25)"
        )
        #expect(noCode.hint == "write `vat: none` for no VAT, or give the code")
        var visma = Fixture.document(lines: [Fixture.line(2750, 100, balancing: 5500, vat: pair("WORLD", "VARE"))])
        let taxId = Fixture.validator(vat: Self.vismaModel).validate(&visma)[0]
        #expect(taxId.message.contains("TaxID 'VARE' cannot be found in the system"))
    }

    @Test("the balancing side's VAT is checked against the balancing account")
    func balancingSide() {
        var document = Fixture.document(
            lines: [Fixture.line(5500, 10_000, balancing: 1000, vat: VatSpec.none, balancingVat: .code("I25"))])
        let diagnostics = Fixture.validator().validate(&document)
        #expect(diagnostics.errorCodes == ["V403"])
        #expect(diagnostics.first?.location?.field == "balancing_vat")
    }

    @Test("the built-in Dinero model is mappings/vat/dk-dinero.yaml, and both load")
    func builtIn() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../mappings/vat/dk-dinero.yaml"
        ).standardizedFileURL.path
        let file = try String(contentsOfFile: path, encoding: .utf8)
        #expect(BuiltInVatModels.dineroDenmark == file)
        let loaded = try VatModel.load(path: path)
        #expect(loaded.codes.count == VatModel.dineroDenmark.codes.count)
        #expect(loaded.codes.count == 16)
        #expect(VatModel.dineroDenmark.code("rep")?.rate == ExactDecimal("0.0625"))
    }

    @Test("a VAT model whose pair gives two codes is refused, naming both")
    func ambiguousModel() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vat-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        version: 1
        model: codes
        zones: [{ id: domestic, region: DK }]
        categories: [{ id: standard }]
        codes:
          - { code: A, name: A, direction: sales, rate: 0.25, for: [domestic/standard] }
          - { code: B, name: B, direction: sales, rate: 0.25, for: [domestic/standard] }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try VatModel.load(path: path)
        } throws: { error in
            (error as? ValidationSetupError)?.diagnostic.message
                == "zone/category domestic/standard (sales) is the pair of both A and B"
        }
    }
}

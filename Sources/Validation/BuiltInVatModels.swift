/// Built-in copies of VAT model files, so the binary validates with no files beside it.
/// `BuiltInVatModelTests` keeps each equal to its file in `mappings/vat/`.
enum BuiltInVatModels {
    /// `mappings/vat/dk-dinero.yaml`
    static let dineroDenmark = """
        # Dinero's Danish VAT codes, as a VAT model for validation (ledgerlift's built-in default).
        #
        # Each code has its direction (sales: output VAT; purchase: input VAT), the region of the
        # counterparty (must match a purchase voucher's RegionKey), the rate Dinero lists for it
        # (GET /v1/{org}/vatTypes: VatRate) and the zone/category pairs it is the code for, so a
        # mapping may write `vat: { zone: eu, category: services }` and get IEUY or UEUY.
        #
        # Sources: ../../../shared/research/dinero-api.md §4.2. Codes marked "M" there are less
        # certain; an organization's own list (reference data `vat_codes`) is checked as well.
        # Pass another model with --vat-model, or name one in the reference data (`vat_model:`).
        version: 1
        model: codes
        name: Dinero (Denmark)

        zones:
          - { id: domestic, region: DK, description: "Danish counterparty" }
          - { id: eu, region: EU, description: "Counterparty in another EU country" }
          - { id: world, region: World, description: "Counterparty outside the EU" }

        categories:
          - { id: standard, description: "Goods and services at the standard 25 % rate" }
          - { id: goods, description: "Goods traded across the border (EU or world)" }
          - { id: goods_unlisted, description: "EU goods sales not reported on the EU sales list" }
          - { id: services, description: "Services traded across the border (EU or world)" }
          - { id: representation, description: "Entertainment: a quarter of the VAT is deductible" }
          - { id: hotel, description: "Hotel stays: three quarters of the VAT is deductible" }
          - { id: reverse_charge, description: "Domestic reverse charge (scrap metal, mobile phones, …)" }
          - { id: exempt, description: "Outside VAT: wages, bank fees, interest, transfers" }

        codes:
          - code: U25
            name: Dansk salgsmoms
            meaning: Domestic sales, 25 % output VAT
            direction: sales
            region: DK
            rate: 0.25
            for: [domestic/standard]
          - code: I25
            name: Dansk købsmoms
            meaning: Domestic purchases, 25 % input VAT
            direction: purchase
            region: DK
            rate: 0.25
            for: [domestic/standard]
          - code: UEUV
            name: Varesalg EU (rubrik B-varer)
            meaning: Goods sold to EU businesses, reported in box B (goods)
            direction: sales
            region: EU
            rate: 0
            for: [eu/goods]
          - code: UEUV2
            name: Varesalg EU, indberettes ikke (rubrik B-varer)
            meaning: EU goods sale not reported on the EU sales list
            direction: sales
            region: EU
            rate: 0
            for: [eu/goods_unlisted]
          - code: UEUY
            name: Ydelsessalg EU (rubrik B-ydelser)
            meaning: Services sold to EU businesses, box B (services)
            direction: sales
            region: EU
            rate: 0
            for: [eu/services]
          - code: UVV
            name: Salg af varer til verden (rubrik C)
            meaning: Export of goods outside the EU, box C (some organizations have UVC instead)
            direction: sales
            region: World
            rate: 0
            for: [world/goods]
          - code: UVY
            name: Salg af ydelser til verden (rubrik C)
            meaning: Services sold outside the EU, box C
            direction: sales
            region: World
            rate: 0
            for: [world/services]
          - code: IEUV
            name: Varekøb EU (rubrik A-varer)
            meaning: Goods bought from EU businesses; reverse charge, box A (goods)
            direction: purchase
            region: EU
            rate: 0
            for: [eu/goods]
          - code: IEUY
            name: Ydelseskøb EU (rubrik A-ydelser)
            meaning: Services bought from EU businesses; reverse charge, box A (services)
            direction: purchase
            region: EU
            rate: 0
            for: [eu/services]
          - code: IVV
            name: Varekøb fra verden
            meaning: Goods imported from outside the EU
            direction: purchase
            region: World
            rate: 0
            for: [world/goods]
          - code: IVY
            name: Ydelseskøb fra verden
            meaning: Services bought from outside the EU; reverse charge
            direction: purchase
            region: World
            rate: 0
            for: [world/services]
          - code: REP
            name: Repræsentation (kvartmoms)
            meaning: Entertainment; a quarter of the 25 % VAT is deductible
            direction: purchase
            region: DK
            rate: 0.0625
            for: [domestic/representation]
          - code: HREP
            name: Hotel (trekvartmoms)
            meaning: Hotel stays; three quarters of the 25 % VAT is deductible
            direction: purchase
            region: DK
            rate: 0.1875
            for: [domestic/hotel]
          - code: OBPK
            name: Dansk køb med omvendt betalingspligt
            meaning: Domestic purchase with reverse charge
            direction: purchase
            region: DK
            rate: 0
            for: [domestic/reverse_charge]
          - code: OBPS
            name: Dansk salg med omvendt betalingspligt
            meaning: Domestic sale with reverse charge
            direction: sales
            region: DK
            rate: 0
            for: [domestic/reverse_charge]
          - code: none
            name: Ingen moms
            meaning: Explicitly no VAT (sent as NONE, so Dinero does not apply the account's default)
            rate: 0
            for: [domestic/exempt, eu/exempt, world/exempt]

        """
}

import Foundation
import NIOHTTP1
import Sandbox
import Testing

@Suite("Manual and purchase vouchers: lifecycle, concurrency, validation and the entries booking writes")
struct VoucherTests {
    @Test("create, read, update, book: numbers in sequence, entries that balance with VAT split off")
    func manualLifecycle() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let draft = try await h.createManual(token, Harness.manualBody(reference: "ref-1"))
            let read = try await h.send(.GET, "/v1/\(h.org)/vouchers/manuel/\(draft.guid)", token: token)
            #expect(read.object["Status"] as? String == "Draft")
            #expect(read.object["VoucherNumber"] is NSNull)
            #expect(read.object["ExternalReference"] as? String == "ref-1")
            // No VAT code sent: the account's default (2750 → I25) applies.
            let line = try #require((read.object["Lines"] as? [[String: Any]])?.first)
            #expect(line["AccountVatCode"] as? String == "I25")
            #expect(øre(line["VatAmountValue"]) == 2500)

            var changed = Harness.manualBody(amount: "250.00", reference: "ref-1")
            changed["Timestamp"] = draft.timestamp
            let update = try await h.send(
                .PUT, "/v1/\(h.org)/vouchers/manuel/\(draft.guid)", token: token, json: changed)
            #expect(update.status == 200)
            let timestamp = try #require(update.object["Timestamp"] as? String)
            #expect(timestamp != draft.timestamp)

            let booked = try await h.send(
                .POST, "/v1/\(h.org)/vouchers/manuel/\(draft.guid)/book", token: token, json: ["Timestamp": timestamp])
            #expect(booked.status == 200, "\(booked.text)")
            #expect(booked.object["VoucherNumber"] as? Int == 1)
            #expect(booked.object["Status"] as? String == "Booked")

            let second = try await h.createManual(token, Harness.manualBody())
            let next = try await h.send(
                .POST, "/v1/\(h.org)/vouchers/manuel/\(second.guid)/book", token: token,
                json: ["Timestamp": second.timestamp])
            #expect(next.object["VoucherNumber"] as? Int == 2)

            let entries = try await h.allEntries()
            let first = entries.filter { $0["VoucherNumber"] as? Int == 1 }
            #expect(first.reduce(0) { $0 + (øre($1["Amount"]) ?? 0) } == 0)
            let byAccount = Dictionary(first.map { ($0["AccountNumber"] as? Int ?? 0, øre($0["Amount"]) ?? 0) }) {
                $0 + $1
            }
            #expect(byAccount == [2750: 20_000, 7310: 5_000, 5500: -25_000])
            #expect(entries.reduce(0) { $0 + (øre($1["Amount"]) ?? 0) } == 0)
        }
    }

    @Test("vouchers booked concurrently get distinct numbers with no gaps")
    func concurrentBooking() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let numbers = try await withThrowingTaskGroup(of: Int?.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let draft = try await h.createManual(token, Harness.manualBody(reference: "c\(index)"))
                        let booked = try await h.send(
                            .POST, "/v1/\(h.org)/vouchers/manuel/\(draft.guid)/book", token: token,
                            json: ["Timestamp": draft.timestamp])
                        return booked.object["VoucherNumber"] as? Int
                    }
                }
                return try await group.reduce(into: [Int?]()) { $0.append($1) }
            }
            #expect(numbers.compactMap { $0 }.sorted() == Array(1...20))
            #expect(try await h.allEntries().reduce(0) { $0 + (øre($1["Amount"]) ?? 0) } == 0)
        }
    }

    @Test("a stale Timestamp is code 58; a booked voucher cannot be changed or deleted")
    func concurrencyAndBookedState() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let draft = try await h.createManual(token, Harness.manualBody())
            let path = "/v1/\(h.org)/vouchers/manuel/\(draft.guid)"
            var body = Harness.manualBody()
            body["Timestamp"] = "0000000000000000"
            let stale = try await h.send(.PUT, path, token: token, json: body)
            #expect(stale.status == 400)
            #expect(stale.code == 58)
            let noTimestamp = try await h.send(.DELETE, path, token: token, json: [String: Any]())
            #expect(noTimestamp.status == 400)
            #expect(noTimestamp.validationKeys == ["Timestamp"])

            let booked = try await h.send(.POST, path + "/book", token: token, json: ["Timestamp": draft.timestamp])
            let current = try #require(booked.object["Timestamp"] as? String)
            body["Timestamp"] = current
            #expect(try await h.send(.PUT, path, token: token, json: body).status == 400)
            #expect(try await h.send(.DELETE, path, token: token, json: ["Timestamp": current]).status == 400)
            let again = try await h.send(.POST, path + "/book", token: token, json: ["Timestamp": current])
            #expect(again.status == 400)
            #expect(try await h.send(.GET, path, token: token).object["Status"] as? String == "Booked")
        }
    }

    @Test("a draft can be deleted with its Timestamp, and is gone afterwards")
    func deleteDraft() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let draft = try await h.createManual(token, Harness.manualBody())
            let path = "/v1/\(h.org)/vouchers/manuel/\(draft.guid)"
            #expect(try await h.send(.DELETE, path, token: token, json: ["Timestamp": draft.timestamp]).status == 200)
            let gone = try await h.send(.GET, path, token: token)
            #expect(gone.status == 404)
            #expect(gone.code == 40)
        }
    }

    @Test("request fields bind in any case; responses are PascalCase; errors are camelCase")
    func casing() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let camel: [String: Any] = [
                "voucherDate": "2026-04-01",
                "lines": [
                    ["accountNumber": 2750, "balancingAccountNumber": 5500, "amount": 10, "accountVatCode": "none"]
                ],
            ]
            let draft = try await h.createManual(token, camel)
            let read = try await h.send(.GET, "/v1/\(h.org)/vouchers/manuel/\(draft.guid)", token: token)
            #expect(read.object["VoucherDate"] as? String == "2026-04-01")
            let line = try #require((read.object["Lines"] as? [[String: Any]])?.first)
            #expect(line["AccountVatCode"] as? String == "none")
            #expect(øre(line["VatAmountValue"]) == 0)

            let bad = try await h.send(.POST, "/v1/\(h.org)/vouchers/manuel", token: token, json: ["lines": []])
            #expect(bad.status == 400)
            #expect(
                Set(bad.object.keys) == [
                    "code", "message", "validationErrors", "languageSpecificMessages", "errorMessageList",
                ])
            #expect(bad.code == 42)
            #expect(Set(bad.validationKeys) == ["VoucherDate", "Lines"])
        }
    }

    /// (description, body as JSON text, expected validation keys)
    static let manualRejections: [(String, String, [String])] = [
        ("an empty VAT code", jsonText(Harness.manualBody(vat: "")), ["Lines[0].AccountVatCode"]),
        ("an unknown VAT code", jsonText(Harness.manualBody(vat: "X99")), ["Lines[0].AccountVatCode"]),
        ("an unknown account", jsonText(Harness.manualBody(account: 4321)), ["Lines[0].AccountNumber"]),
        ("three decimals", jsonText(Harness.manualBody(amount: 1.005)), ["Lines[0].Amount"]),
        ("a date that is not a date", jsonText(Harness.manualBody(date: "2026-02-30")), ["VoucherDate"]),
    ]

    @Test("create refuses bad lines with the field named", arguments: manualRejections)
    func manualCreateRejections(_ name: String, _ body: String, _ keys: [String]) async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let reply = try await h.send(
                .POST, "/v1/\(h.org)/vouchers/manuel", token: token, body: Array(body.utf8),
                headers: [("Content-Type", "application/json")])
            #expect(reply.status == 400, "\(name)")
            #expect(reply.validationKeys == keys, "\(name): \(reply.text)")
        }
    }

    @Test("booking refuses an unbalanced voucher, a closed year, a date outside any year and a taken number")
    func bookingRules() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            func book(_ body: [String: Any], number: Int? = nil) async throws -> Harness.Reply {
                let draft = try await h.createManual(token, body)
                var bookBody: [String: Any] = ["Timestamp": draft.timestamp]
                if let number { bookBody["Number"] = number }
                return try await h.send(
                    .POST, "/v1/\(h.org)/vouchers/manuel/\(draft.guid)/book", token: token, json: bookBody)
            }
            let unbalanced = try await book(Harness.manualBody(balancing: nil))
            #expect(unbalanced.status == 400)
            #expect(unbalanced.text.contains("does not balance"))
            let closed = try await book(Harness.manualBody(date: "2025-06-30"))
            #expect(closed.status == 400)
            #expect(closed.text.contains("closed"))
            let outside = try await book(Harness.manualBody(date: "2031-01-01"))
            #expect(outside.status == 400)
            #expect(outside.text.contains("not in any accounting year"))

            #expect(try await book(Harness.manualBody(), number: 40).object["VoucherNumber"] as? Int == 40)
            let taken = try await book(Harness.manualBody(), number: 40)
            #expect(taken.status == 400)
            #expect(taken.validationKeys == ["Number"])
            #expect(try await book(Harness.manualBody()).object["VoucherNumber"] as? Int == 41)
            #expect(try await h.allEntries().count == 6)
        }
    }

    // MARK: Purchase vouchers

    static func purchaseBody(
        type: String = "cash", deposit: Int? = 5500, region: String? = "DK", paymentDate: String? = nil,
        contact: String? = nil, lines: [[String: Any]] = [["AccountNumber": 2750, "Amount": 125, "VatCode": "I25"]]
    ) -> [String: Any] {
        var body: [String: Any] = ["PurchaseType": type, "VoucherDate": "2026-05-02", "Lines": lines]
        if let deposit { body["DepositAccountNumber"] = deposit }
        if let region { body["RegionKey"] = region }
        if let paymentDate { body["PaymentDate"] = paymentDate }
        if let contact { body["ContactGuid"] = contact }
        return body
    }

    @Test("v1.1 still creates purchase vouchers; DepositAccountNumber 0 means not set; errors list each problem")
    func purchaseWireDetails() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let old = try await h.send(
                .POST, "/v1.1/\(h.org)/vouchers/purchase", token: token, json: Self.purchaseBody())
            #expect(old.status == 200, "\(old.text)")
            #expect(old.object["Guid"] is String)
            // A cash purchase with deposit account 0 has none (not an unknown account 0): its book
            // is refused for that, each problem listed in errorMessageList too.
            let zero = try await h.send(
                .POST, "/v1.2/\(h.org)/vouchers/purchase", token: token, json: Self.purchaseBody(deposit: 0))
            #expect(zero.status == 200, "\(zero.text)")
            let guid = try #require(zero.object["Guid"] as? String)
            let timestamp = try #require(zero.object["Timestamp"] as? String)
            let read = try await h.send(.GET, "/v1/\(h.org)/vouchers/purchase/\(guid)", token: token)
            #expect(read.object["DepositAccountNumber"] == nil || read.object["DepositAccountNumber"] is NSNull)
            let book = try await h.send(
                .POST, "/v1/\(h.org)/vouchers/purchase/\(guid)/book", token: token, json: ["Timestamp": timestamp])
            #expect(book.status == 400)
            let problems = book.object["errorMessageList"] as? [[String: Any]] ?? []
            #expect(problems.contains { $0["Code"] as? String == "DepositAccountNumber" }, "\(book.text)")
            #expect(!book.text.contains("account 0"))
            #expect(book.validationKeys.contains("DepositAccountNumber"))
        }
    }

    @Test("a cash purchase: create at v1.2, update at v1.1, read and book at v1; gross split into net and VAT")
    func purchaseLifecycle() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let created = try await h.send(
                .POST, "/v1.2/\(h.org)/vouchers/purchase", token: token, json: Self.purchaseBody())
            #expect(created.status == 200, "\(created.text)")
            let guid = try #require(created.object["Guid"] as? String)
            var timestamp = try #require(created.object["Timestamp"] as? String)
            #expect(
                try await h.send(.POST, "/v1/\(h.org)/vouchers/purchase", token: token, json: Self.purchaseBody())
                    .status == 404)

            let contact = try await h.send(
                .POST, "/v1/\(h.org)/contacts", token: token,
                json: [
                    "Name": "Leverandør A/S", "CountryKey": "DK", "IsPerson": false, "IsMember": false, "UseCvr": false,
                ])
            let contactGuid = try #require(contact.object["ContactGuid"] as? String)
            var update = Self.purchaseBody(
                contact: contactGuid,
                lines: [
                    ["AccountNumber": 2750, "Amount": 125, "VatCode": "I25"],
                    ["AccountNumber": 3710, "Amount": 250, "VatCode": "REP"],
                ])
            update["Timestamp"] = timestamp
            let updated = try await h.send(.PUT, "/v1.1/\(h.org)/vouchers/purchase/\(guid)", token: token, json: update)
            #expect(updated.status == 200, "\(updated.text)")
            timestamp = try #require(updated.object["Timestamp"] as? String)

            let read = try await h.send(.GET, "/v1/\(h.org)/vouchers/purchase/\(guid)", token: token)
            #expect(read.object["PurchaseType"] as? String == "cash")
            let totals = try #require((read.object["VoucherTotals"] as? [[String: Any]])?.first)
            #expect(øre(totals["AmountInclVat"]) == 37_500)
            #expect(øre(totals["VatAmount"]) == 3_750)

            let booked = try await h.send(
                .POST, "/v1/\(h.org)/vouchers/purchase/\(guid)/book", token: token, json: ["Timestamp": timestamp])
            #expect(booked.status == 200, "\(booked.text)")
            let entries = try await h.allEntries()
            let byAccount = Dictionary(entries.map { ($0["AccountNumber"] as? Int ?? 0, øre($0["Amount"]) ?? 0) }) {
                $0 + $1
            }
            #expect(byAccount == [2750: 10_000, 3710: 23_750, 7310: 3_750, 5500: -37_500])
        }
    }

    /// (description, body, where it fails: "create" or "book", expected text)
    static let purchaseRejections: [(String, String, String, String)] = {
        let cases: [(String, [String: Any], String, String)] = [
            (
                "a payment date on a cash purchase", purchaseBody(paymentDate: "2026-06-01"), "create",
                "PaymentDate should not be set on cash purchases"
            ),
            (
                "a balance-sheet account",
                purchaseBody(lines: [["AccountNumber": 5600, "Amount": 100, "VatCode": "none"]]),
                "create", "Use a manual voucher"
            ),
            (
                "no purchase type", ["VoucherDate": "2026-05-02", "Lines": [["AccountNumber": 2750, "Amount": 1]]],
                "create",
                "PurchaseType is required"
            ),
            ("a deposit account that is not one", purchaseBody(deposit: 5600), "create", "not a deposit account"),
            (
                "a sales VAT code", purchaseBody(lines: [["AccountNumber": 2750, "Amount": 125, "VatCode": "U25"]]),
                "create",
                "sales code"
            ),
            (
                "an empty VAT code", purchaseBody(lines: [["AccountNumber": 2750, "Amount": 125, "VatCode": ""]]),
                "create",
                "may not be empty"
            ),
            (
                "an EU code on a DK voucher",
                purchaseBody(lines: [["AccountNumber": 2000, "Amount": 100, "VatCode": "IEUV"]]),
                "book", "doesn't match the country"
            ),
            (
                "a credit purchase without contact or payment date", purchaseBody(type: "credit", deposit: nil), "book",
                "ContactGuid"
            ),
            ("a cash purchase without a deposit account", purchaseBody(deposit: nil), "book", "deposit account"),
        ]
        return cases.map { ($0.0, jsonText($0.1), $0.2, $0.3) }
    }()

    @Test("purchase rules, each where Dinero enforces it", arguments: purchaseRejections)
    func purchaseRules(_ name: String, _ body: String, _ stage: String, _ text: String) async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let created = try await h.send(
                .POST, "/v1.2/\(h.org)/vouchers/purchase", token: token, body: Array(body.utf8),
                headers: [("Content-Type", "application/json")])
            if stage == "create" {
                #expect(created.status == 400, "\(name)")
                #expect(created.text.contains(text), "\(name): \(created.text)")
                return
            }
            #expect(created.status == 200, "\(name): \(created.text)")
            let guid = try #require(created.object["Guid"] as? String)
            let booked = try await h.send(
                .POST, "/v1/\(h.org)/vouchers/purchase/\(guid)/book", token: token,
                json: ["Timestamp": created.object["Timestamp"] as? String ?? ""])
            #expect(booked.status == 400, "\(name)")
            #expect(booked.text.contains(text), "\(name): \(booked.text)")
            #expect(try await h.allEntries().isEmpty)
        }
    }

    @Test("a purchase draft is deleted with its Timestamp; an empty-body delete is refused")
    func purchaseDelete() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let created = try await h.send(
                .POST, "/v1.2/\(h.org)/vouchers/purchase", token: token, json: Self.purchaseBody())
            let guid = try #require(created.object["Guid"] as? String)
            let path = "/v1/\(h.org)/vouchers/purchase/\(guid)"
            #expect(try await h.send(.DELETE, path, token: token).status == 400)
            let deleted = try await h.send(
                .DELETE, path, token: token, json: ["Timestamp": created.object["Timestamp"] as? String ?? ""])
            #expect(deleted.status == 200)
            #expect(try await h.send(.GET, path, token: token).status == 404)
        }
    }

    @Test("an EU purchase with reverse charge posts the buyer's VAT on both sides")
    func reverseCharge() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let body = Self.purchaseBody(
                region: "EU", lines: [["AccountNumber": 2000, "Amount": 1000, "VatCode": "IEUV"]])
            let created = try await h.send(.POST, "/v1.2/\(h.org)/vouchers/purchase", token: token, json: body)
            let guid = try #require(created.object["Guid"] as? String)
            let booked = try await h.send(
                .POST, "/v1/\(h.org)/vouchers/purchase/\(guid)/book", token: token,
                json: ["Timestamp": created.object["Timestamp"] as? String ?? ""])
            #expect(booked.status == 200, "\(booked.text)")
            let byAccount = Dictionary(
                try await h.allEntries().map { ($0["AccountNumber"] as? Int ?? 0, øre($0["Amount"]) ?? 0) }
            ) { $0 + $1 }
            #expect(byAccount == [2000: 100_000, 7310: 25_000, 7330: -25_000, 5500: -100_000])
        }
    }
}

func jsonText(_ value: Any) -> String {
    String(
        decoding: (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
}

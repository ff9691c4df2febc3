import Foundation
import NIOHTTP1
import Sandbox
import Testing

@Suite("Ledger items: client ids, asynchronous booking, status, delete, capacity")
struct LedgerItemTests {
    static func item(_ id: String, number: Int? = nil, amount: Any = 500, date: String = "2026-07-01") -> [String: Any]
    {
        var item: [String: Any] = [
            "Id": id, "VoucherDate": date,
            "Lines": [
                ["Description": "Kasse", "AccountNumber": 5820, "Amount": amount],
                [
                    "Description": "Salg", "AccountNumber": 1000, "Amount": "-" + String(describing: amount),
                    "AccountVatCode": "U25",
                ],
            ],
        ]
        if let number { item["VoucherNumber"] = number }
        return item
    }

    static let ids = (1...3).map { String(format: "00000000-0000-4000-8000-%012d", $0) }

    @Test("create many in one call, book them, and see PendingBooking turn into Booked with entries")
    func createBookAndPoll() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let created = try await h.send(
                .POST, "/v1.2/\(h.org)/ledgeritems", token: token, json: Self.ids.map { Self.item($0) })
            #expect(created.status == 200, "\(created.text)")
            #expect(created.array.map { $0["Id"] as? String } == Self.ids)
            let versions = created.array.map { $0["Version"] as? String ?? "" }

            let booked = try await h.send(
                .POST, "/v1/\(h.org)/ledgeritems/book", token: token,
                json: zip(Self.ids, versions).map { ["Id": $0, "Version": $1] })
            #expect(booked.status == 200, "\(booked.text)")
            #expect(try await h.allEntries().isEmpty)

            let query = Self.ids.map { ["Id": $0] }
            let first = try await h.send(.POST, "/v1/\(h.org)/ledgeritems/status", token: token, json: query)
            #expect(
                first.array.map { $0["Status"] as? String } == ["PendingBooking", "PendingBooking", "PendingBooking"])
            let second = try await h.send(.POST, "/v1/\(h.org)/ledgeritems/status", token: token, json: query)
            #expect(second.array.map { $0["Status"] as? String } == ["Booked", "Booked", "Booked"])
            #expect(second.array.map { $0["VoucherNumber"] as? Int } == [1, 2, 3])

            let entries = try await h.allEntries()
            #expect(entries.count == 9)
            #expect(entries.reduce(0) { $0 + (øre($1["Amount"]) ?? 0) } == 0)
            let sales = entries.filter { $0["AccountNumber"] as? Int == 1000 }.map { øre($0["Amount"]) }
            #expect(sales == [-40_000, -40_000, -40_000])
            #expect(entries.filter { $0["AccountNumber"] as? Int == 7320 }.count == 3)

            let details = try await h.send(.POST, "/v1/\(h.org)/ledgeritems/ledgers", token: token, json: query)
            #expect(details.array.count == 3)
            #expect(details.array.first?["Status"] as? String == "Booked")
            #expect((details.array.first?["Lines"] as? [[String: Any]])?.count == 2)
        }
    }

    @Test("a booking finishes by itself on the sandbox's clock, whether or not its status is read")
    func bookingFinishesByItself() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let created = try await h.send(
                .POST, "/v1.2/\(h.org)/ledgeritems", token: token, json: [Self.item(Self.ids[0])])
            let version = created.array.first?["Version"] as? String ?? ""
            let booked = try await h.send(
                .POST, "/v1/\(h.org)/ledgeritems/book", token: token, json: [["Id": Self.ids[0], "Version": version]])
            #expect(booked.status == 200, "\(booked.text)")
            h.clock.advance(by: 1)
            #expect(try await h.allEntries().isEmpty)
            h.clock.advance(by: 1)  // two seconds after the book call
            #expect(try await h.allEntries().count == 3)
            let status = try await h.send(
                .POST, "/v1/\(h.org)/ledgeritems/status", token: token, json: [["Id": Self.ids[0]]])
            #expect(status.array.first?["Status"] as? String == "Booked")
        }
    }

    @Test("a repeated id is 409 with code 72, and nothing in that call is created")
    func duplicateIDs() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            #expect(
                try await h.send(.POST, "/v1.2/\(h.org)/ledgeritems", token: token, json: [Self.item(Self.ids[0])])
                    .status == 200)
            let again = try await h.send(
                .POST, "/v1.2/\(h.org)/ledgeritems", token: token,
                json: [Self.item(Self.ids[1]), Self.item(Self.ids[0].uppercased())])
            #expect(again.status == 409)
            #expect(again.code == 72)
            #expect(again.text.contains(Self.ids[0]))
            let documents = try await h.admin(.GET, "/organizations/\(h.org)/documents")
            #expect((documents.object["ledgerItems"] as? [Any])?.count == 1)
            let twice = try await h.send(
                .POST, "/v1.2/\(h.org)/ledgeritems", token: token,
                json: [Self.item(Self.ids[2]), Self.item(Self.ids[2])])
            #expect(twice.status == 400)
        }
    }

    @Test("book and delete check the Version; unknown ids say ledgerItemNotFound; booked items stay")
    func versionsAndUnknownIDs() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let created = try await h.send(
                .POST, "/v1.2/\(h.org)/ledgeritems", token: token,
                json: [Self.item(Self.ids[0]), Self.item(Self.ids[1])])
            let versions = created.array.map { $0["Version"] as? String ?? "" }
            let stale = try await h.send(
                .POST, "/v1/\(h.org)/ledgeritems/book", token: token, json: [["Id": Self.ids[0], "Version": "0"]])
            #expect(stale.status == 400)
            #expect(stale.code == 58)
            let unknown = try await h.send(
                .POST, "/v1/\(h.org)/ledgeritems/status", token: token,
                json: [["Id": "00000000-0000-4000-8000-999999999999"]])
            #expect(unknown.status == 400)
            #expect(unknown.validationKeys == ["ledgerItemNotFound"])

            let deleted = try await h.send(
                .DELETE, "/v1/\(h.org)/ledgeritems/delete", token: token,
                json: [["Id": Self.ids[1], "Version": versions[1]]])
            #expect(deleted.status == 200)
            let gone = try await h.send(
                .POST, "/v1/\(h.org)/ledgeritems/status", token: token, json: [["Id": Self.ids[1]]])
            #expect(gone.validationKeys == ["ledgerItemNotFound"])

            let booked = try await h.send(
                .POST, "/v1/\(h.org)/ledgeritems/book", token: token,
                json: [["Id": Self.ids[0], "Version": versions[0]]])
            let version = try #require(booked.array.first?["Version"] as? String)
            let rebook = try await h.send(
                .POST, "/v1/\(h.org)/ledgeritems/book", token: token, json: [["Id": Self.ids[0], "Version": version]])
            #expect(rebook.status == 400)
            let deleteBooked = try await h.send(
                .DELETE, "/v1/\(h.org)/ledgeritems/delete", token: token,
                json: [["Id": Self.ids[0], "Version": version]])
            #expect(deleteBooked.status == 400)
        }
    }

    @Test("PUT replaces a draft's lines when its Version is current, and gives a new Version")
    func update() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let created = try await h.send(
                .POST, "/v1.2/\(h.org)/ledgeritems", token: token, json: [Self.item(Self.ids[0])])
            let version = try #require(created.array.first?["Version"] as? String)
            var changed = Self.item(Self.ids[0], amount: 800)
            changed["Version"] = "stale"
            #expect(try await h.send(.PUT, "/v1/\(h.org)/ledgeritems", token: token, json: [changed]).code == 58)
            changed["Version"] = version
            let updated = try await h.send(.PUT, "/v1/\(h.org)/ledgeritems", token: token, json: [changed])
            #expect(updated.status == 200, "\(updated.text)")
            #expect(updated.array.first?["Version"] as? String != version)
            let details = try await h.send(
                .POST, "/v1/\(h.org)/ledgeritems/ledgers", token: token, json: [["Id": Self.ids[0]]])
            let lines = details.array.first?["Lines"] as? [[String: Any]] ?? []
            #expect(lines.map { øre($0["Amount"]) } == [80_000, -80_000])
        }
    }

    @Test("an item that does not balance, or is dated in a closed year, is not booked")
    func bookingValidation() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            var lopsided = Self.item(Self.ids[0])
            lopsided["Lines"] = [["AccountNumber": 5820, "Amount": 100]]
            let created = try await h.send(
                .POST, "/v1.2/\(h.org)/ledgeritems", token: token,
                json: [lopsided, Self.item(Self.ids[1], date: "2025-03-01")])
            let versions = created.array.map { $0["Version"] as? String ?? "" }
            let booked = try await h.send(
                .POST, "/v1/\(h.org)/ledgeritems/book", token: token,
                json: zip(Self.ids.prefix(2), versions).map { ["Id": $0, "Version": $1] })
            #expect(booked.status == 400)
            #expect(booked.text.contains("does not balance"))
            #expect(booked.text.contains("closed"))
            let status = try await h.send(
                .POST, "/v1/\(h.org)/ledgeritems/status", token: token, json: Self.ids.prefix(2).map { ["Id": $0] })
            #expect(status.array.map { $0["Status"] as? String } == ["Draft", "Draft"])
        }
    }

    @Test("the ledger holds at most 1000 unbooked items (code 43)")
    func capacity() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let many = (0..<1000).map { _ in Self.item(UUID().uuidString) }
            #expect(try await h.send(.POST, "/v1.2/\(h.org)/ledgeritems", token: token, json: many).status == 200)
            let one = try await h.send(
                .POST, "/v1.2/\(h.org)/ledgeritems", token: token, json: [Self.item(UUID().uuidString)])
            #expect(one.status == 400)
            #expect(one.code == 43)
        }
    }

    @Test("with no pending reads configured, booking completes at once")
    func immediateBooking() async throws {
        try await Harness.with({ $0.pendingStatusReads = 0 }) { h in
            let token = try await h.personalToken()
            let created = try await h.send(
                .POST, "/v1.2/\(h.org)/ledgeritems", token: token, json: [Self.item(Self.ids[0], number: 77)])
            let version = try #require(created.array.first?["Version"] as? String)
            _ = try await h.send(
                .POST, "/v1/\(h.org)/ledgeritems/book", token: token, json: [["Id": Self.ids[0], "Version": version]])
            let status = try await h.send(
                .POST, "/v1/\(h.org)/ledgeritems/status", token: token, json: [["Id": Self.ids[0]]])
            #expect(status.array.first?["Status"] as? String == "Booked")
            #expect(status.array.first?["VoucherNumber"] as? Int == 77)
        }
    }
}

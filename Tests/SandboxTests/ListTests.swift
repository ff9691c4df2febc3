import Foundation
import NIOHTTP1
import Sandbox
import Testing

@Suite("Lookups, lists, pagination, filters, files and entries")
struct ListTests {
    @Test("accounts, VAT types and years are bare arrays; fields projects and echoes the asked casing")
    func lookups() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let entry = try await h.send(.GET, "/v1/\(h.org)/accounts/entry", token: token)
            #expect(entry.array.contains { $0["AccountNumber"] as? Int == 2750 && $0["VatCode"] as? String == "I25" })
            let deposit = try await h.send(.GET, "/v1/\(h.org)/accounts/deposit", token: token)
            #expect(deposit.array.compactMap { $0["AccountNumber"] as? Int } == [5500, 5820])
            let purchase = try await h.send(.GET, "/v1/\(h.org)/accounts/purchase", token: token)
            #expect(!purchase.array.contains { $0["AccountNumber"] as? Int == 5500 })
            let vat = try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: token)
            #expect(vat.array.first { $0["VatCode"] as? String == "REP" }?["VatRate"] as? Double == 0.0625)
            let years = try await h.send(.GET, "/v1/\(h.org)/accountingyears", token: token)
            #expect(years.array.first?["FromDate"] as? String == "2025-01-01")
            let projected = try await h.send(
                .GET, "/v1/\(h.org)/accounts/entry?fields=accountNumber,NAME", token: token)
            #expect(Set(projected.array.first?.keys.map { $0 } ?? []) == ["accountNumber", "NAME"])
            #expect(try await h.send(.GET, "/V1/\(h.org)/VATTYPES", token: token).status == 200)
            let organizations = try await h.send(.GET, "/v1/organizations?fields=Id,Name,IsPro,VatNumber", token: token)
            #expect(organizations.array.first?["VatNumber"] as? String == "DK12345678")
        }
    }

    @Test("date-times are written as Dinero writes them: Danish local time, no zone, 0–3 fraction digits")
    func dineroDateTimes() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            h.clock.set(Date(timeIntervalSince1970: 1_781_524_810.407))  // 2026-06-15 12:00:10.407 UTC
            let created = try await h.send(
                .POST, "/v1/\(h.org)/contacts", token: token,
                json: ["Name": "Kunde", "CountryKey": "DK", "IsPerson": false, "IsMember": false, "UseCvr": false])
            let guid = try #require(created.object["ContactGuid"] as? String ?? created.object["Guid"] as? String)
            let contact = try await h.send(.GET, "/v1/\(h.org)/contacts/\(guid)", token: token)
            #expect(contact.object["CreatedAt"] as? String == "2026-06-15T14:00:10.407")  // summer time: UTC+2
            h.clock.set(Date(timeIntervalSince1970: 1_767_268_800))  // 2026-01-01 12:00:00 UTC
            let winter = try await h.send(
                .POST, "/v1/\(h.org)/contacts", token: token,
                json: ["Name": "Vinter", "CountryKey": "DK", "IsPerson": false, "IsMember": false, "UseCvr": false])
            let other = try #require(winter.object["ContactGuid"] as? String ?? winter.object["Guid"] as? String)
            let read = try await h.send(.GET, "/v1/\(h.org)/contacts/\(other)", token: token)
            #expect(read.object["CreatedAt"] as? String == "2026-01-01T13:00:00")
        }
    }

    @Test("list filters are applied or refused, never ignored; fields asked for are there even when null")
    func filtersAppliedOrRefused() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            for index in 0..<3 {
                _ = try await h.send(
                    .POST, "/v1/\(h.org)/contacts", token: token,
                    json: [
                        "Name": "Kunde \(index)", "CountryKey": "DK", "IsPerson": true, "IsMember": false,
                        "UseCvr": false,
                    ])
                h.clock.advance(by: 60)
            }
            // 2026-06-15 12:00:10 UTC + 60 s: the second and third contacts changed since then.
            let since = try await h.send(
                .GET, "/v1/\(h.org)/contacts?changesSince=2026-06-15T12:01:10Z&fields=Name", token: token)
            #expect(
                (since.object["Collection"] as? [[String: Any]])?.map { $0["Name"] as? String } == [
                    "Kunde 1", "Kunde 2",
                ])
            let deleted = try await h.send(.GET, "/v1/\(h.org)/contacts?deletedOnly=true", token: token)
            #expect((deleted.object["Collection"] as? [Any])?.isEmpty == true)
            #expect(try await h.send(.GET, "/v1/\(h.org)/contacts?deletedOnly=maybe", token: token).status == 400)
            // A filter the list does not take is refused, not ignored.
            let refused = try await h.send(.GET, "/v1/\(h.org)/contacts?statusFilter=Draft", token: token)
            #expect(refused.status == 400)
            #expect(refused.validationKeys == ["statusfilter"])
            // Fields asked for are there even when they have no value.
            let fields = try await h.send(.GET, "/v1/\(h.org)/contacts?fields=Name,VatNumber,Nickname", token: token)
            let first = try #require((fields.object["Collection"] as? [[String: Any]])?.first)
            #expect(Set(first.keys) == ["Name", "VatNumber", "Nickname"])
            #expect(first["Nickname"] is NSNull)
            // Entry accounts by category; deposit accounts take no category filter.
            let expenses = try await h.send(.GET, "/v1/\(h.org)/accounts/entry?categoryFilter=Expense", token: token)
            #expect(!expenses.array.isEmpty)
            #expect(expenses.array.allSatisfy { $0["Category"] as? String == "Expense" })
            #expect(
                try await h.send(.GET, "/v1/\(h.org)/accounts/deposit?categoryFilter=Asset", token: token).status == 400
            )
            // Invoices: an unknown status is refused.
            #expect(try await h.send(.GET, "/v1/\(h.org)/invoices?statusFilter=Nope", token: token).status == 400)
            let drafts = try await h.send(.GET, "/v1/\(h.org)/invoices?statusFilter=Draft,Booked", token: token)
            #expect(drafts.status == 200)
        }
    }

    @Test("a contact is created with ContactCreateModel's required fields, and its id is unique")
    func contactRequiredFields() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let missing = try await h.send(
                .POST, "/v1/\(h.org)/contacts", token: token,
                json: ["Name": "Kunde", "CountryKey": "DK", "IsPerson": false])
            #expect(missing.status == 400)
            let fields = missing.object["validationErrors"] as? [String: Any] ?? [:]
            #expect(Set(fields.keys) == ["IsMember", "UseCvr"])
            let guid = "0b1c2d3e-4f50-4a1b-8c2d-3e4f5a6b7c8d"
            let body: [String: Any] = [
                "ContactGuid": guid, "Name": "Kunde", "CountryKey": "DK", "IsPerson": false, "IsMember": false,
                "UseCvr": false,
            ]
            #expect(try await h.send(.POST, "/v1/\(h.org)/contacts", token: token, json: body).status == 200)
            let again = try await h.send(.POST, "/v1/\(h.org)/contacts", token: token, json: body)
            #expect(again.status == 400)
            #expect((again.object["validationErrors"] as? [String: Any])?["guidMustBeUnique"] != nil)
        }
    }

    @Test("contacts page from 0, count with and without the filter, and refuse pageSize above 1000")
    func contactsPaging() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            for index in 0..<5 {
                let reply = try await h.send(
                    .POST, "/v1/\(h.org)/contacts", token: token,
                    json: [
                        "Name": "Kunde \(index)", "CountryKey": "DK", "IsPerson": index % 2 == 0, "IsMember": false,
                        "UseCvr": false,
                        "ExternalReference": "crm:\(index)",
                    ])
                #expect(reply.status == 200)
                h.clock.advance(by: 1)
            }
            let page1 = try await h.send(.GET, "/v1/\(h.org)/contacts?page=1&pageSize=2", token: token)
            let collection = page1.object["Collection"] as? [[String: Any]] ?? []
            #expect(collection.map { $0["name"] as? String } == ["Kunde 2", "Kunde 3"])
            #expect(Set(collection.first?.keys.map { $0 } ?? []) == ["name", "contactGuid"])
            let pagination = page1.object["Pagination"] as? [String: Any] ?? [:]
            #expect(pagination["Page"] as? Int == 1)
            #expect(pagination["PageSize"] as? Int == 2)
            #expect(pagination["Result"] as? Int == 5)
            #expect(pagination["MaxPageSizeAllowed"] as? Int == 1000)

            let filtered = try await h.send(
                .GET,
                "/v1/\(h.org)/contacts?queryFilter=ExternalReference+eq+%27crm%3A3%27&fields=Name,ExternalReference",
                token: token)
            #expect((filtered.object["Collection"] as? [[String: Any]])?.map { $0["Name"] as? String } == ["Kunde 3"])
            let counts = filtered.object["Pagination"] as? [String: Any] ?? [:]
            #expect(counts["Result"] as? Int == 1)
            #expect(counts["ResultWithoutFilter"] as? Int == 5)
            let contains = try await h.send(
                .GET, "/v1/\(h.org)/contacts?queryFilter=Name+contains+%27kunde%27;IsPerson+eq+%27true%27", token: token
            )
            #expect((contains.object["Pagination"] as? [String: Any])?["Result"] as? Int == 3)

            let tooBig = try await h.send(.GET, "/v1/\(h.org)/contacts?pageSize=1001", token: token)
            #expect(tooBig.status == 400)
            #expect(tooBig.code == 43)
            let badField = try await h.send(.GET, "/v1/\(h.org)/contacts?queryFilter=Phone+eq+%271%27", token: token)
            #expect(badField.status == 400)
            #expect(try await h.send(.GET, "/v1/\(h.org)/contacts/\(UUID().uuidString)", token: token).status == 404)
        }
    }

    @Test("invoices: client Guid twice is 409 code 72; unknown Guid is 400 code 63; filter on ExternalReference")
    func invoices() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let contact = try await h.send(
                .POST, "/v1/\(h.org)/contacts", token: token,
                json: ["Name": "Kunde", "CountryKey": "DK", "IsPerson": true, "IsMember": false, "UseCvr": false])
            let contactGuid = try #require(contact.object["ContactGuid"] as? String)
            let guid = UUID().uuidString.lowercased()
            let body: [String: Any] = [
                "Guid": guid, "ContactGuid": contactGuid, "Date": "2026-08-01", "ExternalReference": "shop:1001",
                "ProductLines": [
                    ["AccountNumber": 1000, "BaseAmountValue": 100, "Quantity": 2, "Description": "Vare"]
                ],
            ]
            let created = try await h.send(.POST, "/v1/\(h.org)/invoices", token: token, json: body)
            #expect(created.status == 200, "\(created.text)")
            #expect(created.object["TimeStamp"] is String)
            let again = try await h.send(.POST, "/v1/\(h.org)/invoices", token: token, json: body)
            #expect(again.status == 409)
            #expect(again.code == 72)
            let found = try await h.send(
                .GET,
                "/v1/\(h.org)/invoices?queryFilter=ExternalReference+eq+%27shop%3A1001%27&fields=Guid,TotalInclVat",
                token: token)
            let invoice = try #require((found.object["Collection"] as? [[String: Any]])?.first)
            #expect(invoice["Guid"] as? String == guid)
            #expect(øre(invoice["TotalInclVat"]) == 25_000)
            let unknown = try await h.send(.GET, "/v1/\(h.org)/invoices/\(UUID().uuidString)", token: token)
            #expect(unknown.status == 400)
            #expect(unknown.code == 63)
        }
    }

    static func multipart(name: String, filename: String, type: String, size: Int) -> (String, [UInt8]) {
        let boundary = "----ledgerlift-test-boundary"
        var body = Array(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n"
                .utf8)
        body += [UInt8](repeating: 0x25, count: size)
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        return ("multipart/form-data; boundary=\(boundary)", body)
    }

    @Test("files: any part name, 6 MB at most (413 above), PDF or image only, Linked once a voucher names it")
    func files() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let (type, body) = Self.multipart(
                name: "image", filename: "kvittering.pdf", type: "application/pdf", size: 2048)
            let uploaded = try await h.send(
                .POST, "/v1/\(h.org)/files?fileName=receipt-17.pdf", token: token, body: body,
                headers: [("Content-Type", type)])
            #expect(uploaded.status == 200, "\(uploaded.text)")
            let fileGuid = try #require(uploaded.object["FileGuid"] as? String)

            let (bigType, big) = Self.multipart(
                name: "file", filename: "big.pdf", type: "application/pdf", size: 6 * 1024 * 1024 + 1)
            let tooBig = try await h.send(
                .POST, "/v1/\(h.org)/files", token: token, body: big, headers: [("Content-Type", bigType)])
            #expect(tooBig.status == 413)
            let (textType, text) = Self.multipart(name: "file", filename: "notes.txt", type: "text/plain", size: 10)
            let wrongKind = try await h.send(
                .POST, "/v1/\(h.org)/files", token: token, body: text, headers: [("Content-Type", textType)])
            #expect(wrongKind.status == 400)
            let notMultipart = try await h.send(.POST, "/v1/\(h.org)/files", token: token, json: ["x": 1])
            #expect(notMultipart.status == 400)

            let unused = try await h.send(.GET, "/v1/\(h.org)/files?fileStatus=Unused", token: token)
            #expect((unused.object["Collection"] as? [[String: Any]])?.first?["Name"] as? String == "receipt-17.pdf")
            var voucher = Harness.manualBody()
            voucher["FileGuid"] = fileGuid
            _ = try await h.createManual(token, voucher)
            let used = try await h.send(.GET, "/v1/\(h.org)/files?fileStatus=Used", token: token)
            let linked = try #require((used.object["Collection"] as? [[String: Any]])?.first)
            #expect((linked["Linked"] as? String)?.isEmpty == false)
            #expect(linked["Size"] as? Int == 2048)
            var missing = Harness.manualBody()
            missing["FileGuid"] = UUID().uuidString
            let unknownFile = try await h.send(.POST, "/v1/\(h.org)/vouchers/manuel", token: token, json: missing)
            #expect(unknownFile.validationKeys == ["FileGuid"])
        }
    }

    @Test("entries: a range inside one year; changes by the time they were added, not their date")
    func entriesAndChanges() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            func book(_ date: String) async throws {
                let draft = try await h.createManual(token, Harness.manualBody(date: date))
                let reply = try await h.send(
                    .POST, "/v1/\(h.org)/vouchers/manuel/\(draft.guid)/book", token: token,
                    json: ["Timestamp": draft.timestamp])
                try #require(reply.status == 200, "\(reply.text)")
            }
            try await book("2026-02-01")
            h.clock.advance(by: 1200)
            let marker = ISO8601DateFormatter().string(from: Harness.start.addingTimeInterval(600))
            try await book("2026-01-15")

            let all = try await h.send(.GET, "/v1/\(h.org)/entries?fromDate=2026-01-01&toDate=2026-12-31", token: token)
            #expect(all.array.count == 6)
            #expect(all.array.first?["Date"] as? String == "2026-01-15")
            let january = try await h.send(
                .GET, "/v1/\(h.org)/entries?fromDate=2026-01-01&toDate=2026-01-31", token: token)
            #expect(january.array.count == 3)
            let across = try await h.send(
                .GET, "/v1/\(h.org)/entries?fromDate=2025-12-01&toDate=2026-01-31", token: token)
            #expect(across.status == 400)
            let missing = try await h.send(.GET, "/v1/\(h.org)/entries", token: token)
            #expect(Set(missing.validationKeys) == ["fromDate", "toDate"])

            let end = ISO8601DateFormatter().string(from: Harness.start.addingTimeInterval(1800))
            let changes = try await h.send(
                .GET, "/v1/\(h.org)/entries/changes?changesFrom=\(marker)&changesTo=\(end)", token: token)
            #expect(changes.status == 200, "\(changes.text)")
            #expect(Set(changes.array.compactMap { $0["Date"] as? String }) == ["2026-01-15"])
        }
    }

    @Test("unknown routes answer 404 with HTML, not JSON")
    func unknownRoute() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let reply = try await h.send(.GET, "/v1/\(h.org)/nothing-here", token: token)
            #expect(reply.status == 404)
            #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("text/html") == true)
            #expect(reply.json == nil)
        }
    }
}

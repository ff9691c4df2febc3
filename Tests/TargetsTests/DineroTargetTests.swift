import AsyncHTTPClient
import Foundation
import LedgerModel
import Sandbox
import Targets
import TestSupport
import Testing

/// Dinero as a `Target`, against the sandbox on a loopback port through a real HTTP client.
@Suite("Dinero through the Target protocol")
struct DineroTargetTests {
    /// The sandbox and a client for its organization.
    static func withDinero<T>(_ body: (DineroClient, SandboxDinero) async throws -> T) async throws -> T {
        try await SandboxDinero.with { sandbox in try await body(sandbox.client(), sandbox) }
    }

    static func ledgerItem(_ reference: String, account: AccountNumber = 5820) -> Document {
        Document(
            kind: .ledgerItem, reference: reference, date: LocalDate(year: 2026, month: 3, day: 1)!, currency: .dkk,
            lines: [
                DocumentLine(
                    description: "cash sales", account: account, balancingAccount: 1000,
                    amount: Money(minorUnits: 12_500, currency: .dkk), vat: VatSpec.none, balancingVat: .code("U25"),
                    row: SourceRow(record: 1, line: 2))
            ],
            provenance: Provenance(file: "sales.csv", rows: [SourceRow(record: 1, line: 2)]))
    }

    static func manualVoucher(_ reference: String) -> Document {
        Document(
            kind: .manualVoucher, reference: reference, date: LocalDate(year: 2026, month: 3, day: 2)!, currency: .dkk,
            lines: [
                DocumentLine(
                    description: "rent", account: 3400, balancingAccount: 5500,
                    amount: Money(minorUnits: 800_000, currency: .dkk), vat: .code("I25"), balancingVat: VatSpec.none,
                    row: SourceRow(record: 1, line: 2))
            ],
            provenance: Provenance(file: "rent.csv", rows: [SourceRow(record: 1, line: 2)]))
    }

    static func outgoing(
        _ client: DineroClient, _ document: Document, attachment: String? = nil
    ) throws
        -> OutgoingDocument
    {
        OutgoingDocument(
            reference: document.reference, kind: document.kind, wire: try client.preflight(document),
            attachmentID: attachment)
    }

    @Test(
        "ledger items: drafts under ids derived from their references, booked, then found booked; unknown ones absent")
    func ledgerItems() async throws {
        try await Self.withDinero { client, _ in
            let documents = [Self.ledgerItem("li-1"), Self.ledgerItem("li-2")]
            let created = try await client.create(try documents.map { try Self.outgoing(client, $0) })
            let id = DineroTranslation.ledgerItemID(reference: "li-1")
            guard case .draft(let draftID, let version)? = created["li-1"] else {
                Issue.record("not a draft: \(String(describing: created["li-1"]))")
                return
            }
            #expect(draftID == id)
            #expect(version?.isEmpty == false)
            let sent = documents.map { document in
                guard case .draft(let id, let version)? = created[document.reference] else {
                    return SentDocument(reference: document.reference, kind: .ledgerItem)
                }
                return SentDocument(
                    reference: document.reference, kind: .ledgerItem, remoteID: id, remoteVersion: version)
            }
            let booked = try await client.book(sent)
            #expect(booked.values.allSatisfy { if case .booking = $0 { true } else { false } })
            let found = try await client.lookup(sent + [SentDocument(reference: "never-sent", kind: .ledgerItem)])
            guard case .booked(_, _, let number)? = found["li-1"] else {
                Issue.record("not booked: \(String(describing: found["li-1"]))")
                return
            }
            #expect(number != nil)
            #expect(found["never-sent"] == .absent)
        }
    }

    @Test("a refused batch names its culprits by position; the others are not blamed")
    func culprits() async throws {
        try await Self.withDinero { client, _ in
            let documents = [Self.ledgerItem("ok-1"), Self.ledgerItem("bad", account: 4242), Self.ledgerItem("ok-2")]
            let outgoing = try documents.map { try Self.outgoing(client, $0) }
            do {
                _ = try await client.create(outgoing)
                Issue.record("the sandbox took an account that does not exist")
            } catch let error as TargetError {
                let sent = documents.map { SentDocument(reference: $0.reference, kind: .ledgerItem) }
                let named = client.culprits(of: error, in: sent)
                #expect(Array(named.keys) == ["bad"])
                #expect(named["bad"]?.code.hasPrefix("D") == true || named["bad"]?.code == "T400")
            }
            // Nothing of the refused batch was created.
            let found = try await client.lookup(
                documents.map { SentDocument(reference: $0.reference, kind: .ledgerItem) })
            #expect(found.values.allSatisfy { $0 == .absent })
        }
    }

    @Test(
        "a voucher whose create went unanswered: found through its receipt, unknown without one; a deleted draft is not found"
    )
    func vouchers() async throws {
        try await Self.withDinero { client, _ in
            let receipt = FileManager.default.temporaryDirectory.appendingPathComponent("r-\(UUID().uuidString).pdf")
            try Data("%PDF-1.4\n% receipt\n".utf8).write(to: receipt)
            defer { try? FileManager.default.removeItem(at: receipt) }
            let fileID = try await client.uploadAttachment(path: receipt.path)
            let withReceipt = Self.manualVoucher("mv-receipt")
            let created = try await client.create([try Self.outgoing(client, withReceipt, attachment: fileID)])
            guard case .draft(let guid, _)? = created["mv-receipt"] else {
                Issue.record("not a draft")
                return
            }
            // As if the create's answer was lost: only the receipt's id is known.
            let lost = SentDocument(reference: "mv-receipt", kind: .manualVoucher, attachmentID: fileID)
            let found = try await client.lookup([lost])
            guard case .draft(let foundID, let version)? = found["mv-receipt"] else {
                Issue.record("not found through the receipt: \(String(describing: found["mv-receipt"]))")
                return
            }
            #expect(foundID == guid)
            // Without a receipt, Dinero cannot be asked by reference.
            let blind = try await client.lookup([SentDocument(reference: "mv-blind", kind: .manualVoucher)])
            guard case .unknown(let note)? = blind["mv-blind"] else {
                Issue.record("expected unknown")
                return
            }
            #expect(note.contains("mv-blind"))
            // The draft is deleted and then absent.
            let draft = SentDocument(
                reference: "mv-receipt", kind: .manualVoucher, remoteID: guid, remoteVersion: version,
                attachmentID: fileID)
            try await client.deleteDraft(draft)
            await #expect(
                throws: TargetError.notFound("/v1/\(SandboxCredentials.organizationID)/vouchers/manuel/\(guid)")
            ) {
                _ = try await client.lookup([draft])
            }
        }
    }

    @Test("the wire body is made once, carries the reference, and takes a receipt's FileGuid when sent")
    func wire() throws {
        let limiter = RateLimiter(key: "t", policy: RateLimitPolicy(limit: 1, window: .fixed(60)))
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { try? http.syncShutdown() }
        let client = DineroClient(
            endpoint: DineroEndpoint(), credentials: PersonalCredentials(clientID: "c", clientSecret: "s", apiKey: "k"),
            organization: 1, http: http, limiter: limiter)
        let wire = try client.preflight(Self.manualVoucher("mv-1"))
        let object = try #require(try JSONSerialization.jsonObject(with: wire) as? [String: Any])
        #expect(object["ExternalReference"] as? String == "mv-1")
        #expect(object["FileGuid"] == nil)
        let amount = try #require((object["Lines"] as? [[String: Any]])?.first?["Amount"] as? NSNumber)
        #expect(amount.decimalValue == Decimal(8000))
        // A line without a VAT code is refused before anything is sent.
        var noVat = Self.manualVoucher("mv-2")
        noVat.lines[0].vat = nil
        #expect(throws: TargetError.self) { try client.preflight(noVat) }
    }

    @Test("contacts are read a thousand a page, every page; one created under a taken id counts as created")
    func contacts() async throws {
        let seeded = (0..<1001).map {
            SandboxChart.Contact(id: nil, name: "Leverandør \($0)", vatNumber: $0 == 7 ? "DK12345678" : nil)
        }
        try await SandboxDinero.with({ $0.chart = SandboxChart(accounts: [], years: [], contacts: seeded) }) {
            sandbox in
            let dinero = sandbox.client()
            let contacts = try await dinero.contacts()
            #expect(contacts.count == 1001)
            #expect(await dinero.calls == 2)
            #expect(contacts.first { $0.name == "Leverandør 7" }?.vatNumber == "DK12345678")
            #expect(contacts.allSatisfy { UUID(uuidString: $0.id) != nil && $0.country == "DK" })

            let id = dinero.newContactID(key: "name:ny leverandør")
            #expect(id == dinero.newContactID(key: "name:ny leverandør"))
            let new = Contact(id: id, name: "Ny Leverandør", vatNumber: "SE5566778899", country: "SE")
            try await dinero.createContact(new)
            try await dinero.createContact(new)  // an earlier create whose answer was lost
            let after = try await dinero.contacts()
            #expect(after.count == 1002)
            #expect(after.filter { $0.id == id } == [new])
        }
    }
}

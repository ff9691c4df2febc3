import Checkpoint
import Foundation
import LedgerModel
import Mapping
import Pipeline
import Sandbox
import Submission
import Targets
import TestSupport
import Testing
import Validation

/// Suppliers named by name or VAT number, against the sandbox's contacts: found, created once,
/// or rejected before anything is sent.
@Suite("Contacts in the import job")
struct ContactImportTests {
    typealias Bench = ImportJobTests.Bench
    typealias Collected = ImportJobTests.Collected

    /// The sample supplier-invoice mapping, with its `contacts:` policy replaced.
    static func mapping(_ bench: Bench, contacts: String = "create", contact: String? = nil) throws -> String {
        var text = try String(contentsOfFile: "mappings/supplier-invoices.yaml", encoding: .utf8)
            .replacingOccurrences(of: "contacts: create", with: "contacts: \(contacts)")
        if let contact {
            text = text.replacingOccurrences(
                of: "    contact:\n      name: \"{Supplier}\"\n      vat_number: \"{CVR}\"",
                with: "    contact: \(contact)")
        }
        let path = bench.folder + "/suppliers-\(contacts)-\(UUID().uuidString.prefix(6)).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func csv(_ bench: Bench, _ name: String, _ rows: [String]) throws -> String {
        let path = bench.folder + "/\(name).csv"
        try (["Invoice,Date,Due,Supplier,CVR,Account,Text,Amount"] + rows).joined(separator: "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("contacts: create makes each supplier once, however its rows write it, and the vouchers owe them")
    func created() async throws {
        try await Bench.with { bench in
            let job = try bench.job(try Self.mapping(bench), ["samples/supplier-invoices.csv"])
            let result = try await job.run(target: bench.target(), sink: Collected())
            #expect(result.outcome == .done)
            #expect(result.progress.booked == 4)
            #expect(result.progress.contactsCreated == 3)
            // 5 to read the organization, 1 its contacts, 3 creates, and create + book per voucher.
            #expect(result.calls == 5 + 1 + 3 + 4 * 2)
            let contacts = try await bench.target().contacts()
            #expect(contacts.map(\.name).sorted() == ["Kontorland A/S", "Netbutikken.dk", "Strøm & Varme ApS"])
            #expect(contacts.first { $0.name == "Kontorland A/S" }?.vatNumber == "DK12345678")
            let owed = try await bench.sandbox.held("purchaseVouchers").map { $0["ContactGuid"] as? String }
            let kontorland = try #require(contacts.first { $0.name == "Kontorland A/S" }?.id)
            #expect(
                owed == [
                    kontorland, contacts.first { $0.name.hasPrefix("Strøm") }?.id, kontorland,
                    contacts.first { $0.name == "Netbutikken.dk" }?.id,
                ])

            // Another job, suppliers written otherwise: found, none created.
            let more = try Self.csv(
                bench, "more",
                [
                    "F-2001,2026-03-20,2026-04-19,kontorland  A/S,,2750,Lamper,600.00",
                    "F-2002,2026-03-21,2026-04-20,Strøm og Varme,DK87654321,3400,El april,950.00",
                ])
            var second = try bench.job(try Self.mapping(bench), [more])
            second.statePath = bench.folder + "/second.sqlite"
            let again = try await second.run(target: bench.target(), sink: Collected())
            #expect(again.outcome == .done)
            #expect(again.progress.booked == 2)
            #expect(again.progress.contactsCreated == 0)
            #expect(try await bench.target().contacts().count == 3)
        }
    }

    @Test("without contacts: create, an unknown supplier's row is rejected before anything is sent")
    func unknownRejected() async throws {
        try await Bench.with { bench in
            let file = try Self.csv(
                bench, "unknown",
                [
                    "F-1,2026-03-02,2026-04-01,Ukendt ApS,,2750,Noget,100.00",
                    "F-2,2026-03-02,2026-04-01,Ukendt ApS,DK 11 22 33 44,2750,Andet,200.00",
                ])
            let sink = Collected()
            let result = try await bench.job(try Self.mapping(bench, contacts: "existing"), [file])
                .run(target: bench.target(), sink: sink)
            #expect(result.outcome == .done)
            let state = try #require(result.state)
            let rows = try state.rows()
            #expect(rows.map(\.code) == ["V312", "V312"])
            #expect(rows[0].message == "the supplier Ukendt ApS is not among the contacts of Sandbox ApS")
            #expect(sink.text.contains("contacts: create"))
            #expect(try await bench.held("purchaseVouchers") == 0)
            #expect(try await bench.target().contacts().isEmpty)
            #expect(result.calls == 6)  // the organization and its contacts: nothing written
        }
    }

    @Test("a contact created by a run whose answer was lost is not created twice")
    func lostAnswer() async throws {
        try await Bench.with { bench in
            let job = try bench.job(try Self.mapping(bench), ["samples/supplier-invoices.csv"])
            // Mapped and stored, nothing sent.
            let first = try await job.run(target: bench.target(), sink: Collected()) { true }
            #expect(first.outcome == .resumeLater(at: nil))
            let state = try #require(first.state)
            let planned = try state.newContacts()
            #expect(planned.count == 3)
            #expect(try state.newContacts(createdOnly: true).isEmpty)
            // As if a create reached Dinero and its answer was lost: the target has it, the state
            // file does not know.
            try await bench.target().createContact(planned[0])

            let second = try await job.run(target: bench.target(), sink: Collected())
            #expect(second.outcome == .done)
            #expect(second.progress.booked == 4)
            let held = try await bench.target().contacts()
            #expect(held.count == 3)
            #expect(Set(held.map(\.id)) == Set(planned.map(\.id)))
            #expect(try state.newContacts(createdOnly: true).count == 3)
        }
    }

    @Test("a supplier the target refuses to create rejects its documents, once asked; the others are booked")
    func refusedContact() async throws {
        try await Bench.with { bench in
            let long = String(repeating: "x", count: 130)
            let mapping = try Self.mapping(
                bench, contact: "{ name: \"{Supplier}\", external_reference: \"{CVR}\" }")
            let file = try Self.csv(
                bench, "refused",
                [
                    "F-1,2026-03-02,2026-04-01,Lang ApS,\(long),2750,Noget,100.00",
                    "F-2,2026-03-03,2026-04-02,Lang ApS,\(long),2750,Andet,200.00",
                    "F-3,2026-03-04,2026-04-03,Kort ApS,k-1,2750,Tredje,300.00",
                ])
            let result = try await bench.job(mapping, [file]).run(target: bench.target(), sink: Collected())
            #expect(result.outcome == .done)
            #expect(result.progress.rejected == 2)
            #expect(result.progress.booked == 1)
            #expect(result.progress.contactsCreated == 1)
            // 6 to read, 1 refused create (asked once), 1 create and its voucher's create and book.
            #expect(result.calls == 6 + 1 + 1 + 2)
            let state = try #require(result.state)
            let rejected = try state.documents(in: [.rejected])
            #expect(rejected.count == 2)
            #expect(
                rejected.allSatisfy {
                    $0.errorMessage?.hasPrefix("the supplier Lang ApS could not be created:") == true
                })
            #expect(try await bench.target().contacts().map(\.name) == ["Kort ApS"])
        }
    }

    @Test("contacts are read once per run and kept in the state file: a run soon after reads none")
    func readOnce() async throws {
        try await Bench.with { bench in
            let mapping = try Self.mapping(bench)
            let a = try Self.csv(bench, "a", ["F-1,2026-03-02,2026-04-01,Kontorland A/S,DK12345678,2750,Stol,100.00"])
            let b = try Self.csv(bench, "b", ["F-2,2026-03-03,2026-04-02,Kontorland A/S,,2750,Bord,200.00"])
            let first = try await bench.job(mapping, [a]).run(target: bench.target(), sink: Collected())
            #expect(first.progress.contactsCreated == 1)
            // The same job (an inbox's route) given another file: the chart is cached, and so are
            // the contacts, with the one the job created.
            let second = try await bench.job(mapping, [a, b]).run(target: bench.target(), sink: Collected())
            #expect(second.outcome == .done)
            #expect(second.progress.booked == 1)
            #expect(second.progress.contactsCreated == 0)
            #expect(second.calls == 1 + 2)  // the organization, then the voucher's create and book
            #expect(try await bench.target().contacts().count == 1)
        }
    }

    @Test("plan with reference data that has contacts rejects what import would, and counts the contacts to create")
    func planned() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var reference = try ReferenceData.load(path: "mappings/reference/example-org.yaml")
        reference.contacts = [
            Contact(id: "11111111-1111-4111-8111-111111111111", name: "Kontorland A/S", vatNumber: "DK12345678")
        ]
        let snapshot = folder + "/org.json"
        try reference.snapshot().write(to: URL(fileURLWithPath: snapshot))
        #expect(try ReferenceData.load(path: snapshot).contacts == reference.contacts)

        func plan(_ policy: String) throws -> PlanOutput {
            let text = try String(contentsOfFile: "mappings/supplier-invoices.yaml", encoding: .utf8)
                .replacingOccurrences(of: "contacts: create", with: "contacts: \(policy)")
            let path = folder + "/\(policy).yaml"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            var job = PlanJob(
                mapping: try #require(MappingSession.load(path, sink: Collected())),
                files: ["samples/supplier-invoices.csv"])
            job.validation.reference = snapshot
            job.validation.today = LocalDate(year: 2026, month: 6, day: 30)
            return try job.run(sink: Collected()).plan
        }
        let existing = try plan("existing")
        // Kontorland is found (by VAT number, written two ways); the other two are not contacts.
        #expect(existing.rejected.flatMap { $0.diagnostics.map(\.code.rawValue) } == ["V312", "V312"])
        #expect(existing.documentCount == 2)
        #expect(existing.dineroCalls.contactsToCreate == 0)
        let create = try plan("create")
        #expect(create.rejected.isEmpty)
        #expect(create.dineroCalls.contactsToCreate == 2)
        #expect(create.dineroCalls.description.contains("2 to create suppliers"))
    }
}

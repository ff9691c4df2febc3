import Checkpoint
import Foundation
import LedgerModel
import Sandbox
import Targets
import TestSupport
import Testing

@testable import Submission

/// The generic submitter driving Dinero's `Target` against the sandbox, with its faults.
@Suite("The submitter, exactly once")
struct SubmitterTests {
    /// The sandbox (a status read before a booking shows, and `faults`), a client, and an empty
    /// state file.
    static func with<T>(
        faults: FaultSettings = FaultSettings(), _ body: (DineroClient, StateFile, SandboxDinero) async throws -> T
    ) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sub-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = try StateFile(path: folder + "/job.sqlite")
        return try await SandboxDinero.with({
            $0.pendingStatusReads = 1
            $0.faults = faults
        }) { sandbox in try await body(sandbox.client(), state, sandbox) }
    }

    static func document(_ index: Int, kind: DocumentKind) -> Document {
        let row = SourceRow(record: index + 1, line: index + 2)
        return Document(
            kind: kind, reference: "doc-\(kind.rawValue)-\(index)", date: LocalDate(year: 2026, month: 3, day: 1)!,
            currency: .dkk,
            lines: [
                DocumentLine(
                    description: "sale \(index)", account: 5820, balancingAccount: 1000,
                    amount: Money(minorUnits: Int64(1_000 + index), currency: .dkk), vat: VatSpec.none,
                    balancingVat: .code("U25"), row: row)
            ],
            provenance: Provenance(file: "a.csv", rows: [row]))
    }

    /// Stores the documents as an import does: each with its wire body (or, as a state file from
    /// before wire bodies were kept, without one).
    static func store(_ documents: [Document], in state: StateFile, target: DineroClient, wire: Bool = true) throws {
        try state.record(SourceFileRecord(path: "a.csv", size: 1, sha256: "aa"))
        try state.storeMapped(
            file: "a.csv",
            documents: try documents.enumerated().map { index, document in
                DocumentRecord(
                    document: document, wire: wire ? try target.preflight(document) : nil, sequence: index)
            }, rows: [])
    }

    static var quick: SubmissionOptions {
        var options = SubmissionOptions()
        options.pollInterval = 0
        options.batchSize = 7
        return options
    }

    @Test("half the writes' answers lost after the sandbox committed them: every ledger item booked once")
    func lostAnswers() async throws {
        try await Self.with(faults: FaultSettings(dropAfterCommitRate: 0.5, seed: 7)) { client, state, sandbox in
            let documents = (0..<30).map { Self.document($0, kind: .ledgerItem) }
            try Self.store(documents, in: state, target: client)
            var end = RunEnd.stoppedEarly("not run")
            // Lost answers leave documents open for the next run now and then; three runs finish.
            for _ in 0..<3 where end != .finished {
                (end, _) = try await Submitter(target: client, state: state, options: Self.quick).run()
            }
            #expect(end == .finished)
            #expect(try state.phaseCounts() == [.booked: 30])
            let held = try await sandbox.held("ledgerItems")
            #expect(held.count == 30)
            #expect(held.allSatisfy { ($0["Status"] as? String)?.lowercased() == "booked" })
        }
    }

    @Test("a voucher whose create went unanswered and that Dinero cannot look up: booked once, with a note")
    func unknownVoucher() async throws {
        try await Self.with(faults: FaultSettings(dropNextWrites: 1)) { client, state, sandbox in
            try Self.store([Self.document(0, kind: .manualVoucher)], in: state, target: client)
            let (end, progress) = try await Submitter(target: client, state: state, options: Self.quick).run()
            #expect(end == .finished)
            #expect(progress.booked == 1)
            let record = try #require(try state.documents().first)
            #expect(record.phase == .booked)
            #expect(record.errorCode == "L001")
            #expect(record.errorMessage?.contains("doc-manual_voucher-0") == true)
            let held = try await sandbox.held("manualVouchers")
            #expect(held.filter { ($0["Status"] as? String)?.lowercased() == "booked" }.count == 1)
            #expect(held.count == 2)  // the stray draft the note speaks of
        }
    }

    @Test("a document of a state file from before wire bodies were kept is put in Dinero's words when sent")
    func withoutWire() async throws {
        try await Self.with { client, state, _ in
            try Self.store((0..<3).map { Self.document($0, kind: .ledgerItem) }, in: state, target: client, wire: false)
            let (end, progress) = try await Submitter(target: client, state: state, options: Self.quick).run()
            #expect(end == .finished)
            #expect(progress.booked == 3)
        }
    }

    @Test("the target's credentials refused: the run stops at once, and what was not sent stays pending")
    func refusedCredentials() async throws {
        try await Self.with { _, state, sandbox in
            let wrong = sandbox.client(secret: "wrong")
            try Self.store([Self.document(0, kind: .ledgerItem)], in: state, target: wrong)
            let (end, _) = try await Submitter(target: wrong, state: state, options: Self.quick).run()
            guard case .targetRefused = end else {
                Issue.record("expected the target to refuse, got \(end)")
                return
            }
            #expect(try state.documents().map(\.phase) == [.pending])
        }
    }
}

@Suite("Which documents are looked up before they are sent again")
struct LookupRuleTests {
    static func record(_ phase: Phase, remoteID: String? = nil, errorCode: String? = nil) -> DocumentRecord {
        var record = DocumentRecord(
            document: SubmitterTests.document(0, kind: .manualVoucher), wire: nil, sequence: 0)
        record.phase = phase
        record.remoteID = remoteID
        record.errorCode = errorCode
        return record
    }

    @Test("anything a call may have reached the target with is looked up; a definite failure is simply sent")
    func rule() {
        typealias Rule = Submitter<DineroClient>
        #expect(!Rule.mayBeAtTarget(Self.record(.pending)))
        #expect(Rule.mayBeAtTarget(Self.record(.sending)))
        #expect(Rule.mayBeAtTarget(Self.record(.created, remoteID: "g")))
        #expect(Rule.mayBeAtTarget(Self.record(.booking, remoteID: "g")))
        // Creates that got no answer, however often: looked up.
        #expect(Rule.mayBeAtTarget(Self.record(.failed, errorCode: TargetError.ambiguous("").code)))
        // A draft the target has, whose book failed: looked up.
        #expect(Rule.mayBeAtTarget(Self.record(.failed, remoteID: "g", errorCode: "T503")))
        // A receipt that could not be uploaded, a create the target answered with an error.
        #expect(!Rule.mayBeAtTarget(Self.record(.failed, errorCode: "T503")))
        #expect(!Rule.mayBeAtTarget(Self.record(.booked, remoteID: "g")))
        #expect(!Rule.mayBeAtTarget(Self.record(.rejected)))
    }
}

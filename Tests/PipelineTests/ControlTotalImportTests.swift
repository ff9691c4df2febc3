import Checkpoint
import Foundation
import LedgerModel
import Mapping
import Pipeline
import Reports
import Submission
import Targets
import TestSupport
import Testing

/// A file that does not add up to its own totals sends nothing.
@Suite("Control totals in the import job and the plan")
struct ControlTotalImportTests {
    typealias Bench = ImportJobTests.Bench
    typealias Collected = ImportJobTests.Collected

    static func files(_ bench: Bench, total: String) throws -> (mapping: String, file: String) {
        let mapping = bench.folder + "/statement.yaml"
        try """
        version: 1
        name: statement
        source: { format: xml, records: Stmt/Ntry }
        locale: { decimal_mark: "." }
        control_totals:
          credit: "{../Total}"
        document:
          kind: ledger_item
          date: "{Dt}"
          lines:
            - account: 5820
              balancing_account: 1000
              amount: "{Amt}"
              vat: none
              balancing_vat: U25
        """.write(toFile: mapping, atomically: true, encoding: .utf8)
        let file = bench.folder + "/statement-\(total).xml"
        try """
        <Stmt><Total>\(total)</Total>
          <Ntry><Dt>2026-03-01</Dt><Amt>100.00</Amt></Ntry><Ntry><Dt>2026-03-02</Dt><Amt>25.00</Amt></Ntry></Stmt>
        """.write(toFile: file, atomically: true, encoding: .utf8)
        return (mapping, file)
    }

    @Test("totals that differ: plan says so and fails; import rejects every row with both figures and sends nothing")
    func differ() async throws {
        try await Bench.with { bench in
            let (mapping, file) = try Self.files(bench, total: "120.00")
            let sink = Collected()
            let plan = try PlanJob(mapping: try #require(MappingSession.load(mapping, sink: sink)), files: [file])
                .run(sink: sink)
            #expect(plan.outcome == .rowsFailed)
            #expect(plan.plan.files.first?.controlTotals.map(\.agrees) == [false])
            #expect(sink.text.contains("credit: the file says 120.00, its documents 125.00 (differs)"))

            let result = try await bench.job(mapping, [file]).run(target: bench.target(), sink: Collected())
            let rows = try JobReport.rows(from: try #require(result.state))
            #expect(rows.map(\.status) == [.rejected, .rejected])
            #expect(rows.allSatisfy { $0.code == "M014" })
            #expect(rows.first?.message?.contains("the file says 120.00, its documents 125.00") == true)
            #expect(try await bench.held("ledgerItems") == 0)
        }
    }

    @Test("totals that agree: booked, and the plan shows them")
    func agree() async throws {
        try await Bench.with { bench in
            let (mapping, file) = try Self.files(bench, total: "125.00")
            let plan = try PlanJob(
                mapping: try #require(MappingSession.load(mapping, sink: Collected())), files: [file]
            )
            .run(sink: Collected())
            #expect(plan.outcome == .done)
            #expect(plan.plan.files.first?.controlTotals.map(\.agrees) == [true])
            let result = try await bench.job(mapping, [file]).run(target: bench.target(), sink: Collected())
            #expect(result.progress.booked == 2)
        }
    }
}

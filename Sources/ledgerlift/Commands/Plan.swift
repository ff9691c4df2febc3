import ArgumentParser
import Foundation
import LedgerModel
import Mapping
import Pipeline
import Readers
import Targets
import Validation

/// `ledgerlift plan MAPPING FILE...`: a dry run. Nothing is sent anywhere.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Dry run: the documents a mapping makes from files, totals per account and VAT code, and every row "
            + "that could not be mapped. Nothing is sent.",
        discussion:
            "Exit codes: 0 every row maps (or is skipped by a rule); 1 some rows failed; 2 the mapping is invalid."
    )

    @Argument(help: "The mapping file (YAML).")
    var mapping: String

    @Argument(help: "The files to map.")
    var files: [String]

    @OptionGroup var reader: ReaderOptionGroup

    @OptionGroup(title: "Validation") var validation: ValidationOptionGroup

    @Option(help: "Documents to list in the table (the totals always cover all).")
    var show = 20

    @Option(help: "Show at most this many row problems on stderr (all are in --json and --jsonl).")
    var maxProblems = 50

    @Flag(help: "Print the whole plan as one JSON document on stdout.")
    var json = false

    @Flag(help: "Print one JSON object per document, rejected or skipped row, then a summary, as JSON Lines.")
    var jsonl = false

    func validate() throws {
        if json && jsonl { throw ValidationError("choose one of --json and --jsonl") }
        if files.isEmpty { throw ValidationError("name at least one file to plan") }
    }

    func run() throws {
        let sink = TerminalSink()
        guard let session = MappingSession.load(mapping, sink: sink) else { throw ExitStatus.usage }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var job = PlanJob(mapping: session, files: files)
        job.reader = reader.overrides
        job.validation = validation.choices
        job.keepDocuments = json ? .max : show
        job.maxProblems = json || jsonl ? 0 : maxProblems
        if jsonl { job.eachEvent = { event in Console.out(try PlanLines.line(for: event, encoder)) } }
        let plan: PlanOutput
        let outcome: JobOutcome
        do {
            (plan, outcome) = try job.run(sink: sink)
        } catch is UsageError {
            throw ExitStatus.usage  // the validation setup was refused, and said why
        }
        if json {
            encoder.outputFormatting.insert(.prettyPrinted)
            Console.out(String(decoding: try encoder.encode(plan), as: UTF8.self))
        } else if jsonl {
            Console.out(try PlanLines.summaryLine(plan, encoder))
        } else {
            Console.out(PlanText.render(plan, shown: show))
        }
        throw ExitStatus.of(outcome)
    }
}

/// The plan as JSON Lines: one object per event, then a summary.
enum PlanLines {
    static func line(for event: borrowing MappingEvent, _ encoder: JSONEncoder) throws -> String {
        struct Tagged<T: Encodable>: Encodable {
            var type: String
            var value: T
            func encode(to encoder: any Encoder) throws {
                try value.encode(to: encoder)
                var container = encoder.container(keyedBy: Key.self)
                try container.encode(type, forKey: .type)
            }
            enum Key: String, CodingKey { case type }
        }
        let data: Data
        switch event {
        case .document(let document): data = try encoder.encode(Tagged(type: "document", value: document))
        case .rejected(let outcome): data = try encoder.encode(Tagged(type: "rejected", value: outcome))
        case .skipped(let outcome): data = try encoder.encode(Tagged(type: "skipped", value: outcome))
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func summaryLine(_ plan: PlanOutput, _ encoder: JSONEncoder) throws -> String {
        struct Summary: Encodable {
            var type = "summary"
            var mapping: String
            var files: [PlanOutput.FileStats]
            var documentCount: Int
            var rejectedRows: Int
            var skippedRows: Int
            var totals: PlanSummary
            var dineroCalls: CallPlan
        }
        let summary = Summary(
            mapping: plan.mapping, files: plan.files, documentCount: plan.documentCount,
            rejectedRows: plan.rejectedRows,
            skippedRows: plan.skippedRows, totals: plan.summary, dineroCalls: plan.dineroCalls)
        return String(decoding: try encoder.encode(summary), as: UTF8.self)
    }
}

/// The plan as tables for people.
enum PlanText {
    static func render(_ plan: PlanOutput, shown: Int) -> String {
        var out: [String] = []
        for file in plan.files {
            let s = file.stats
            let kind = plan.kind.rawValue.replacingOccurrences(of: "_", with: " ")
            out.append(
                "\(file.file): \(count(s.records, "row")) → \(count(s.documents, kind)) with \(count(s.lines, "line")); "
                    + "\(count(s.rowsRejected, "row")) rejected, \(s.rowsSkipped) skipped")
            for total in file.controlTotals {
                out.append("  control total \(total.description)\(total.agrees ? " ✓" : "")")
            }
        }
        if !plan.documents.isEmpty {
            out.append("")
            let more =
                plan.documentCount > plan.documents.count
                ? " (first \(plan.documents.count) of \(plan.documentCount))" : ""
            out.append("documents\(more):")
            var rows = [["#", "date", "reference", "rows", "lines", "description", "total"]]
            for (i, document) in plan.documents.enumerated() {
                rows.append([
                    "\(i + 1)", document.date.description, document.reference, "\(document.provenance.rowCount)",
                    "\(document.lines.count)",
                    clip(document.description ?? document.lines.first?.description ?? "", 34),
                    document.kind == .purchaseVoucher ? document.total.description : balance(document),
                ])
            }
            out += table(rows, rightAligned: [0, 3, 4, 6])
        }
        if !plan.summary.accounts.isEmpty {
            out.append("")
            out.append("totals per account:")
            var rows = [["account", "debit", "credit", "net", "lines"]]
            for total in plan.summary.accounts {
                rows.append([
                    total.name, total.debit.description, total.credit.description, total.net.description,
                    "\(total.lines)",
                ])
            }
            out += table(rows, rightAligned: [1, 2, 3, 4])
            out.append("")
            out.append("totals per VAT code (gross, on the side carrying the code):")
            var vat = [["code", "debit", "credit", "lines"]]
            for total in plan.summary.vatCodes {
                vat.append([total.name, total.debit.description, total.credit.description, "\(total.lines)"])
            }
            out += table(vat, rightAligned: [1, 2, 3])
        }
        if plan.dineroCalls.calls > 0 {
            out.append("")
            out.append("booking in Dinero: \(plan.dineroCalls.description)")
        }
        if !plan.rejected.isEmpty {
            out.append("")
            out.append("rejected rows (\(plan.rejectedRows)):")
            for outcome in plan.rejected.prefix(20) {
                out.append("  \(Provenance(file: outcome.file, rows: outcome.rows).description): \(outcome.reason)")
            }
            if plan.rejected.count > 20 { out.append("  … and \(plan.rejected.count - 20) more (see --json)") }
        }
        if !plan.skipped.isEmpty {
            out.append("")
            out.append("skipped rows (\(plan.skippedRows)):")
            var reasons: [String: Int] = [:]
            for outcome in plan.skipped { reasons[outcome.reason, default: 0] += outcome.rows.count }
            for (reason, count) in reasons.sorted(by: { $0.value > $1.value }) { out.append("  \(count) × \(reason)") }
        }
        return out.joined(separator: "\n")
    }

    /// "balanced" when debits equal credits, else the difference.
    private static func balance(_ document: Document) -> String {
        let open = document.lines.filter { $0.balancingAccount == nil }
        guard !open.isEmpty else { return "balanced" }
        let sum = open.reduce(Money.zero(document.currency)) { $0.adding($1.amount) ?? $0 }
        return sum.isZero ? "balanced" : "off by \(sum)"
    }

    static func table(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            var line = " "
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                line += " " + (rightAligned.contains(i) ? pad + cell : cell + pad)
            }
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }
}

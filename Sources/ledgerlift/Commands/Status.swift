import ArgumentParser
import Checkpoint
import Foundation
import Pipeline
import Reports

/// `ledgerlift status STATE`: where a job stands, from its state file alone (no network).
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise an import job from its state file: files, documents per phase, rows per status."
    )

    @Argument(help: "The job's state file (.ledgerlift/<job>.sqlite).")
    var state: String

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func run() throws {
        guard FileManager.default.fileExists(atPath: state) else {
            Console.err("error: \(state) does not exist")
            throw ExitStatus.usage
        }
        let file = try StateFile(path: state)
        guard let job = try file.job() else {
            Console.err("error: \(state) holds no job yet")
            throw ExitStatus.usage
        }
        let phases = try file.phaseCounts()
        let summary = Report.summary(try JobReport.rows(from: file))
        let sources = try file.sourceFiles()
        if json {
            var object: [String: Any] = [
                "mapping": job.mapping, "target": job.target, "organization": job.organization,
                "files": sources.map { ["path": $0.path, "size": $0.size, "sha256": $0.sha256, "mapped": $0.mapped] },
                "documents": Dictionary(uniqueKeysWithValues: phases.map { ($0.key.rawValue, $0.value) }),
            ]
            object["rows"] = [
                "total": summary.rows, "booked": summary.booked, "rejected": summary.rejected,
                "failed": summary.failed, "skipped": summary.skipped, "duplicate": summary.duplicateSkipped,
                "pending": summary.pending,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            Console.out(String(decoding: data, as: UTF8.self))
            return
        }
        let open = phases.filter { !$0.key.isFinal }.values.reduce(0, +)
        Console.out(
            """
            Job:       \(job.mapping) → \(job.target) organization \(job.organization)
            Files:     \(sources.map { "\($0.path) (\($0.size) bytes\($0.mapped ? "" : ", not fully mapped"))" }.joined(separator: ", "))
            Documents: \(Phase.allCases.compactMap { phase in phases[phase].map { "\(phase.rawValue) \($0)" } }.joined(separator: ", "))
            Rows:      \(summary.rows): booked \(summary.booked), rejected \(summary.rejected), failed \(summary.failed), skipped \(summary.skipped), duplicate \(summary.duplicateSkipped), not finished \(summary.pending)
            \(open == 0 ? "Every document is booked or rejected." : "\(open) documents are not finished: run the same import again to resume.")
            """)
    }
}

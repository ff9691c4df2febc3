import ArgumentParser
import LedgerModel
import Mapping
import Pipeline

/// `ledgerlift check MAPPING [FILE...]`: compile the mapping; with files, map every row too.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Compile a mapping and report every error; with files, map and validate every row without sending anything.",
        discussion: "Exit codes: 0 clean; 2 the mapping is invalid, or some rows cannot be mapped or do not validate."
    )

    @Argument(help: "The mapping file (YAML).")
    var mapping: String

    @Argument(help: "Files to map with it (optional).")
    var files: [String] = []

    @OptionGroup var reader: ReaderOptionGroup

    @OptionGroup(title: "Validation") var validation: ValidationOptionGroup

    @Option(help: "Show at most this many row problems per file.")
    var maxProblems = 50

    func run() throws {
        let sink = TerminalSink()
        guard let session = MappingSession.load(mapping, sink: sink) else { throw ExitStatus.usage }
        var job = CheckJob(mapping: session, files: files)
        job.reader = reader.overrides
        job.validation = validation.choices
        job.maxProblems = maxProblems
        let clean: Bool
        do {
            clean = try job.run(sink: sink) { file, stats in
                Console.out(
                    "\(file): \(stats.records) records → \(stats.documents) documents, \(stats.rowsRejected) rows rejected, "
                        + "\(stats.rowsSkipped) skipped")
            }
        } catch is UsageError {
            throw ExitStatus.usage
        }
        if files.isEmpty { Console.out("\(mapping): ok (\(session.mapping.kind.rawValue))") }
        if !clean { throw ExitStatus.usage }
    }
}

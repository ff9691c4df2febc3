import ArgumentParser
import LedgerModel
import Mapping
import Pipeline
import Readers
import Validation

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
        var failed = false
        var problems = ProblemPrinter(limit: maxProblems, sink: sink)
        let validator: Validator?
        do {
            validator =
                files.isEmpty
                ? nil : try validation.choices.makeValidator(mapping: session.mapping.validation, sink: sink)
        } catch {
            throw ExitStatus.usage
        }
        var step = ValidationStep(validator)
        for file in files {
            guard let (builder, reader) = try session.open(file, overrides: reader.overrides, sink: sink) else {
                failed = true
                continue
            }
            do {
                while let mapped = try builder.next() {
                    let (event, warnings) = step.apply(mapped, distinct: builder.referencesAreDistinct)
                    if let warnings { problems.report(warnings) }
                    if case .rejected(let outcome) = event { problems.report(outcome) }
                }
            } catch {
                try MappingSession.reportStop(error, sink: sink)
                failed = true
            }
            reader.diagnostics.filter { $0.code == ReaderCode.recordPathNotFound }.forEach(Console.report)
            let stats = step.adjust(builder.stats)
            Console.out(
                "\(file): \(stats.records) records → \(stats.documents) documents, \(stats.rowsRejected) rows rejected, "
                    + "\(stats.rowsSkipped) skipped")
            if stats.rowsRejected > 0 { failed = true }
        }
        problems.finish("raise --max-problems to see them")
        if files.isEmpty { Console.out("\(mapping): ok (\(session.mapping.kind.rawValue))") }
        if failed { throw ExitStatus.usage }
    }
}

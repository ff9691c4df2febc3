import LedgerModel
public import Mapping
import Readers
import Targets
import Validation

/// `check`'s job: maps and validates every row of the files, nothing sent, and counts what
/// became of them file by file.
public struct CheckJob {
    public var mapping: MappingSession
    public var files: [String]
    public var reader = ReaderOverrides()
    public var validation = ValidationChoices()
    /// Row problems passed to the sink.
    public var maxProblems = 50

    public init(mapping: MappingSession, files: [String]) {
        self.mapping = mapping
        self.files = files
    }

    /// Each file's counts, in order (a file that cannot be read has none), and whether every row
    /// of every file mapped and validated. Throws ``UsageError`` when the validation setup cannot
    /// be used (the sink has heard why).
    public func run(sink: some ProblemSink, eachFile: (String, MappingStats) -> Void) throws -> Bool {
        let validator: Validator?
        do {
            validator =
                files.isEmpty
                ? nil : try validation.offline.makeValidator(mapping: mapping.mapping.validation, sink: sink)
        } catch {
            throw UsageError(error.description)
        }
        var clean = true
        var problems = ProblemPrinter(limit: maxProblems, sink: sink)
        var step = ValidationStep(validator)
        for file in files {
            guard let (builder, reader) = try mapping.open(file, overrides: self.reader, sink: sink) else {
                clean = false
                continue
            }
            // The mapping's JSON and XML paths against the file's first records.
            if let options = try? self.reader.readerOptions(over: mapping.mapping.readerOptions) {
                let found = PathCheck.check(mapping.mapping, file: file, options: options)
                found.forEach(sink.report)
                if found.contains(where: { $0.severity == .error }) { clean = false }
            }
            do {
                while let mapped = try builder.next() {
                    let (event, warnings) = step.apply(mapped, distinct: builder.referencesAreDistinct)
                    if let warnings { problems.report(warnings) }
                    if case .rejected(let outcome) = event { problems.report(outcome) }
                }
            } catch {
                try MappingSession.reportStop(error, sink: sink)
                clean = false
            }
            // Said once the file is read: a record path that matched nothing.
            reader.diagnostics.filter { $0.code == ReaderCode.recordPathNotFound }.forEach(sink.report)
            let stats = step.adjust(builder.stats)
            eachFile(file, stats)
            if stats.rowsRejected > 0 { clean = false }
        }
        problems.finish("raise --max-problems to see them")
        return clean
    }
}

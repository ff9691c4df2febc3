import ArgumentParser
import Pipeline
import Readers

/// Reader overrides shared by every command that reads files.
struct ReaderOptionGroup: ParsableArguments {
    @Option(help: "File format: csv, json, jsonl or xml (default: detected).")
    var format: String?

    @Option(help: "Text encoding: \(TextEncoding.acceptedNames) (default: detected).")
    var encoding: String?

    @Option(help: "CSV delimiter: ',', ';', 'tab' or '|' (default: detected).")
    var delimiter: String?

    @Option(help: "CSV: the line holding the header; lines before it are skipped. 0 for no header. (default: 1)")
    var headerLine: Int?

    @Option(help: "CSV without a header: lines to skip before the first record.")
    var skipLines: Int?

    @Option(
        name: .customLong("records"), help: "JSON: dotted path of the records' array; XML: path of the record elements."
    )
    var recordPath: String?

    @Option(name: .customLong("namespace"), help: "XML namespace prefix for paths, as prefix=uri (repeatable).")
    var namespaces: [String] = []

    @Option(help: "The largest record accepted, in bytes. (default: 1048576)")
    var maxRecordBytes: Int?

    @Option(
        help: "Threads that map and check rows; the output is the same for any number. (default: one per processor)")
    var workers: Int?

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be 1 or more") }
        do {
            _ = try overrides.readerOptions()
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The options as the pipeline takes them.
    var overrides: ReaderOverrides {
        var overrides = ReaderOverrides()
        overrides.format = format
        overrides.encoding = encoding
        overrides.delimiter = delimiter
        overrides.headerLine = headerLine
        overrides.skipLines = skipLines
        overrides.recordPath = recordPath
        overrides.namespaces = namespaces
        overrides.maxRecordBytes = maxRecordBytes
        overrides.workers = workers
        return overrides
    }
}

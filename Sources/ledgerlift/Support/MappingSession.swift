import Foundation
import LedgerModel
import Mapping
import Readers

/// Compiles a mapping and opens its input files, printing diagnostics as it goes. Shared by
/// `check`, `plan` and (later) `import`.
struct MappingSession {
    let mapping: CompiledMapping

    /// Compiles `path`; prints every diagnostic; exits 2 when the mapping is invalid.
    static func load(_ path: String, sink: some ProblemSink = TerminalSink()) throws -> MappingSession {
        let (mapping, diagnostics) = MappingCompiler.compile(path: path)
        diagnostics.forEach(sink.report)
        guard let mapping else {
            let errors = diagnostics.filter { $0.severity == .error }.count
            sink.note("\(path): \(errors) error\(errors == 1 ? "" : "s"); the mapping was not used")
            throw ExitStatus.usage
        }
        return MappingSession(mapping: mapping)
    }

    /// Opens `file` with the mapping's reader settings under the command-line overrides and binds
    /// the mapping to its columns. Prints problems; nil when the file cannot be used.
    /// Rows are mapped on `--workers` threads (one per processor by default), and `makeCheck`'s checks run there too.
    func open(
        _ file: String, overrides: ReaderOptionGroup, attachmentFolder: String? = nil,
        makeCheck: (() -> DocumentBuilder.Check)? = nil, sink: some ProblemSink = TerminalSink()
    ) throws -> (builder: DocumentBuilder, reader: any RecordReader)? {
        let options = try overrides.readerOptions(over: mapping.readerOptions)
        let reader: any RecordReader
        do {
            reader = try Readers.open(file, options: options)
        } catch let error as ReadError {
            sink.report(error.diagnostic)
            return nil
        }
        reader.diagnostics.forEach(sink.report)
        let (bound, diagnostics) = BoundMapping.bind(mapping, to: reader.source)
        diagnostics.forEach(sink.report)
        guard let bound else { return nil }
        let builder = try DocumentBuilder(
            bound, reader: reader, attachmentFolder: attachmentFolder, workers: overrides.workers ?? Self.workers,
            makeCheck: makeCheck)
        return (builder, reader)
    }

    /// Threads that map rows: one per processor.
    static let workers = ProcessInfo.processInfo.activeProcessorCount

    /// Prints an error that stopped a file (unreadable input, a full group buffer) and returns;
    /// anything else is thrown on.
    static func reportStop(_ error: any Error, sink: some ProblemSink = TerminalSink()) throws {
        switch error {
        case let error as ReadError: sink.report(error.diagnostic)
        case let error as MappingError: error.diagnostics.forEach(sink.report)
        default: throw error
        }
    }
}

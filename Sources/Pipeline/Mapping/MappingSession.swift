import Foundation
import LedgerModel
public import Mapping
public import Readers

/// A compiled mapping, and its input files opened with it: shared by `check`, `plan`, `import`
/// and the inbox.
public struct MappingSession: Sendable {
    public let mapping: CompiledMapping
    /// The mapping file's path as given.
    public let path: String

    /// Compiles `path`; reports every diagnostic; nil when the mapping cannot be used.
    public static func load(_ path: String, sink: some ProblemSink) -> MappingSession? {
        let (mapping, diagnostics) = MappingCompiler.compile(path: path)
        diagnostics.forEach(sink.report)
        guard let mapping else {
            let errors = diagnostics.filter { $0.severity == .error }.count
            sink.note("\(path): \(errors) error\(errors == 1 ? "" : "s"); the mapping was not used")
            return nil
        }
        return MappingSession(mapping: mapping, path: path)
    }

    /// Opens `file` with the mapping's reader settings under `overrides` and binds the mapping to
    /// its columns. Reports problems; nil when the file cannot be used. Rows are mapped on
    /// `overrides.workers` threads (one per processor by default), and `makeCheck`'s checks run there too.
    public func open(
        _ file: String, overrides: ReaderOverrides, attachmentFolder: String? = nil,
        makeCheck: (() -> DocumentBuilder.Check)? = nil, sink: some ProblemSink
    ) throws -> (builder: DocumentBuilder, reader: any RecordReader)? {
        let options: ReaderOptions
        do {
            options = try overrides.readerOptions(over: mapping.readerOptions)
        } catch {
            sink.error(error.description)
            return nil
        }
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
    public static let workers = ProcessInfo.processInfo.activeProcessorCount

    /// Reports an error that stopped a file (unreadable input, a full group buffer) and
    /// returns; anything else is thrown on.
    public static func reportStop(_ error: any Error, sink: some ProblemSink) throws {
        switch error {
        case let error as ReadError: sink.report(error.diagnostic)
        case let error as MappingError: error.diagnostics.forEach(sink.report)
        default: throw error
        }
    }
}

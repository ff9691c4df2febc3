import LedgerModel
import Mapping
import Readers

/// Compiles a mapping and opens its input files, printing diagnostics as it goes. Shared by
/// `check`, `plan` and (later) `import`.
struct MappingSession {
    let mapping: CompiledMapping

    /// Compiles `path`; prints every diagnostic; exits 2 when the mapping is invalid.
    static func load(_ path: String) throws -> MappingSession {
        let (mapping, diagnostics) = MappingCompiler.compile(path: path)
        diagnostics.forEach(Console.report)
        guard let mapping else {
            let errors = diagnostics.filter { $0.severity == .error }.count
            Console.err("\(path): \(errors) error\(errors == 1 ? "" : "s"); the mapping was not used")
            throw ExitStatus.usage
        }
        return MappingSession(mapping: mapping)
    }

    /// Opens `file` with the mapping's reader settings under the command-line overrides and binds
    /// the mapping to its columns. Prints problems; nil when the file cannot be used.
    func open(
        _ file: String, overrides: ReaderOptionGroup
    ) throws -> (builder: DocumentBuilder, reader: any RecordReader)? {
        let options = try overrides.readerOptions(over: mapping.readerOptions)
        let reader: any RecordReader
        do {
            reader = try Readers.open(file, options: options)
        } catch let error as ReadError {
            Console.report(error.diagnostic)
            return nil
        }
        reader.diagnostics.forEach(Console.report)
        let (bound, diagnostics) = BoundMapping.bind(mapping, to: reader.source)
        diagnostics.forEach(Console.report)
        guard let bound else { return nil }
        return (try DocumentBuilder(bound, reader: reader), reader)
    }

    /// Prints an error that stopped a file (unreadable input, a full group buffer) and returns;
    /// anything else is thrown on.
    static func reportStop(_ error: any Error) throws {
        switch error {
        case let error as ReadError: Console.report(error.diagnostic)
        case let error as MappingError: error.diagnostics.forEach(Console.report)
        default: throw error
        }
    }
}

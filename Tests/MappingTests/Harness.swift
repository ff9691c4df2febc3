import Foundation
import LedgerModel
import Readers
import Testing

@testable import Mapping

/// Compiles and runs mappings against small files written for each test.
struct Harness {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ledgerlift-mapping-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func cleanup() { try? FileManager.default.removeItem(at: directory) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func compile(_ yaml: String) throws -> (mapping: CompiledMapping?, diagnostics: [Diagnostic]) {
        let path = try write("mapping.yaml", yaml)
        return MappingCompiler.compile(path: path)
    }

    /// Maps `data` (written as `file`) and returns every event; fails the test on mapping errors.
    func run(
        _ yaml: String, data: String, file: String = "in.csv", options: ReaderOptions? = nil
    ) throws -> [MappingEvent] {
        let (mapping, diagnostics) = try compile(yaml)
        guard let mapping else {
            Issue.record("mapping did not compile: \(diagnostics)")
            return []
        }
        let path = try write(file, data)
        let reader = try Readers.open(path, options: options ?? mapping.readerOptions)
        let (bound, bindDiagnostics) = BoundMapping.bind(mapping, to: reader.source)
        guard let bound else {
            Issue.record("mapping did not bind: \(bindDiagnostics)")
            return []
        }
        let builder = try DocumentBuilder(bound, reader: reader)
        var events: [MappingEvent] = []
        while let event = try builder.next() { events.append(event) }
        return events
    }
}

extension MappingEvent {
    var document: Document? {
        if case .document(let document) = self { return document }
        return nil
    }

    var rejected: RowOutcome? {
        if case .rejected(let outcome) = self { return outcome }
        return nil
    }

    var skipped: RowOutcome? {
        if case .skipped(let outcome) = self { return outcome }
        return nil
    }
}

extension Array where Element == MappingEvent {
    var documents: [Document] { compactMap(\.document) }
    var rejections: [RowOutcome] { compactMap(\.rejected) }
    var skips: [RowOutcome] { compactMap(\.skipped) }
}

/// A mapping of one ledger item per CSV row with the given line, for expression tests.
func lineMapping(
    amount: String = "\"{amount}\"", description: String = "\"{text}\"", extra: String = "", locale: String = "",
    document: String = ""
) -> String {
    """
    version: 1
    name: test
    source: { format: csv, delimiter: ";" }
    \(locale.isEmpty ? "locale: { decimal_mark: \",\", thousands_separator: \".\", date_format: dd-mm-yyyy }" : locale)
    \(extra)
    document:
      kind: ledger_item
      date: "{date}"
    \(document)
      lines:
        - account: 1000
          balancing_account: 5500
          amount: \(amount)
          description: \(description)
          vat: none
          balancing_vat: none
    """
}

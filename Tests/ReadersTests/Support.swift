import Foundation
import LedgerModel
import Testing

@testable import Readers

/// Fixture files shipped with the tests.
enum Fixture {
    static func path(_ name: String) -> String {
        guard let root = Bundle.module.resourceURL?.appendingPathComponent("Fixtures") else {
            fatalError("test resources are missing")
        }
        return root.appendingPathComponent(name).path
    }
}

/// Reads every record of a file.
func readAll(
    _ path: String, _ options: ReaderOptions = ReaderOptions()
) throws -> (
    reader: any RecordReader, records: [Record]
) {
    let reader = try Readers.open(path, options: options)
    var records: [Record] = []
    while let record = try reader.next() { records.append(record) }
    return (reader, records)
}

/// The error thrown by reading a file to its end, or nil.
func readError(_ path: String, _ options: ReaderOptions = ReaderOptions()) -> ReadError? {
    do {
        _ = try readAll(path, options)
        return nil
    } catch let error as ReadError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

/// A fresh temporary directory, removed by the caller with `cleanup()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ledgerlift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }

    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

extension Record {
    /// The row's fields as strings, for CSV records.
    var values: [String] {
        guard case .columns(let columns) = fields else { return [] }
        return (0..<columns.count).map { columns.string(at: $0) ?? "" }
    }

    func value(_ path: String) -> String? {
        let separator: Character = source.format == .xml ? "/" : "."
        return string(at: try! FieldPath(path, separator: separator))
    }
}

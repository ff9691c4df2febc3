import ArgumentParser
import Foundation
import LedgerModel
import Pipeline
import Readers

/// `ledgerlift inspect FILE`: what the reader sees.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what the reader sees in a file: format, encoding, columns, records and problems.",
        discussion: "Exit codes: 0 clean; 1 some records have problems; 2 the file cannot be read."
    )

    @Argument(help: "The file to read.")
    var file: String

    @OptionGroup var reader: ReaderOptionGroup

    @Option(name: .customLong("show"), help: "How many records to show.")
    var show: Int = 10

    @Flag(help: "Print machine-readable JSON on stdout.")
    var json = false

    func run() throws {
        let options = try reader.overrides.readerOptions()
        let inspection: Inspection
        do {
            inspection = try Inspection.inspect(file, options: options, sampleSize: max(0, show))
        } catch let error as ReadError {
            Console.report(error.diagnostic)
            throw ExitStatus.usage
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Console.out(String(decoding: try encoder.encode(inspection), as: UTF8.self))
        } else {
            Console.out(InspectionText.render(inspection))
        }
        for diagnostic in inspection.diagnostics {
            Console.report(diagnostic)
        }
        if inspection.diagnosticCount > inspection.diagnostics.count {
            Console.err("… and \(inspection.diagnosticCount - inspection.diagnostics.count) more problems")
        }
        if inspection.stoppedBy != nil { throw ExitStatus.usage }
        if inspection.recordsWithErrors > 0 { throw ExitStatus.rowsFailed }
    }
}

/// The human-readable form of an inspection.
enum InspectionText {
    static func render(_ inspection: Inspection) -> String {
        var lines: [String] = [inspection.file]
        func row(_ label: String, _ value: String, _ decision: String? = nil) {
            let why = decision.map { " (\($0))" } ?? ""
            lines.append("  " + label.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + value + why)
        }
        row("format", inspection.format.rawValue, inspection.decisions["format"])
        row("encoding", inspection.encoding.rawValue, inspection.decisions["encoding"])
        if let delimiter = inspection.delimiter {
            row("delimiter", delimiter == "TAB" ? "TAB" : "\"\(delimiter)\"", inspection.decisions["delimiter"])
        }
        if inspection.format == .csv {
            row("header", inspection.headerLine.map { "line \($0)" } ?? "none")
        }
        if let path = inspection.recordPath {
            row("records at", path.isEmpty ? "(top level)" : path, inspection.decisions["records"])
        }
        let problems = inspection.recordsWithErrors > 0 ? ", \(inspection.recordsWithErrors) with errors" : ""
        row("records", "\(inspection.recordCount)\(problems)")
        let label = inspection.format == .csv ? "columns" : "fields"
        row(label, "\(inspection.fields.count)")
        for (i, name) in inspection.fields.enumerated() {
            lines.append("    " + (inspection.format == .csv ? "#\(i + 1) " : "") + name)
        }
        if !inspection.sample.isEmpty {
            lines.append("")
            lines.append("first \(inspection.sample.count) record\(inspection.sample.count == 1 ? "" : "s"):")
            if inspection.format == .csv {
                lines.append(contentsOf: table(inspection))
            } else {
                for record in inspection.sample {
                    lines.append("  #\(record.number) line \(record.line)" + (record.element.map { " \($0)" } ?? ""))
                    let width = min(40, record.fields.map(\.name.count).max() ?? 0)
                    for field in record.fields {
                        lines.append(
                            "    " + field.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                                + clip(field.value, 60))
                    }
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func table(_ inspection: Inspection) -> [String] {
        var header = ["#", "line"] + inspection.fields
        let rows = inspection.sample.map { record in
            ["\(record.number)", "\(record.line)"] + record.fields.map { clip($0.value, 24) }
        }
        let columns = max(header.count, rows.map(\.count).max() ?? 0)
        while header.count < columns { header.append("column \(header.count - 1)") }
        header = header.map { clip($0, 24) }
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func format(_ cells: [String]) -> String {
            "  "
                + cells.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingTrailingSpaces
        }
        return [format(header)] + rows.map(format)
    }

    /// Shortens long values and makes line breaks visible.
    static func clip(_ text: String, _ limit: Int) -> String {
        let flat = text.replacingOccurrences(of: "\r\n", with: "⏎").replacingOccurrences(of: "\n", with: "⏎")
        return flat.count <= limit ? flat : String(flat.prefix(limit - 1)) + "…"
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}

public import LedgerModel
public import Readers

/// A compiled mapping bound to one file: every field it reads resolved to a column index or a
/// path, once, so evaluating a row never looks a name up.
public struct BoundMapping: Sendable {
    public let mapping: CompiledMapping
    public let source: SourceFile
    let resolved: [ResolvedField]

    enum ResolvedField: Sendable {
        case column(Int)
        /// A path; in a `for_each` line it is tried in the group item first, then in the record.
        case path(FieldPath, inGroup: Bool)
        /// A field outside the record (``ContextPath``): the record's context value at this index.
        case context(Int)
        /// `_record`: the whole row, its fields joined with commas (hledger's `if PATTERN`).
        case wholeRecord
    }

    /// Binds `mapping` to the layout `source` was read with. Unknown columns are errors that name
    /// the mapping's line and list the file's columns.
    public static func bind(
        _ mapping: CompiledMapping, to source: SourceFile
    ) -> (
        mapping: BoundMapping?, diagnostics: [Diagnostic]
    ) {
        var diagnostics: [Diagnostic] = []
        var resolved: [ResolvedField] = []
        for slot in mapping.fields {
            if slot.name == "_record" {
                resolved.append(.wholeRecord)
                continue
            }
            if ContextPath.isContext(slot.name) {
                resolved.append(context(slot, mapping, source, &diagnostics))
                continue
            }
            switch source.format {
            case .csv:
                if slot.inGroup {
                    diagnostics.append(
                        .error(
                            MappingCode.wrongType, "`for_each` needs JSON or XML records; \(source.path) is CSV",
                            hint: "for CSV, write one line per column, or group rows with group_by", at: slot.location))
                }
                if let index = columnIndex(slot.name, in: source) {
                    resolved.append(.column(index))
                } else {
                    diagnostics.append(unknownColumn(slot, source))
                    resolved.append(.column(-1))
                }
            case .json, .jsonLines, .xml:
                let separator: Character = source.format == .xml ? "/" : "."
                do {
                    let path = try FieldPath(
                        slot.name, separator: separator, namespaces: mapping.readerOptions.namespaces)
                    resolved.append(.path(path, inGroup: slot.inGroup))
                } catch {
                    diagnostics.append(.error(MappingCode.invalidValue, "\(error)", at: slot.location))
                    resolved.append(.column(-1))
                }
            }
        }
        let failed = diagnostics.contains { $0.severity == .error }
        return (failed ? nil : BoundMapping(mapping: mapping, source: source, resolved: resolved), diagnostics)
    }

    /// A field outside the record: checked against the file's record path, read by the reader.
    private static func context(
        _ slot: CompiledMapping.FieldSlot, _ mapping: CompiledMapping, _ source: SourceFile,
        _ diagnostics: inout [Diagnostic]
    ) -> ResolvedField {
        guard source.format == .xml || source.format == .json else {
            diagnostics.append(
                .error(
                    MappingCode.wrongType,
                    "`\(slot.name)` reads outside the record, which \(source.format == .csv ? "a CSV row" : "a JSON Lines record") does not have",
                    hint: "paths from the root (`/…`) and up from the record (`../…`) are for JSON and XML files",
                    at: slot.location))
            return .column(-1)
        }
        if source.format == .json, slot.name.hasPrefix("../"), mapping.readerOptions.recordPath == nil {
            diagnostics.append(
                .error(
                    MappingCode.invalidValue,
                    "`\(slot.name)` climbs from the record, but the mapping does not say where the records are",
                    hint: "name the array of records under `source:` (`records: data.transactions`)",
                    at: slot.location))
            return .column(-1)
        }
        let separator: Character = source.format == .xml ? "/" : "."
        let record = source.recordPath ?? ""
        let recordSteps: [FieldPath.Step]?
        if record.hasPrefix("//") || record == "$" {
            recordSteps = nil
        } else {
            recordSteps = try? FieldPath(record, separator: separator, namespaces: mapping.readerOptions.namespaces)
                .steps
        }
        do throws(ContextPath.ResolveError) {
            _ = try ContextPath.resolve(
                slot.name, recordSteps: recordSteps, separator: separator,
                namespaces: mapping.readerOptions.namespaces)
        } catch {
            diagnostics.append(.error(MappingCode.invalidValue, error.description, at: slot.location))
            return .column(-1)
        }
        return .context(mapping.readerOptions.contextPaths.firstIndex(of: slot.name) ?? -1)
    }

    /// `#3` is the third column; otherwise the header name (exact, then ignoring case and spaces).
    static func columnIndex(_ name: String, in source: SourceFile) -> Int? {
        if name.hasPrefix("#"), let n = Int(name.dropFirst()), n >= 1 {
            return source.columns.isEmpty || n <= source.columns.count ? n - 1 : nil
        }
        return source.columnIndex(named: name)
    }

    private static func unknownColumn(_ slot: CompiledMapping.FieldSlot, _ source: SourceFile) -> Diagnostic {
        if source.columns.isEmpty {
            return .error(
                MappingCode.unknownColumn, "`\(slot.name)`: \(source.path) has no header, so columns have no names",
                hint: "refer to columns by position, #1, #2, …", at: slot.location)
        }
        if slot.name.hasPrefix("#") {
            return .error(
                MappingCode.unknownColumn, "`\(slot.name)`: \(source.path) has \(source.columns.count) columns",
                at: slot.location)
        }
        let listed = source.columns.prefix(30).map { "\"\($0)\"" }.joined(separator: ", ")
        let close = suggestion(for: slot.name, among: source.columns).map { "did you mean \"\($0)\"? " } ?? ""
        return .error(
            MappingCode.unknownColumn, "no column \"\(slot.name)\" in \(source.path)",
            hint: "\(close)its columns: \(listed)", at: slot.location)
    }
}

public import LedgerModel
public import Readers

/// The JSON and XML paths a mapping reads, compared with what a file's first records hold, so a
/// misspelt path (`DebitAmount/Amonut`) is caught at `check` rather than read as empty on every
/// row, and a path that reaches several values (a second `Ustrd` line) is not silently cut to
/// its first.
public enum PathCheck {
    /// How many records are looked at.
    public static let sampleSize = 200

    /// What the first ``sampleSize`` records of `file` say about the mapping's paths:
    /// - a path that reaches nothing in any of them and is within two edits of one that does: an
    ///   error (M012) with "did you mean";
    /// - one that reaches nothing, with no near miss: a warning (M012), as it may be optional;
    /// - one outside `for_each` that reaches more than one value in a record: a warning (M013)
    ///   saying which is used and how to read the others.
    public static func check(_ mapping: CompiledMapping, file: String, options: ReaderOptions) -> [Diagnostic] {
        guard let reader = try? Readers.open(file, options: options),
            reader.source.format == .json || reader.source.format == .xml,
            let bound = BoundMapping.bind(mapping, to: reader.source).mapping
        else { return [] }
        var records: [Record] = []
        while records.count < sampleSize, let record = try? reader.next() { records.append(record) }
        guard !records.isEmpty else { return [] }
        let separator = reader.source.format == .xml ? "/" : "."
        var diagnostics: [Diagnostic] = []
        var known: [String]?
        for (slot, field) in zip(mapping.fields, bound.resolved) {
            switch field {
            case .column, .wholeRecord:
                continue
            case .context(let index):
                if records.contains(where: { record in
                    guard case .tree(let tree) = record.fields else { return false }
                    return tree.context.indices.contains(index) && tree.context[index] != nil
                }) {
                    continue
                }
                diagnostics.append(
                    .warning(
                        MappingCode.pathMatchesNothing,
                        "`\(slot.name)` has no value before any of the first \(records.count) records of \(file)",
                        hint:
                            "a value outside the record is read only when it comes before the record in the file; `ledgerlift inspect` shows the paths",
                        at: slot.location))
            case .path(let path, let inGroup):
                var reached = false
                var repeated: (record: Int, count: Int)?
                for record in records {
                    guard case .tree(let tree) = record.fields else { continue }
                    if inGroup {
                        // Relative to a `for_each` item: any node of the record may be one.
                        reached = reached || tree.nodes.indices.contains { !tree.nodes(at: path, from: $0).isEmpty }
                    } else {
                        let nodes = tree.nodes(at: path)
                        reached = reached || !nodes.isEmpty
                        if nodes.count > 1, repeated == nil, !path.steps.contains(where: { $0.index != nil }) {
                            repeated = (record.number, nodes.count)
                        }
                    }
                    if reached && (inGroup || repeated != nil) { break }
                }
                if let repeated {
                    diagnostics.append(
                        .warning(
                            MappingCode.pathRepeats,
                            "`\(slot.name)` reaches \(repeated.count) values in record \(repeated.record) of \(file); only the first is read",
                            hint:
                                "pick one with an index (`\(indexed(path, separator: separator))`), join them (`{ join: \"{\(slot.name)}\" }`), or make a line of each with `for_each`",
                            at: slot.location))
                }
                guard !reached else { continue }
                if known == nil { known = paths(in: records, separator: separator) }
                let candidates = inGroup ? suffixes(known!, separator: separator) : known!
                if let close = suggestion(for: slot.name, among: candidates) {
                    diagnostics.append(
                        .error(
                            MappingCode.pathMatchesNothing,
                            "`\(slot.name)` matches nothing in the first \(records.count) records of \(file)",
                            hint: "did you mean `\(close)`?", at: slot.location))
                } else {
                    diagnostics.append(
                        .warning(
                            MappingCode.pathMatchesNothing,
                            "`\(slot.name)` matches nothing in the first \(records.count) records of \(file)",
                            hint:
                                "check the path (`ledgerlift inspect` lists them); an optional field may simply be absent",
                            at: slot.location))
                }
            }
        }
        return diagnostics
    }

    /// Every path the records hold, without positions (`Line/Amount`, not `Line[2]/Amount`).
    static func paths(in records: [Record], separator: String) -> [String] {
        var seen: Set<String> = []
        var ordered: [String] = []
        for record in records {
            for (name, _) in record.flattened() {
                let plain = name.replacing(/\[[0-9]+\]/, with: "")
                if seen.insert(plain).inserted { ordered.append(plain) }
            }
        }
        return ordered
    }

    /// Each path's tails (`Line/Amount` → `Amount` too): what a `for_each` item's paths look like.
    static func suffixes(_ paths: [String], separator: String) -> [String] {
        var out: Set<String> = []
        for path in paths {
            let parts = path.split(separator: Character(separator))
            for start in parts.indices { out.insert(parts[start...].joined(separator: separator)) }
        }
        return out.sorted()
    }

    static func indexed(_ path: FieldPath, separator: String) -> String {
        guard let last = path.steps.last else { return path.description }
        let base = path.steps.dropLast().map(\.name) + [last.name]
        return base.joined(separator: separator) + (separator == "/" ? "[2]" : "[1]")
    }
}

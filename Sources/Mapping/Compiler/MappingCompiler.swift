import Foundation
public import LedgerModel
import Readers
import Yams

/// Compiles mapping files. Every problem is collected, not just the first, each with its
/// `file:line:column` in the mapping, what is wrong and what is allowed.
public enum MappingCompiler {
    /// The newest mapping file version this build reads.
    public static let supportedVersion = 1

    /// Compiles the mapping at `path`. Returns the mapping when there are no errors, and every
    /// diagnostic (warnings too).
    public static func compile(path: String) -> (mapping: CompiledMapping?, diagnostics: [Diagnostic]) {
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            text = String(decoding: data, as: UTF8.self)
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            return (
                nil,
                [
                    .error(
                        MappingCode.cannotRead, exists ? "cannot read the mapping file" : "no such mapping file",
                        hint: "check the path; mappings live in mappings/", at: SourceLocation(file: path))
                ]
            )
        }
        return compile(yaml: text, path: path)
    }

    /// Compiles mapping text; `path` names it in diagnostics and anchors relative lookup files.
    public static func compile(yaml: String, path: String) -> (mapping: CompiledMapping?, diagnostics: [Diagnostic]) {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                return (
                    nil, [.error(MappingCode.yamlSyntax, "the mapping file is empty", at: SourceLocation(file: path))]
                )
            }
            root = node
        } catch let error as YamlError {
            return (nil, [yamlDiagnostic(error, path: path)])
        } catch {
            return (nil, [.error(MappingCode.yamlSyntax, "\(error)", at: SourceLocation(file: path))])
        }
        let compiler = Compiler(path: path)
        let mapping = compiler.compileRoot(root)
        let hasErrors = compiler.diagnostics.contains { $0.severity == .error }
        return (hasErrors ? nil : mapping, compiler.diagnostics)
    }

    static func yamlDiagnostic(_ error: YamlError, path: String) -> Diagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return .error(
                MappingCode.yamlSyntax, "YAML syntax: \(problem)", hint: "check indentation and quoting here",
                at: SourceLocation(file: path, line: mark.line, column: mark.column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            return .error(
                MappingCode.yamlSyntax, "the key \(duplicates.map { "`\($0)`" }.joined(separator: ", ")) appears twice",
                hint: "keep one", at: SourceLocation(file: path, line: context.mark.line, column: context.mark.column))
        default:
            return .error(MappingCode.yamlSyntax, "YAML: \(error)", at: SourceLocation(file: path))
        }
    }
}

/// One compilation: the diagnostics so far and the names registered.
final class Compiler {
    let path: String
    private(set) var diagnostics: [Diagnostic] = []
    private var fields: [CompiledMapping.FieldSlot] = []
    private var fieldIndex: [CompiledMapping.FieldSlot: Int] = [:]
    private var variables: [CompiledMapping.Variable] = []
    private var variableIndex: [String: Int] = [:]
    /// Variable references, checked once every `set:` is known.
    private var variableUses: [(name: String, location: SourceLocation)] = []
    private var lookups: [CompiledMapping.LookupTable] = []
    private var lookupIndex: [String: Int] = [:]
    private var lookupUses: [(name: String, location: SourceLocation)] = []
    private var locale = CompiledMapping.Locale(amountFormat: .plain, dateFormat: nil, currency: .dkk)
    /// True while compiling a `for_each` line: fields are looked up in the group item first.
    private var inGroup = false

    init(path: String) { self.path = path }

    // MARK: Diagnostics

    func location(_ node: Node) -> SourceLocation {
        SourceLocation(file: path, line: node.mark?.line, column: node.mark?.column)
    }

    func error(_ code: DiagnosticCode, _ message: String, hint: String? = nil, at node: Node) {
        diagnostics.append(.error(code, message, hint: hint, at: location(node)))
    }

    func warning(_ code: DiagnosticCode, _ message: String, hint: String? = nil, at node: Node) {
        diagnostics.append(.warning(code, message, hint: hint, at: location(node)))
    }

    /// The pairs of a mapping node, reporting keys outside `allowed` (with a suggestion).
    func pairs(_ node: Node, allowed: [String], in context: String) -> [String: (key: Node, value: Node)] {
        guard let pairs = node.pairs else {
            error(
                MappingCode.wrongType, "`\(context)` must be a mapping (key: value lines), not \(node.kindName)",
                at: node)
            return [:]
        }
        var out: [String: (key: Node, value: Node)] = [:]
        for pair in pairs {
            if allowed.contains(pair.key) {
                out[pair.key] = (pair.keyNode, pair.value)
            } else {
                let hint = suggestion(for: pair.key, among: allowed).map { "did you mean `\($0)`?" }
                error(
                    MappingCode.unknownKey, "unknown key `\(pair.key)` in `\(context)`",
                    hint: hint ?? "allowed: \(allowed.joined(separator: ", "))", at: pair.keyNode)
            }
        }
        return out
    }

    func string(_ node: Node, _ context: String) -> String? {
        guard let text = node.text, !node.isNull else {
            error(MappingCode.wrongType, "`\(context)` must be a single value, not \(node.kindName)", at: node)
            return nil
        }
        return text
    }

    func integer(_ node: Node, _ context: String, range: ClosedRange<Int>) -> Int? {
        guard let text = string(node, context) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            error(
                MappingCode.invalidValue,
                "`\(context)` must be a whole number from \(range.lowerBound) to \(range.upperBound)",
                at: node)
            return nil
        }
        return value
    }

    func boolean(_ node: Node, _ context: String) -> Bool? {
        guard let text = string(node, context) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            error(MappingCode.invalidValue, "`\(context)` must be true or false", at: node)
            return nil
        }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ node: Node, _ context: String, _ type: T.Type) -> T?
    where T.RawValue == String {
        guard let text = string(node, context) else { return nil }
        if let value = T(rawValue: text) ?? T.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) {
            return value
        }
        let allowed = T.allCases.map(\.rawValue)
        let hint = suggestion(for: text, among: allowed).map { "did you mean `\($0)`?" }
        error(
            MappingCode.invalidValue, "`\(context)` cannot be `\(text)`",
            hint: hint ?? "allowed: \(allowed.joined(separator: ", "))", at: node)
        return nil
    }

    // MARK: Root

    static let rootKeys = [
        "version", "name", "description", "source", "locale", "lookups", "variables", "rules", "skip", "document",
        "validation", "contacts", "control_totals",
    ]

    func compileRoot(_ root: Node) -> CompiledMapping? {
        let top = pairs(root, allowed: Self.rootKeys, in: "the mapping")
        guard root.pairs != nil else { return nil }
        if let version = top["version"] {
            if let number = Int(version.value.text ?? "") {
                if number > MappingCompiler.supportedVersion {
                    error(
                        MappingCode.version,
                        "this mapping is version \(number); this build reads up to version \(MappingCompiler.supportedVersion)",
                        hint: "upgrade ledgerlift", at: version.value)
                } else if number < 1 {
                    error(MappingCode.version, "the version must be 1", at: version.value)
                }
            } else {
                error(MappingCode.version, "`version` must be a number (1)", at: version.value)
            }
        } else {
            error(MappingCode.version, "the mapping has no `version:`", hint: "start it with `version: 1`", at: root)
        }
        let fileName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let name = top["name"].flatMap { string($0.value, "name") } ?? fileName
        let description = top["description"].flatMap { string($0.value, "description") }
        var readerOptions = top["source"].map { compileSource($0.value) } ?? ReaderOptions()
        var validation = top["validation"].map { compileValidation($0.value) } ?? ValidationSettings()
        if let node = top["contacts"] {
            validation.contacts = choice(node.value, "contacts", ContactPolicy.self)
        }
        if let node = top["locale"] { compileLocale(node.value) }
        if let trim = top["source"]?.value.pairs?.first(where: { $0.key == "trim" }) {
            locale.keepsSpaces = boolean(trim.value, "source.trim") == false
        }
        if let node = top["lookups"] { compileLookups(node.value) }
        if let node = top["variables"] { compileVariables(node.value) }
        // Rules may set variables that `variables:` did not declare; declare them before use.
        if let node = top["rules"] { declareRuleVariables(node.value) }
        let rules = top["rules"].map { compileRules($0.value) } ?? []
        let skips = top["skip"].map { compileSkips($0.value) } ?? []
        var document: CompiledMapping.DocumentSpec?
        if let node = top["document"] {
            document = compileDocument(node.value)
        } else {
            error(
                MappingCode.missingKey, "the mapping has no `document:`", hint: "say which document each row makes",
                at: root)
        }
        // Before the fields are listed: the totals read fields of their own.
        let controls = top["control_totals"].flatMap { compileControls($0.value) }
        checkNames()
        guard let document else { return nil }
        // Fields outside the record: the reader keeps their values while it streams.
        var contextPaths: [String] = []
        for slot in fields where ContextPath.isContext(slot.name) && !contextPaths.contains(slot.name) {
            contextPaths.append(slot.name)
        }
        readerOptions.contextPaths = contextPaths
        // A header-less CSV row must reach the last column the mapping reads by position.
        readerOptions.minimumFields = fields.compactMap { $0.name.hasPrefix("#") ? Int($0.name.dropFirst()) : nil }
            .max()
        validation.namesContacts = document.purchase?.contact != nil
        return CompiledMapping(
            name: name, path: path, description: description, readerOptions: readerOptions, kind: document.kind,
            locale: locale, fields: fields, variables: variables, lookups: lookups, rules: rules, skips: skips,
            document: document, validation: validation, controls: controls)
    }

    static let controlKeys = ["debit", "credit", "count", "balance", "read_from"]

    /// `control_totals: {debit:, credit:, count:, balance: {account:, opening:, closing:}}`.
    func compileControls(_ node: Node) -> CompiledMapping.ControlSpec? {
        let keys = pairs(node, allowed: Self.controlKeys, in: "control_totals")
        guard node.pairs != nil else { return nil }
        var spec = CompiledMapping.ControlSpec(location: location(node))
        if let from = keys["read_from"] {
            switch from.value.text {
            case "first": spec.fromLast = false
            case "last": spec.fromLast = true
            default:
                error(
                    MappingCode.invalidValue,
                    "`control_totals.read_from` is `first` (the header, the default) or `last` (a trailer row)",
                    at: from.value)
            }
        }
        spec.debit = keys["debit"].flatMap { expression($0.value, .amount, "control_totals.debit") }
        spec.credit = keys["credit"].flatMap { expression($0.value, .amount, "control_totals.credit") }
        spec.count = keys["count"].flatMap { expression($0.value, .text, "control_totals.count") }
        if let balance = keys["balance"] {
            let parts = pairs(balance.value, allowed: ["account", "opening", "closing"], in: "control_totals.balance")
            if let account = parts["account"].flatMap({ expression($0.value, .text, "control_totals.balance.account") }
            ),
                let opening = parts["opening"].flatMap({
                    expression($0.value, .amount, "control_totals.balance.opening")
                }),
                let closing = parts["closing"].flatMap({
                    expression($0.value, .amount, "control_totals.balance.closing")
                })
            {
                spec.balance = (account, opening, closing)
            } else {
                error(
                    MappingCode.missingKey, "`control_totals.balance` needs `account`, `opening` and `closing`",
                    at: balance.value)
            }
        }
        if spec.debit == nil, spec.credit == nil, spec.count == nil, spec.balance == nil {
            error(
                MappingCode.missingKey, "`control_totals` needs at least one of debit, credit, count or balance",
                at: node)
            return nil
        }
        return spec
    }

    // MARK: validation

    static let validationKeys = [
        "reference", "vat_model", "future_days", "allow_zero_lines", "strict", "locked_before",
    ]

    /// Validation settings the mapping carries, so a nightly job needs no flags. Paths are
    /// resolved against the mapping's folder.
    func compileValidation(_ node: Node) -> ValidationSettings {
        var settings = ValidationSettings()
        let keys = pairs(node, allowed: Self.validationKeys, in: "validation")
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        func file(_ key: String) -> String? {
            guard let value = keys[key], let text = string(value.value, "validation.\(key)") else { return nil }
            return text.hasPrefix("/") ? text : folder.appendingPathComponent(text).standardizedFileURL.path
        }
        settings.reference = file("reference")
        settings.vatModel = file("vat_model")
        settings.futureDays = keys["future_days"].flatMap {
            integer($0.value, "validation.future_days", range: 0...3660)
        }
        settings.allowZeroLines = keys["allow_zero_lines"].flatMap { boolean($0.value, "validation.allow_zero_lines") }
        settings.strict = keys["strict"].flatMap { boolean($0.value, "validation.strict") }
        if let value = keys["locked_before"], let text = string(value.value, "validation.locked_before") {
            if let date = LocalDate(iso: text) {
                settings.lockedBefore = date
            } else {
                error(
                    MappingCode.invalidValue, "`validation.locked_before` is a date like 2026-01-01, not `\(text)`",
                    at: value.value)
            }
        }
        return settings
    }

    private func checkNames() {
        for use in variableUses where !declaredVariables.contains(use.name) {
            let hint = suggestion(for: use.name, among: Array(declaredVariables)).map { "did you mean `$\($0)`?" }
            diagnostics.append(
                .error(
                    MappingCode.unknownName, "unknown variable `$\(use.name)`",
                    hint: hint ?? "declare it under `variables:` or set it in `rules:`", at: use.location))
        }
        for use in lookupUses where lookupIndex[use.name] == nil {
            let hint = suggestion(for: use.name, among: Array(lookupIndex.keys)).map { "did you mean `\($0)`?" }
            diagnostics.append(
                .error(
                    MappingCode.unknownName, "unknown lookup table `\(use.name)`",
                    hint: hint ?? "define it under `lookups:`", at: use.location))
        }
    }

    // MARK: source and locale

    static let sourceKeys = [
        "format", "encoding", "delimiter", "header_line", "skip_lines", "records", "namespaces", "max_record_bytes",
        "trim",
    ]

    func compileSource(_ node: Node) -> ReaderOptions {
        var options = ReaderOptions()
        let keys = pairs(node, allowed: Self.sourceKeys, in: "source")
        if let format = keys["format"], let text = string(format.value, "source.format") {
            if let parsed = SourceFormat(name: text) {
                options.format = parsed
            } else {
                error(
                    MappingCode.invalidValue, "`source.format` cannot be `\(text)`",
                    hint: "use csv, json, jsonl or xml", at: format.value)
            }
        }
        if let encoding = keys["encoding"], let text = string(encoding.value, "source.encoding") {
            if let parsed = TextEncoding(name: text) {
                options.encoding = parsed
            } else {
                error(
                    MappingCode.invalidValue, "unknown encoding `\(text)`", hint: "use \(TextEncoding.acceptedNames)",
                    at: encoding.value)
            }
        }
        if let delimiter = keys["delimiter"], let text = string(delimiter.value, "source.delimiter") {
            switch text.lowercased() {
            case "tab", "\t", "\\t": options.delimiter = 0x09
            case let d where d.utf8.count == 1 && d.utf8.first! < 0x80 && d != "\"": options.delimiter = d.utf8.first!
            default:
                error(
                    MappingCode.invalidValue, "`source.delimiter` must be one ASCII character or `tab`",
                    at: delimiter.value)
            }
        }
        if let line = keys["header_line"], let n = integer(line.value, "source.header_line", range: 0...10_000) {
            options.headerLine = n
        }
        if let skip = keys["skip_lines"], let n = integer(skip.value, "source.skip_lines", range: 0...10_000) {
            options.skipLines = n
        }
        if let records = keys["records"] { options.recordPath = string(records.value, "source.records") }
        if let namespaces = keys["namespaces"] {
            if let list = namespaces.value.pairs {
                for pair in list {
                    if let uri = string(pair.value, "source.namespaces.\(pair.key)") {
                        options.namespaces[pair.key] = uri
                    }
                }
            } else {
                error(MappingCode.wrongType, "`source.namespaces` maps prefixes to URIs", at: namespaces.value)
            }
        }
        if let limit = keys["max_record_bytes"],
            let n = integer(limit.value, "source.max_record_bytes", range: 1024...(1 << 30))
        {
            options.maxRecordBytes = n
        }
        return options
    }

    static let localeKeys = ["decimal_mark", "thousands_separator", "date_format", "currency"]

    func compileLocale(_ node: Node) {
        let keys = pairs(node, allowed: Self.localeKeys, in: "locale")
        var format = AmountFormat.plain
        if let mark = keys["decimal_mark"],
            let byte = separator(mark.value, "locale.decimal_mark", allowed: [".", ","])
        {
            format.decimalMark = byte
        }
        if let thousands = keys["thousands_separator"] {
            if thousands.value.isNull || thousands.value.text == "" {
                format.thousandsSeparator = nil
            } else if let byte = separator(
                thousands.value, "locale.thousands_separator", allowed: [".", ",", " ", "'"])
            {
                format.thousandsSeparator = byte
            }
        }
        if format.thousandsSeparator == format.decimalMark {
            error(
                MappingCode.invalidValue, "the decimal mark and the thousands separator are the same",
                at: keys["thousands_separator"]?.value ?? node)
        }
        locale.amountFormat = format
        if let date = keys["date_format"] { locale.dateFormat = dateFormat(date.value, "locale.date_format") }
        if let currency = keys["currency"], let code = string(currency.value, "locale.currency") {
            if let parsed = Currency(code: code) {
                locale.currency = parsed
            } else {
                error(
                    MappingCode.invalidValue, "`\(code)` is not a currency code", hint: "use three letters, e.g. DKK",
                    at: currency.value)
            }
        }
    }

    func separator(_ node: Node, _ context: String, allowed: [String]) -> UInt8? {
        guard let text = string(node, context) else { return nil }
        guard allowed.contains(text) else {
            error(
                MappingCode.invalidValue, "`\(context)` cannot be `\(text)`",
                hint: "use one of \(allowed.map { "\"\($0)\"" }.joined(separator: " "))", at: node)
            return nil
        }
        return text.utf8.first
    }

    func dateFormat(_ node: Node, _ context: String) -> DateFormat? {
        guard let text = string(node, context) else { return nil }
        do {
            return try DateFormat(text)
        } catch {
            self.error(MappingCode.invalidValue, "\(error)", at: node)
            return nil
        }
    }

    // MARK: lookups, variables

    func compileLookups(_ node: Node) {
        guard let tables = node.pairs else {
            error(MappingCode.wrongType, "`lookups` maps table names to tables", at: node)
            return
        }
        for table in tables {
            if lookupIndex[table.key] != nil { continue }
            let compiled = compileLookup(table.value, name: table.key, context: "lookups.\(table.key)")
            lookupIndex[table.key] = lookups.count
            lookups.append(
                compiled
                    ?? CompiledMapping.LookupTable(
                        name: table.key, entries: [:], fallback: nil, ignoreCase: false,
                        location: location(table.keyNode)))
        }
    }

    static let lookupKeys = ["entries", "default", "ignore_case", "file"]

    func compileLookup(_ node: Node, name: String, context: String) -> CompiledMapping.LookupTable? {
        let keys = pairs(node, allowed: Self.lookupKeys + (context == "lookup file" ? ["version"] : []), in: context)
        if let file = keys["file"], let relative = string(file.value, "\(context).file") {
            return loadLookupFile(relative, name: name, at: file.value)
        }
        let ignoreCase = keys["ignore_case"].flatMap { boolean($0.value, "\(context).ignore_case") } ?? false
        var entries: [String: String] = [:]
        if let list = keys["entries"] {
            if let pairs = list.value.pairs {
                for pair in pairs {
                    guard let value = string(pair.value, "\(context).entries.\(pair.key)") else { continue }
                    entries[ignoreCase ? pair.key.lowercased() : pair.key] = value
                }
            } else {
                error(MappingCode.wrongType, "`\(context).entries` maps keys to values", at: list.value)
            }
        } else {
            error(MappingCode.missingKey, "`\(context)` needs `entries:` (or `file:`)", at: node)
        }
        let fallback = keys["default"].flatMap { string($0.value, "\(context).default") }
        return CompiledMapping.LookupTable(
            name: name, entries: entries, fallback: fallback, ignoreCase: ignoreCase, location: location(node))
    }

    func loadLookupFile(_ relative: String, name: String, at node: Node) -> CompiledMapping.LookupTable? {
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        let url = relative.hasPrefix("/") ? URL(fileURLWithPath: relative) : base.appendingPathComponent(relative)
        guard let data = try? Data(contentsOf: url) else {
            error(
                MappingCode.lookupFile, "cannot read the lookup file `\(relative)`",
                hint: "paths are relative to the mapping file's folder", at: node)
            return nil
        }
        let nested = Compiler(path: url.path)
        do {
            guard let root = try Yams.compose(yaml: String(decoding: data, as: UTF8.self)) else {
                error(MappingCode.lookupFile, "the lookup file `\(relative)` is empty", at: node)
                return nil
            }
            let table = nested.compileLookup(root, name: name, context: "lookup file")
            diagnostics += nested.diagnostics
            return table
        } catch let yaml as YamlError {
            diagnostics.append(MappingCompiler.yamlDiagnostic(yaml, path: url.path))
            return nil
        } catch {
            self.error(MappingCode.lookupFile, "cannot parse the lookup file `\(relative)`", at: node)
            return nil
        }
    }

    func compileVariables(_ node: Node) {
        guard let list = node.pairs else {
            error(MappingCode.wrongType, "`variables` maps names to their default values", at: node)
            return
        }
        for pair in list {
            let initial = pair.value.isNull ? nil : expression(pair.value, .text, "variables.\(pair.key)")
            declareVariable(pair.key, initial: initial, at: pair.keyNode)
        }
    }

    @discardableResult
    func declareVariable(_ name: String, initial: Expr? = nil, at node: Node) -> Int {
        declaredVariables.insert(name)
        if let index = variableIndex[name] {
            if let initial { variables[index].initial = initial }
            return index
        }
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            error(MappingCode.invalidValue, "variable names use letters, digits and _ only: `\(name)`", at: node)
            return -1
        }
        variableIndex[name] = variables.count
        variables.append(CompiledMapping.Variable(name: name, initial: initial))
        return variables.count - 1
    }

    // MARK: rules and skip

    func declareRuleVariables(_ node: Node) {
        for rule in node.items ?? [] {
            guard let set = rule.pairs?.first(where: { $0.key == "set" })?.value.pairs else { continue }
            for pair in set { declareVariable(pair.key, at: pair.keyNode) }
        }
    }

    func compileRules(_ node: Node) -> [CompiledMapping.Rule] {
        guard let items = node.items else {
            error(MappingCode.wrongType, "`rules` is a list; the first rule whose `when` holds applies", at: node)
            return []
        }
        var rules: [CompiledMapping.Rule] = []
        for (i, item) in items.enumerated() {
            let context = "rules[\(i + 1)]"
            let keys = pairs(item, allowed: ["when", "set"], in: context)
            let when = keys["when"].flatMap { condition($0.value, "\(context).when") }
            var assignments: [(variable: Int, value: Expr)] = []
            if let set = keys["set"] {
                for pair in set.value.pairs ?? [] {
                    let index = declareVariable(pair.key, at: pair.keyNode)
                    if index >= 0, let value = expression(pair.value, .text, "\(context).set.\(pair.key)") {
                        assignments.append((index, value))
                    }
                }
                if set.value.pairs == nil {
                    error(MappingCode.wrongType, "`\(context).set` maps variables to values", at: set.value)
                }
            } else {
                error(MappingCode.missingKey, "`\(context)` needs `set:`", hint: "say what the rule decides", at: item)
            }
            if keys["when"] == nil && i < items.count - 1 {
                warning(
                    MappingCode.invalidValue, "`\(context)` has no `when`, so the rules after it never apply",
                    hint: "move it last, as the fallback", at: item)
            }
            rules.append(CompiledMapping.Rule(when: when, assignments: assignments, location: location(item)))
        }
        // A rule whose rows an earlier rule takes first never applies.
        for (j, later) in rules.enumerated() {
            guard let laterWhen = later.when,
                let earlier = rules[..<j].firstIndex(where: { $0.when.map(laterWhen.implies) == true })
            else { continue }
            warning(
                MappingCode.invalidValue,
                "`rules[\(j + 1)]` never applies: every row it matches is taken by `rules[\(earlier + 1)]` first",
                hint: "the first rule that holds applies; put the narrower rule first", at: items[j])
        }
        return rules
    }

    func compileSkips(_ node: Node) -> [CompiledMapping.SkipRule] {
        guard let items = node.items else {
            error(MappingCode.wrongType, "`skip` is a list of `when:` conditions, each with a `reason:`", at: node)
            return []
        }
        var skips: [CompiledMapping.SkipRule] = []
        for (i, item) in items.enumerated() {
            let context = "skip[\(i + 1)]"
            let keys = pairs(item, allowed: ["when", "reason", "also_skip"], in: context)
            let reason = keys["reason"].flatMap { string($0.value, "\(context).reason") } ?? "skip rule \(i + 1)"
            var alsoSkip: CompiledMapping.AlsoSkip?
            if let also = keys["also_skip"] {
                if also.value.text == "rest" {
                    alsoSkip = .rest
                } else if let n = integer(also.value, "\(context).also_skip", range: 1...1_000_000) {
                    alsoSkip = .next(n)
                }
            }
            guard let whenNode = keys["when"] else {
                error(MappingCode.missingKey, "`\(context)` needs `when:`", at: item)
                continue
            }
            if let when = condition(whenNode.value, "\(context).when") {
                skips.append(CompiledMapping.SkipRule(when: when, reason: reason, alsoSkip: alsoSkip))
            }
        }
        return skips
    }

    // MARK: document

    static let documentKeys = [
        "kind", "date", "reference", "description", "currency", "voucher_number", "attachment", "purchase", "lines",
        "group_by", "vat_check", "exchange_rate",
    ]

    func compileDocument(_ node: Node) -> CompiledMapping.DocumentSpec? {
        let keys = pairs(node, allowed: Self.documentKeys, in: "document")
        guard node.pairs != nil else { return nil }
        // With no valid kind, go on as the closest one, so the rest is still checked.
        var kind = DocumentKind.ledgerItem
        if let kindNode = keys["kind"] {
            if let chosen = choice(kindNode.value, "document.kind", DocumentKind.self) {
                kind = chosen
            } else if let text = kindNode.value.text,
                let closest = suggestion(for: text, among: DocumentKind.allCases.map(\.rawValue))
            {
                kind = DocumentKind(rawValue: closest) ?? .ledgerItem
            }
        } else {
            error(
                MappingCode.missingKey, "`document` needs `kind:`",
                hint: "manual_voucher, purchase_voucher or ledger_item", at: node)
        }
        let kindNode = keys["kind"] ?? (key: node, value: node)
        var date: Expr?
        if let node = keys["date"] {
            date = expression(node.value, .date, "document.date")
        } else {
            error(MappingCode.missingKey, "`document` needs `date:`", hint: "e.g. date: \"{Dato}\"", at: node)
        }
        let reference = keys["reference"].map { compileReference($0.value) } ?? .content
        let description = keys["description"].flatMap { expression($0.value, .text, "document.description") }
        let currency = keys["currency"].flatMap { expression($0.value, .text, "document.currency") }
        let voucherNumber = keys["voucher_number"].flatMap { expression($0.value, .text, "document.voucher_number") }
        if keys["voucher_number"] != nil && kind != .ledgerItem {
            warning(
                MappingCode.invalidValue,
                "`voucher_number` only applies to ledger items; the target numbers other documents",
                at: keys["voucher_number"]!.key)
        }
        let attachment = keys["attachment"].flatMap { expression($0.value, .text, "document.attachment") }
        var purchase: CompiledMapping.PurchaseSpec?
        if let node = keys["purchase"] {
            if kind == .purchaseVoucher {
                purchase = compilePurchase(node.value)
            } else {
                error(MappingCode.unknownKey, "`purchase` only applies to purchase vouchers", at: node.key)
            }
        } else if kind == .purchaseVoucher {
            error(
                MappingCode.missingKey, "a purchase voucher needs `purchase:`",
                hint: "say how it was paid: payment: cash with deposit_account, or payment: credit with contact",
                at: kindNode.value)
        }
        var lines: [CompiledMapping.LineSpec] = []
        if let node = keys["lines"] {
            if let items = node.value.items, !items.isEmpty {
                for (i, item) in items.enumerated() {
                    if let line = compileLine(item, kind: kind, context: "document.lines[\(i + 1)]") {
                        if line.remainder && lines.contains(where: \.remainder) {
                            error(MappingCode.invalidValue, "only one line can take the remainder", at: item)
                        }
                        lines.append(line)
                    }
                }
            } else {
                error(MappingCode.wrongType, "`document.lines` is a list of at least one line", at: node.value)
            }
        } else {
            error(MappingCode.missingKey, "`document` needs `lines:`", at: node)
        }
        let group = keys["group_by"].flatMap { compileGroup($0.value) }
        let vatCheck = keys["vat_check"].flatMap { compileVatCheck($0.value) }
        let exchangeRate = keys["exchange_rate"].flatMap { compileExchangeRate($0.value) }
        guard let date else { return nil }
        return CompiledMapping.DocumentSpec(
            kind: kind, date: date, reference: reference, description: description, currency: currency,
            voucherNumber: voucherNumber, attachment: attachment, purchase: purchase, lines: lines, group: group,
            vatCheck: vatCheck, exchangeRate: exchangeRate)
    }

    static let exchangeRateKeys = ["rate", "per", "round", "to", "rounding_account"]

    func compileExchangeRate(_ node: Node) -> CompiledMapping.ExchangeRateSpec? {
        let context = "document.exchange_rate"
        let keys = pairs(node, allowed: Self.exchangeRateKeys, in: context)
        guard node.pairs != nil else { return nil }
        guard let rateNode = keys["rate"] else {
            error(
                MappingCode.missingKey, "`\(context)` needs `rate:` (a number, a column, or a lookup by date)",
                at: node)
            return nil
        }
        guard let roundNode = keys["round"] else {
            error(
                MappingCode.missingKey, "`\(context)` needs `round:`: say how converted amounts are rounded",
                hint: "half_even, half_up, half_down, down, up, floor or ceiling", at: node)
            return nil
        }
        let rate = expression(rateNode.value, .amount, "\(context).rate")
        let rounding = choice(roundNode.value, "\(context).round", RoundingMode.self)
        var per = ExactDecimal(units: 1, scale: 0)
        if let perNode = keys["per"] {
            if let text = perNode.value.text, let value = ExactDecimal(text), !value.isZero, !value.isNegative {
                per = value
            } else {
                error(MappingCode.invalidValue, "`\(context).per` is a positive number, like 100", at: perNode.value)
            }
        }
        var to: Currency?
        if let toNode = keys["to"] {
            to = toNode.value.text.flatMap { Currency(code: $0) }
            if to == nil {
                error(MappingCode.invalidValue, "`\(context).to` is a three-letter currency code", at: toNode.value)
            }
        } else {
            error(
                MappingCode.missingKey, "`\(context)` needs `to:`: the currency to book in, e.g. DKK", at: node)
        }
        let roundingAccount = keys["rounding_account"].flatMap {
            expression($0.value, .text, "\(context).rounding_account")
        }
        guard let rate, let rounding, to != nil else { return nil }
        return CompiledMapping.ExchangeRateSpec(
            rate: rate, per: per, rounding: rounding, to: to, roundingAccount: roundingAccount)
    }

    static let vatCheckKeys = ["gross", "net", "vat", "code"]

    func compileVatCheck(_ node: Node) -> CompiledMapping.VatCheckSpec? {
        let keys = pairs(node, allowed: Self.vatCheckKeys, in: "document.vat_check")
        guard node.pairs != nil else { return nil }
        for key in ["gross", "vat", "code"] where keys[key] == nil {
            error(MappingCode.missingKey, "`document.vat_check` needs `\(key):`", at: node)
        }
        let gross = keys["gross"].flatMap { expression($0.value, .amount, "document.vat_check.gross") }
        let net = keys["net"].flatMap { expression($0.value, .amount, "document.vat_check.net") }
        let vat = keys["vat"].flatMap { expression($0.value, .amount, "document.vat_check.vat") }
        let code = keys["code"].flatMap { expression($0.value, .text, "document.vat_check.code") }
        guard let gross, let vat, let code else { return nil }
        return CompiledMapping.VatCheckSpec(gross: gross, net: net, vat: vat, code: code)
    }

    func compileReference(_ node: Node) -> CompiledMapping.ReferenceSpec {
        if let keys = node.pairs, keys.contains(where: { $0.key == "scope" }) {
            let pairs = pairs(node, allowed: ["scope"], in: "document.reference")
            switch pairs["scope"]?.value.text {
            case "content": return .content
            case "file": return .file
            default:
                error(
                    MappingCode.invalidValue, "`document.reference.scope` is `content` or `file`",
                    at: pairs["scope"]?.value ?? node)
                return .content
            }
        }
        return expression(node, .text, "document.reference").map { .template($0) } ?? .content
    }

    static let purchaseKeys = ["payment", "deposit_account", "contact", "payment_date", "region"]

    func compilePurchase(_ node: Node) -> CompiledMapping.PurchaseSpec? {
        let keys = pairs(node, allowed: Self.purchaseKeys, in: "document.purchase")
        guard let paymentNode = keys["payment"] else {
            error(MappingCode.missingKey, "`document.purchase` needs `payment:` (cash or credit)", at: node)
            return nil
        }
        if let text = paymentNode.value.text, !text.contains("{"),
            PurchaseTerms.Payment(rawValue: text.lowercased()) == nil
        {
            error(MappingCode.invalidValue, "`payment` is `cash` or `credit`, not `\(text)`", at: paymentNode.value)
        }
        guard let payment = expression(paymentNode.value, .text, "document.purchase.payment") else { return nil }
        if let region = keys["region"], let text = region.value.text, !text.contains("{"),
            Region.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) == nil
        {
            error(MappingCode.invalidValue, "`region` is DK, EU or World, not `\(text)`", at: region.value)
        }
        return CompiledMapping.PurchaseSpec(
            payment: payment,
            depositAccount: keys["deposit_account"].flatMap {
                expression($0.value, .text, "document.purchase.deposit_account")
            },
            contact: keys["contact"].flatMap { compileContact($0.value) },
            paymentDate: keys["payment_date"].flatMap { expression($0.value, .date, "document.purchase.payment_date") },
            region: keys["region"].flatMap { expression($0.value, .text, "document.purchase.region") })
    }

    static let contactKeys = ["id", "name", "vat_number", "external_reference", "country"]

    /// `contact: Supplier` (an id or a name), or `contact: {name:, vat_number:, external_reference:,
    /// id:, country:}`, each an expression.
    func compileContact(_ node: Node) -> CompiledMapping.ContactSpec? {
        let context = "document.purchase.contact"
        guard let given = node.pairs, given.contains(where: { Self.contactKeys.contains($0.key) }) else {
            return expression(node, .text, context).map { CompiledMapping.ContactSpec(text: $0) }
        }
        let keys = pairs(node, allowed: Self.contactKeys, in: context)
        func field(_ key: String) -> Expr? { keys[key].flatMap { expression($0.value, .text, "\(context).\(key)") } }
        let spec = CompiledMapping.ContactSpec(
            id: field("id"), name: field("name"), vatNumber: field("vat_number"),
            externalReference: field("external_reference"), country: field("country"))
        if spec.id == nil, spec.name == nil, spec.vatNumber == nil, spec.externalReference == nil {
            error(
                MappingCode.missingKey, "`\(context)` needs at least one of id, name, vat_number or external_reference",
                at: node)
            return nil
        }
        return spec
    }

    static let lineKeys = [
        "description", "account", "balancing_account", "amount", "vat", "balancing_vat", "when", "skip_if_zero",
        "for_each", "split_of",
    ]

    func compileLine(_ node: Node, kind: DocumentKind, context: String) -> CompiledMapping.LineSpec? {
        let keys = pairs(node, allowed: Self.lineKeys, in: context)
        guard node.pairs != nil else { return nil }
        var forEach: FieldPath?
        if let each = keys["for_each"], let text = string(each.value, "\(context).for_each") {
            do {
                forEach = try FieldPath(text, separator: text.contains("/") ? "/" : ".")
            } catch {
                self.error(MappingCode.invalidValue, "\(error)", at: each.value)
            }
        }
        inGroup = forEach != nil
        defer { inGroup = false }
        guard let amountNode = keys["amount"] else {
            error(MappingCode.missingKey, "`\(context)` needs `amount:`", at: node)
            return nil
        }
        // `amount: remainder`: the line takes what balances the document.
        let remainder = amountNode.value.text == "remainder"
        let amount = remainder ? Expr.constant("0") : expression(amountNode.value, .amount, "\(context).amount")
        if remainder {
            if kind == .purchaseVoucher {
                error(
                    MappingCode.invalidValue, "a purchase voucher's lines are its gross amounts: none is a remainder",
                    at: amountNode.value)
            }
            if keys["balancing_account"] != nil || forEach != nil {
                error(
                    MappingCode.invalidValue,
                    "`amount: remainder` is for one line without `balancing_account` or `for_each`: it balances the others",
                    at: amountNode.value)
            }
        }
        let account = keys["account"].flatMap { expression($0.value, .text, "\(context).account") }
        if keys["account"] == nil {
            error(MappingCode.missingKey, "`\(context)` needs `account:`", at: node)
        }
        let balancingAccount = keys["balancing_account"].flatMap {
            expression($0.value, .text, "\(context).balancing_account")
        }
        if kind == .purchaseVoucher, let balancing = keys["balancing_account"] {
            error(
                MappingCode.unknownKey, "purchase voucher lines have no `balancing_account`",
                hint: "the purchase's deposit_account (cash) or contact (credit) is the other side", at: balancing.key)
        }
        if kind == .purchaseVoucher, let balancing = keys["balancing_vat"] {
            error(MappingCode.unknownKey, "purchase voucher lines have no `balancing_vat`", at: balancing.key)
        }
        let vat = keys["vat"].flatMap { vatExpression($0.value, "\(context).vat") }
        let balancingVat = keys["balancing_vat"].flatMap { vatExpression($0.value, "\(context).balancing_vat") }
        let when = keys["when"].flatMap { condition($0.value, "\(context).when") }
        let skipIfZero = keys["skip_if_zero"].flatMap { boolean($0.value, "\(context).skip_if_zero") } ?? false
        let description = keys["description"].flatMap { expression($0.value, .text, "\(context).description") }
        var splitOf: Expr?
        if let split = keys["split_of"] {
            if forEach == nil {
                error(MappingCode.invalidValue, "`split_of` is for `for_each` lines", at: split.key)
            }
            // The amount split is the record's: its fields are read outside the item.
            inGroup = false
            splitOf = expression(split.value, .amount, "\(context).split_of")
        }
        guard let amount else { return nil }
        return CompiledMapping.LineSpec(
            description: description, account: account, balancingAccount: balancingAccount, amount: amount, vat: vat,
            balancingVat: balancingVat, when: when, skipIfZero: skipIfZero, forEach: forEach, splitOf: splitOf,
            remainder: remainder, location: location(node))
    }

    func vatExpression(_ node: Node, _ context: String) -> CompiledMapping.VatExpr? {
        if let keys = node.pairs, keys.contains(where: { $0.key == "zone" || $0.key == "category" }) {
            let pairs = pairs(node, allowed: ["zone", "category", "direction"], in: context)
            guard let zone = pairs["zone"], let category = pairs["category"] else {
                error(MappingCode.missingKey, "`\(context)` needs both `zone:` and `category:`", at: node)
                return nil
            }
            let direction = pairs["direction"].flatMap { choice($0.value, "\(context).direction", VatDirection.self) }
            guard let z = expression(zone.value, .text, "\(context).zone"),
                let c = expression(category.value, .text, "\(context).category")
            else { return nil }
            return .zoneCategory(zone: z, category: c, direction: direction)
        }
        return expression(node, .text, context).map { .code($0) }
    }

    func compileGroup(_ node: Node) -> CompiledMapping.GroupSpec? {
        if node.pairs != nil {
            let keys = pairs(node, allowed: ["key", "order", "buffer_rows"], in: "document.group_by")
            guard let keyNode = keys["key"] else {
                error(MappingCode.missingKey, "`document.group_by` needs `key:`", at: node)
                return nil
            }
            var order = CompiledMapping.GroupSpec.Order.sorted
            if let orderNode = keys["order"], let text = string(orderNode.value, "document.group_by.order") {
                if let parsed = CompiledMapping.GroupSpec.Order(rawValue: text) {
                    order = parsed
                } else {
                    error(MappingCode.invalidValue, "`group_by.order` is `sorted` or `any`", at: orderNode.value)
                }
            }
            let buffer = keys["buffer_rows"].flatMap {
                integer($0.value, "document.group_by.buffer_rows", range: 1...100_000_000)
            }
            guard let key = expression(keyNode.value, .text, "document.group_by.key") else { return nil }
            return CompiledMapping.GroupSpec(
                key: key, order: order, bufferRows: buffer ?? 100_000, location: location(node))
        }
        guard let key = expression(node, .text, "document.group_by") else { return nil }
        return CompiledMapping.GroupSpec(key: key, order: .sorted, bufferRows: 100_000, location: location(node))
    }

    // MARK: expressions

    static let operators = [
        "column", "path", "var", "const", "template", "trim", "upper", "lower", "replace", "first_of", "lookup", "if",
        "join",
        "amount", "sum", "difference", "negate", "abs", "multiply", "divide", "debit", "credit", "date",
    ]
    static let formatOptions = ["decimal_mark", "thousands_separator", "format"]

    /// Compiles an expression that must give `type` (text is read as an amount or date when
    /// those are wanted).
    func expression(_ node: Node, _ type: ValueType, _ context: String) -> Expr? {
        switch node {
        case .scalar:
            if node.isNull {
                error(MappingCode.missingValue, "`\(context)` is empty", at: node)
                return nil
            }
            let text = node.text ?? ""
            let expr = node.isPlainNumber ? Expr.constant(text) : template(text, at: node, context)
            return expr.map { typed($0, type, format: nil, at: node, context) } ?? nil
        case .mapping:
            return operatorExpression(node, type, context)
        case .sequence:
            error(MappingCode.wrongType, "`\(context)` must be a value or an expression, not a list", at: node)
            return nil
        case .alias:
            error(MappingCode.wrongType, "`\(context)`: YAML aliases are not supported", at: node)
            return nil
        }
    }

    /// Wraps text so it is read as the wanted type; checks amount and date operators land where
    /// amounts and dates are wanted.
    func typed(_ expr: Expr, _ type: ValueType, format: Format?, at node: Node, _ context: String) -> Expr? {
        switch (type, expr.type) {
        case (.amount, .text):
            if case .constant(let text) = expr {
                let amountFormat = format?.amount ?? (node.isPlainNumber ? .plain : locale.amountFormat)
                if case .failure(let failure) = amountFormat.parse(text) {
                    error(MappingCode.invalidValue, "`\(context)`: `\(text)` \(failure)", at: node)
                    return nil
                }
                return .amount(expr, amountFormat)
            }
            return .amount(expr, format?.amount)
        case (.date, .text):
            if case .constant(let text) = expr {
                let dateFormat = format?.date ?? locale.dateFormat ?? (try! DateFormat("iso"))
                if dateFormat.parse(text) == nil && (try! DateFormat("iso")).parse(text) == nil {
                    error(MappingCode.invalidValue, "`\(context)`: `\(text)` is not a date (\(dateFormat))", at: node)
                    return nil
                }
            }
            return .date(expr, format?.date)
        case (.text, .text), (.amount, .amount), (.date, .date):
            return expr
        default:
            error(
                MappingCode.wrongType,
                "`\(context)` needs \(article(type)) but the expression gives \(article(expr.type))",
                at: node)
            return nil
        }
    }

    private func article(_ type: ValueType) -> String {
        switch type {
        case .text: "text"
        case .amount: "an amount"
        case .date: "a date"
        }
    }

    struct Format {
        var amount: AmountFormat?
        var date: DateFormat?
    }

    /// Format options on a field reference: `{column: Beløb, decimal_mark: ","}`.
    func formatOptions(_ keys: [String: (key: Node, value: Node)], _ context: String) -> Format? {
        guard keys.keys.contains(where: { Self.formatOptions.contains($0) }) else { return nil }
        var format = Format()
        if keys["decimal_mark"] != nil || keys["thousands_separator"] != nil {
            var amount = locale.amountFormat
            if let mark = keys["decimal_mark"],
                let byte = separator(mark.value, "\(context).decimal_mark", allowed: [".", ","])
            {
                amount.decimalMark = byte
            }
            if let sep = keys["thousands_separator"] {
                amount.thousandsSeparator =
                    sep.value.text == "" || sep.value.isNull
                    ? nil : separator(sep.value, "\(context).thousands_separator", allowed: [".", ",", " ", "'"])
            }
            format.amount = amount
        }
        if let date = keys["format"] { format.date = dateFormat(date.value, "\(context).format") }
        return format
    }

    func operatorExpression(_ node: Node, _ type: ValueType, _ context: String) -> Expr? {
        guard let list = node.pairs else { return nil }
        let present = list.map(\.key).filter { Self.operators.contains($0) }
        let isDebitCredit = Set(present).isSubset(of: ["debit", "credit"]) && !present.isEmpty
        guard present.count == 1 || isDebitCredit else {
            if present.isEmpty {
                let unknown = list.first?.key ?? ""
                let hint = suggestion(for: unknown, among: Self.operators).map { "did you mean `\($0)`?" }
                error(
                    MappingCode.unknownFunction, "unknown function `\(unknown)` in `\(context)`",
                    hint: hint ?? "expressions are: \(Self.operators.joined(separator: ", "))",
                    at: list.first?.keyNode ?? node)
            } else {
                error(
                    MappingCode.wrongType,
                    "`\(context)` has \(present.map { "`\($0)`" }.joined(separator: " and ")); an expression has one function",
                    hint: "nest them, e.g. trim: { upper: ... }", at: node)
            }
            return nil
        }
        let op = isDebitCredit ? "debit" : present[0]
        let c = "\(context).\(op)"
        func operand(_ key: String = op, _ want: ValueType) -> Expr? {
            guard let value = list.first(where: { $0.key == key })?.value else {
                error(MappingCode.missingKey, "`\(context)` needs `\(key):`", at: node)
                return nil
            }
            return expression(value, want, "\(context).\(key)")
        }
        func operands(_ want: ValueType, minimum: Int) -> [Expr]? {
            guard let value = list.first(where: { $0.key == op })?.value else { return nil }
            guard let items = value.items, items.count >= minimum else {
                error(MappingCode.wrongType, "`\(c)` takes a list of at least \(minimum) expressions", at: value)
                return nil
            }
            let compiled = items.enumerated().compactMap { expression($0.element, want, "\(c)[\($0.offset + 1)]") }
            return compiled.count == items.count ? compiled : nil
        }
        func rate(_ key: String) -> ExactDecimal? {
            guard let value = list.first(where: { $0.key == key })?.value, let text = value.text else {
                error(MappingCode.missingKey, "`\(context)` needs `\(key):` with a number such as 0.8", at: node)
                return nil
            }
            guard let rate = ExactDecimal(text) else {
                error(
                    MappingCode.invalidValue, "`\(context).\(key)` must be a plain number such as 0.8, not `\(text)`",
                    at: value)
                return nil
            }
            return rate
        }
        func rounding(_ required: Bool) -> RoundingMode?? {
            guard let value = list.first(where: { $0.key == "round" })?.value else {
                return required ? .some(.halfEven) : .some(nil)
            }
            guard let mode = choice(value, "\(context).round", RoundingMode.self) else { return nil }
            return .some(mode)
        }

        let result: Expr?
        switch op {
        case "column", "path", "var":
            let keys = pairs(node, allowed: [op] + Self.formatOptions, in: context)
            guard let value = keys[op]?.value, let name = string(value, c) else { return nil }
            let ref: FieldRef?
            if op == "var" {
                ref = variableRef(name.hasPrefix("$") ? String(name.dropFirst()) : name, at: value)
            } else if op == "column", value.isPlainNumber {
                ref = fieldRef("#\(name)", at: value)
            } else {
                ref = fieldRef(name, at: value)
            }
            guard let ref else { return nil }
            return typed(.field(ref), type, format: formatOptions(keys, context), at: node, context)
        case "const":
            _ = pairs(node, allowed: ["const"], in: context)
            guard let value = list.first(where: { $0.key == "const" })?.value, let text = string(value, c) else {
                return nil
            }
            return typed(.constant(text), type, format: nil, at: value, context)
        case "template":
            _ = pairs(node, allowed: ["template"], in: context)
            guard let value = list.first(where: { $0.key == "template" })?.value, let text = string(value, c),
                let expr = template(text, at: value, c)
            else { return nil }
            return typed(expr, type, format: nil, at: value, context)
        case "trim", "upper", "lower":
            _ = pairs(node, allowed: [op], in: context)
            guard let inner = operand(op, .text) else { return nil }
            result = op == "trim" ? .trim(inner) : op == "upper" ? .upper(inner) : .lower(inner)
        case "replace":
            let keys = pairs(node, allowed: ["replace", "pattern", "with", "ignore_case"], in: context)
            guard let inner = operand("replace", .text),
                let patternNode = keys["pattern"]?.value, let pattern = string(patternNode, "\(context).pattern")
            else {
                if keys["pattern"] == nil { error(MappingCode.missingKey, "`\(context)` needs `pattern:`", at: node) }
                return nil
            }
            let replacement = keys["with"].flatMap { string($0.value, "\(context).with") } ?? ""
            let ignoreCase = keys["ignore_case"].flatMap { boolean($0.value, "\(context).ignore_case") } ?? false
            guard let regex = compileRegex(pattern, ignoreCase: ignoreCase, at: patternNode) else { return nil }
            result = .replace(inner, regex, with: replacement)
        case "join":
            let keys = pairs(node, allowed: ["join", "separator"], in: context)
            guard let inner = operand("join", .text) else { return nil }
            guard case .field(let ref) = inner else {
                error(
                    MappingCode.wrongType, "`\(c)` takes one field, e.g. `{ join: \"{RmtInf/Ustrd}\" }`",
                    at: keys["join"]?.value ?? node)
                return nil
            }
            let separator = keys["separator"].flatMap { string($0.value, "\(context).separator") } ?? " "
            return typed(.join(ref, separator: separator), type, format: nil, at: node, context)
        case "first_of":
            _ = pairs(node, allowed: ["first_of"], in: context)
            guard let items = operands(type == .amount ? .text : type, minimum: 1) else { return nil }
            return typed(.firstOf(items), type, format: nil, at: node, context)
        case "lookup":
            let keys = pairs(node, allowed: ["lookup", "key", "default"], in: context)
            guard let tableNode = keys["lookup"]?.value, let table = string(tableNode, c) else { return nil }
            lookupUses.append((table, location(tableNode)))
            guard let key = operand("key", .text) else { return nil }
            let fallback = keys["default"].flatMap { string($0.value, "\(context).default") }
            let index = lookupIndex[table] ?? -1
            return typed(.lookup(table: index, key: key, fallback: fallback), type, format: nil, at: node, context)
        case "if":
            let keys = pairs(node, allowed: ["if", "then", "else"], in: context)
            guard let conditionNode = keys["if"]?.value, let when = condition(conditionNode, c),
                let then = operand("then", type)
            else { return nil }
            let otherwise = keys["else"].flatMap { expression($0.value, type, "\(context).else") }
            return .conditional(when, then: then, else: otherwise)
        case "amount":
            let keys = pairs(node, allowed: ["amount", "decimal_mark", "thousands_separator"], in: context)
            guard let inner = operand("amount", .text) else { return nil }
            result = .amount(inner, formatOptions(keys, context)?.amount)
        case "date":
            let keys = pairs(node, allowed: ["date", "format"], in: context)
            guard let inner = operand("date", .text) else { return nil }
            result = .date(inner, formatOptions(keys, context)?.date)
        case "sum":
            _ = pairs(node, allowed: ["sum"], in: context)
            guard let items = operands(.amount, minimum: 1) else { return nil }
            result = .sum(items)
        case "difference":
            _ = pairs(node, allowed: ["difference"], in: context)
            guard let items = operands(.amount, minimum: 2) else { return nil }
            guard items.count == 2 else {
                error(MappingCode.wrongType, "`\(c)` takes exactly two amounts: [minuend, subtrahend]", at: node)
                return nil
            }
            result = .difference(items[0], items[1])
        case "negate", "abs":
            _ = pairs(node, allowed: [op], in: context)
            guard let inner = operand(op, .amount) else { return nil }
            result = op == "negate" ? .negate(inner) : .absolute(inner)
        case "multiply":
            _ = pairs(node, allowed: ["multiply", "by", "round"], in: context)
            guard let inner = operand("multiply", .amount), let by = rate("by"), let mode = rounding(false) else {
                return nil
            }
            result = .multiply(inner, by: by, rounding: mode)
        case "divide":
            _ = pairs(node, allowed: ["divide", "by", "round"], in: context)
            guard let inner = operand("divide", .amount), let by = rate("by"), let mode = rounding(true) else {
                return nil
            }
            guard !by.isZero else {
                error(MappingCode.invalidValue, "`\(context).by` cannot be zero", at: node)
                return nil
            }
            result = .divide(inner, by: by, rounding: mode ?? .halfEven)
        case "debit":
            _ = pairs(node, allowed: ["debit", "credit", "both"], in: context)
            let debit = list.contains { $0.key == "debit" } ? operand("debit", .amount) : nil
            let credit = list.contains { $0.key == "credit" } ? operand("credit", .amount) : nil
            var netBoth = false
            if let both = list.first(where: { $0.key == "both" }) {
                switch both.value.text {
                case "net"?: netBoth = true
                case "reject"?: netBoth = false
                default:
                    error(
                        MappingCode.invalidValue,
                        "`\(context).both` is `reject` (a row with both sides is refused; the default) or `net` (book debit minus credit)",
                        at: both.value)
                    return nil
                }
            }
            guard debit != nil || credit != nil else { return nil }
            result = .debitCredit(debit: debit, credit: credit, netBoth: netBoth)
        default:
            return nil
        }
        guard let result else { return nil }
        return typed(result, type, format: nil, at: node, context)
    }

    func compileRegex(_ pattern: String, ignoreCase: Bool, at node: Node) -> RegexBox? {
        do {
            return try RegexBox(pattern: pattern, ignoreCase: ignoreCase)
        } catch {
            self.error(MappingCode.invalidValue, "the pattern `\(pattern)` is not a valid regular expression", at: node)
            return nil
        }
    }

    /// `"{Tekst} ({Bilag})"`: fields in braces, `{$name}` for variables, `{{` and `}}` for braces.
    func template(_ text: String, at node: Node, _ context: String) -> Expr? {
        guard text.contains("{") || text.contains("}") else { return .constant(text) }
        var parts: [TemplatePart] = []
        var literal = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            if c == "{", next < text.endIndex, text[next] == "{" {
                literal.append("{")
                i = text.index(after: next)
            } else if c == "}", next < text.endIndex, text[next] == "}" {
                literal.append("}")
                i = text.index(after: next)
            } else if c == "{" {
                guard let close = text[next...].firstIndex(of: "}") else {
                    error(
                        MappingCode.invalidValue, "`\(context)`: a `{` is not closed",
                        hint: "write {{ for a literal brace", at: node)
                    return nil
                }
                let name = String(text[next..<close]).trimmingCharacters(in: .whitespaces)
                if !literal.isEmpty {
                    parts.append(.literal(literal))
                    literal = ""
                }
                let ref =
                    name.hasPrefix("$") ? variableRef(String(name.dropFirst()), at: node) : fieldRef(name, at: node)
                guard let ref else { return nil }
                parts.append(.field(ref))
                i = text.index(after: close)
            } else if c == "}" {
                error(
                    MappingCode.invalidValue, "`\(context)`: a `}` without `{`", hint: "write }} for a literal brace",
                    at: node)
                return nil
            } else {
                literal.append(c)
                i = next
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        if parts.count == 1, case .field(let ref) = parts[0] { return .field(ref) }
        return .template(parts)
    }

    func fieldRef(_ name: String, at node: Node) -> FieldRef? {
        guard !name.isEmpty else {
            error(MappingCode.invalidValue, "an empty field name `{}`", at: node)
            return nil
        }
        // Inside `for_each`, a path is the item's; `^` reaches the record's own field.
        let ofRecord = name.hasPrefix("^")
        let slot = CompiledMapping.FieldSlot(
            name: ofRecord ? String(name.dropFirst()) : name, inGroup: inGroup && !ofRecord, location: location(node))
        if let index = fieldIndex[slot] { return .slot(index) }
        fieldIndex[slot] = fields.count
        fields.append(slot)
        return .slot(fields.count - 1)
    }

    func variableRef(_ name: String, at node: Node) -> FieldRef? {
        variableUses.append((name, location(node)))
        if let index = variableIndex[name] { return .variable(index) }
        // Declared later (a rule after this use) or unknown: checked at the end.
        return .variable(declareVariableLater(name))
    }

    /// Reserves a slot for a variable used before anything sets it; `checkNames` reports it if
    /// nothing ever does.
    private func declareVariableLater(_ name: String) -> Int {
        if let index = variableIndex[name] { return index }
        variableIndex[name] = variables.count
        variables.append(CompiledMapping.Variable(name: name, initial: nil))
        return variables.count - 1
    }

    /// Variables declared under `variables:` or set by a rule.
    private var declaredVariables: Set<String> = []

    // MARK: conditions

    static let testKeys = [
        "equals", "not_equals", "contains", "not_contains", "starts_with", "ends_with", "matches", "in", "empty", "gt",
        "gte", "lt", "lte", "ignore_case",
    ]

    func condition(_ node: Node, _ context: String) -> Condition? {
        guard let list = node.pairs, !list.isEmpty else {
            error(
                MappingCode.wrongType, "`\(context)` must be a mapping of fields to tests",
                hint: "e.g. when: { Tekst: { contains: \"MobilePay\" } }", at: node)
            return nil
        }
        var parts: [Condition] = []
        for pair in list {
            switch pair.key {
            case "all", "any":
                guard let items = pair.value.items, !items.isEmpty else {
                    error(MappingCode.wrongType, "`\(context).\(pair.key)` is a list of conditions", at: pair.value)
                    continue
                }
                let inner = items.enumerated().compactMap {
                    condition($0.element, "\(context).\(pair.key)[\($0.offset + 1)]")
                }
                guard inner.count == items.count else { continue }
                parts.append(pair.key == "all" ? .all(inner) : .any(inner))
            case "not":
                if let inner = condition(pair.value, "\(context).not") { parts.append(.not(inner)) }
            default:
                let ref: FieldRef?
                if pair.key.hasPrefix("$") {
                    ref = variableRef(String(pair.key.dropFirst()), at: pair.keyNode)
                } else {
                    ref = fieldRef(pair.key, at: pair.keyNode)
                }
                guard let ref else { continue }
                for test in tests(pair.value, "\(context).\(pair.key)") {
                    parts.append(.test(ref, test, name: pair.key))
                }
            }
        }
        return parts.count == 1 ? parts[0] : .all(parts)
    }

    func tests(_ node: Node, _ context: String) -> [Test] {
        if case .scalar = node {
            return [.equals((node.text ?? "").lowercased(), ignoreCase: true)]
        }
        if let items = node.items {
            return [.oneOf(Set(items.compactMap { $0.text?.lowercased() }), ignoreCase: true)]
        }
        let keys = pairs(node, allowed: Self.testKeys, in: context)
        let ignoreCase = keys["ignore_case"].flatMap { boolean($0.value, "\(context).ignore_case") } ?? true
        func folded(_ text: String) -> [UInt8] { ignoreCase ? CaseFolding.fold(Array(text.utf8)) : Array(text.utf8) }
        var tests: [Test] = []
        for (key, pair) in keys.sorted(by: { $0.key < $1.key }) where key != "ignore_case" {
            let value = pair.value
            switch key {
            case "equals", "not_equals":
                guard let text = string(value, "\(context).\(key)") else { continue }
                let test = Test.equals(ignoreCase ? text.lowercased() : text, ignoreCase: ignoreCase)
                tests.append(key == "equals" ? test : .negated(test))
            case "contains", "not_contains":
                guard let text = string(value, "\(context).\(key)") else { continue }
                let test = Test.contains(folded(text), ignoreCase: ignoreCase)
                tests.append(key == "contains" ? test : .negated(test))
            case "starts_with":
                if let text = string(value, "\(context).\(key)") {
                    tests.append(.startsWith(folded(text), ignoreCase: ignoreCase))
                }
            case "ends_with":
                if let text = string(value, "\(context).\(key)") {
                    tests.append(.endsWith(folded(text), ignoreCase: ignoreCase))
                }
            case "matches":
                if let pattern = string(value, "\(context).matches"),
                    let regex = compileRegex(pattern, ignoreCase: ignoreCase, at: value)
                {
                    tests.append(.matches(regex))
                }
            case "in":
                guard let items = value.items else {
                    error(MappingCode.wrongType, "`\(context).in` is a list of values", at: value)
                    continue
                }
                let set = Set(items.compactMap { $0.text }.map { ignoreCase ? $0.lowercased() : $0 })
                tests.append(.oneOf(set, ignoreCase: ignoreCase))
            case "empty":
                if let flag = boolean(value, "\(context).empty") { tests.append(.empty(flag)) }
            case "gt", "gte", "lt", "lte":
                guard let text = string(value, "\(context).\(key)") else { continue }
                let parsed = value.isPlainNumber ? ExactDecimal(text) : (try? locale.amountFormat.parse(text).get())
                guard let number = parsed else {
                    error(MappingCode.invalidValue, "`\(context).\(key)` must be a number", at: value)
                    continue
                }
                tests.append(.compare(Test.Comparison(rawValue: key)!, number))
            default:
                break
            }
        }
        if tests.isEmpty {
            error(
                MappingCode.missingKey, "`\(context)` has no test",
                hint: "use one of \(Self.testKeys.filter { $0 != "ignore_case" }.joined(separator: ", "))", at: node)
        }
        return tests
    }
}

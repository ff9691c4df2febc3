import CLibXML2
import LedgerModel

/// Streaming XML reader over libxml2's reader API. Records are the elements at a path
/// (`AuditFile/GeneralLedgerEntries/Journal/Transaction`, or `//Transaction` at any depth);
/// each one is expanded on its own, turned into a ``TreeFields`` and released.
///
/// Safety: no network, no external entities, no DTD loading; a document type declaration is
/// refused outright, so entity-expansion attacks (billion laughs) and XXE cannot start.
final class XMLReader: RecordReader {
    let source: SourceFile
    private(set) var diagnostics: [Diagnostic] = []

    private let path: String
    private let reader: xmlTextReaderPtr
    private let io: XMLInputContext
    private let error: UnsafeMutablePointer<ll_xml_error>
    private let steps: [FieldPath.Step]
    private let anyDepth: Bool
    private var stack: [(name: String, namespace: String?)] = []
    private var tree = TreeFields(indexBase: 1)
    private var recordCount = 0
    /// The reader already stands on an unprocessed node (after skipping a record).
    private var positioned = false
    private var finished = false
    /// An error met while moving past the record just returned; thrown on the next call.
    private var deferredError: ReadError?

    static let hardened: Void = ll_xml_harden()

    static let parseOptions = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_COMPACT.rawValue)

    init(file: FileInput, sample: [UInt8], options: ReaderOptions) throws {
        _ = Self.hardened
        path = file.path
        var decisions = ["format": options.format == nil ? "detected" : "given as an option"]
        let recordPath: String
        if let given = options.recordPath {
            recordPath = given
            decisions["records"] = "given as an option"
        } else {
            let (detected, reason) = Self.detectRecordPath(sample)
            recordPath = detected
            decisions["records"] = reason
        }
        do {
            anyDepth = recordPath.hasPrefix("//")
            steps = try FieldPath(recordPath, separator: "/", namespaces: options.namespaces).steps
        } catch {
            throw ReadError(
                ReaderCode.recordPathNotFound, "the record path is not valid: \(error)",
                at: SourceLocation(file: path))
        }
        guard !steps.isEmpty else {
            throw ReadError(
                ReaderCode.recordPathNotFound, "the record path is empty",
                hint: "name the record elements, e.g. --records AuditFile/GeneralLedgerEntries/Journal/Transaction",
                at: SourceLocation(file: path))
        }
        if let line = Self.doctypeLine(sample) {
            throw Self.doctypeError(path: path, line: line)
        }
        io = XMLInputContext(file)
        error = .allocate(capacity: 1)
        error.initialize(to: ll_xml_error())
        let encoding = options.encoding?.rawValue
        guard
            let reader = xmlReaderForIO(
                xmlInputRead, nil, Unmanaged.passUnretained(io).toOpaque(), path, encoding, Self.parseOptions)
        else {
            error.deallocate()
            throw ReadError(ReaderCode.ioError, "libxml2 could not start a reader", at: SourceLocation(file: path))
        }
        self.reader = reader
        ll_xml_capture_errors(reader, error)
        let declared = options.encoding.map { _ in "given as an option" } ?? "from the XML declaration (UTF-8 if none)"
        decisions["encoding"] = declared
        source = SourceFile(
            path: path, format: .xml, encoding: options.encoding ?? .utf8, decisions: decisions,
            recordPath: recordPath)
    }

    deinit {
        xmlFreeTextReader(reader)
        error.deallocate()
    }

    func next() throws -> Record? {
        if let deferredError {
            self.deferredError = nil
            finished = true
            throw deferredError
        }
        guard !finished else { return nil }
        while true {
            let status: Int32
            if positioned {
                positioned = false
                status = 1
            } else {
                status = xmlTextReaderRead(reader)
            }
            if status == 0 {
                finished = true
                try checkIO()
                if stack.isEmpty && recordCount == 0 && xmlTextReaderDepth(reader) <= 0 {
                    diagnostics.append(
                        .warning(
                            ReaderCode.recordPathNotFound, "no element matches the record path `\(source.recordPath ?? "")`",
                            hint: "check --records (`records:` in the mapping); `ledgerlift inspect` lists the element paths",
                            at: SourceLocation(file: path)))
                }
                return nil
            }
            if status < 0 { throw xmlError() }
            switch xmlTextReaderNodeType(reader) {
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                let depth = Int(xmlTextReaderDepth(reader))
                let name = Self.string(xmlTextReaderConstLocalName(reader)) ?? ""
                let namespace = Self.string(xmlTextReaderConstNamespaceUri(reader))
                if stack.count > depth { stack.removeSubrange(depth...) }
                stack.append((name, namespace))
                if isRecordElement() {
                    let record = try expandRecord()
                    stack.removeLast()
                    // Moving on parses ahead; a problem there belongs to the next call, not this record.
                    let moved = xmlTextReaderNext(reader)
                    if moved < 0 { deferredError = xmlError() }
                    if moved == 0 { finished = true } else { positioned = true }
                    return record
                }
                if xmlTextReaderIsEmptyElement(reader) == 1 { stack.removeLast() }
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                if !stack.isEmpty { stack.removeLast() }
            case Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue):
                throw Self.doctypeError(path: path, line: Int(xmlTextReaderGetParserLineNumber(reader)))
            case Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue):
                throw ReadError(
                    ReaderCode.unsafeXML, "the file uses an entity reference; entities are not expanded",
                    hint: "replace the entity with its text",
                    at: SourceLocation(file: path, line: Int(xmlTextReaderGetParserLineNumber(reader))))
            default:
                break
            }
        }
    }

    private func isRecordElement() -> Bool {
        if anyDepth {
            guard stack.count >= steps.count else { return false }
            return zip(stack.suffix(steps.count), steps).allSatisfy(Self.matches)
        }
        return stack.count == steps.count && zip(stack, steps).allSatisfy(Self.matches)
    }

    private static func matches(_ element: (name: String, namespace: String?), _ step: FieldPath.Step) -> Bool {
        (step.name == "*" || element.name == step.name) && (step.namespace == nil || element.namespace == step.namespace)
    }

    // MARK: Records

    private func expandRecord() throws -> Record {
        let line = Int(xmlTextReaderGetParserLineNumber(reader))
        guard let node = xmlTextReaderExpand(reader) else { throw xmlError() }
        recordCount += 1
        tree.reset(rootName: Self.string(node.pointee.name) ?? "", namespace: Self.namespace(of: node), kind: .element)
        addAttributes(of: node, to: 0)
        try addChildren(of: node, to: 0)
        return Record(
            source: source, number: recordCount, line: xmlGetLineNo(node) > 0 ? Int(xmlGetLineNo(node)) : line,
            fields: .tree(tree))
    }

    private func addChildren(of node: xmlNodePtr, to parent: TreeFields.NodeID) throws {
        var text: String?
        var child = node.pointee.children
        while let current = child {
            switch current.pointee.type {
            case XML_ELEMENT_NODE:
                let id = tree.append(
                    to: parent, name: Self.string(current.pointee.name) ?? "", namespace: Self.namespace(of: current),
                    value: nil, kind: .element)
                addAttributes(of: current, to: id)
                try addChildren(of: current, to: id)
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = current.pointee.content {
                    let piece = Self.string(content) ?? ""
                    text = text.map { $0 + piece } ?? piece
                }
            case XML_ENTITY_REF_NODE:
                throw ReadError(
                    ReaderCode.unsafeXML, "the file uses an entity reference; entities are not expanded",
                    hint: "replace the entity with its text",
                    at: SourceLocation(file: path, line: Int(xmlGetLineNo(current))))
            default:
                break
            }
            child = current.pointee.next
        }
        if let text {
            let trimmed = String(text.trimmingSpaces)
            // Indentation between child elements is not a value.
            if !trimmed.isEmpty || tree.nodes[parent].firstChild < 0 || !hasElementChild(parent) {
                tree.setValue(trimmed, of: parent)
            }
        }
    }

    private func hasElementChild(_ id: TreeFields.NodeID) -> Bool {
        tree.children(of: id).contains { tree.nodes[$0].kind == .element }
    }

    private func addAttributes(of node: xmlNodePtr, to parent: TreeFields.NodeID) {
        var attribute = node.pointee.properties
        while let current = attribute {
            var value = ""
            var child = current.pointee.children
            while let text = child {
                if let content = text.pointee.content { value += Self.string(content) ?? "" }
                child = text.pointee.next
            }
            let namespace = current.pointee.ns.flatMap { Self.string($0.pointee.href) }
            tree.append(
                to: parent, name: "@" + (Self.string(current.pointee.name) ?? ""), namespace: namespace, value: value,
                kind: .attribute)
            attribute = current.pointee.next
        }
    }

    // MARK: Errors

    private func checkIO() throws {
        if let failure = io.failure { throw failure }
    }

    private func xmlError() -> ReadError {
        if let failure = io.failure { return failure }
        let captured = error.pointee
        guard captured.captured != 0 else {
            return ReadError(
                ReaderCode.malformedXML, "the XML could not be read", hint: "check that the file is well-formed XML",
                at: SourceLocation(file: path, line: Int(xmlTextReaderGetParserLineNumber(reader))))
        }
        let message = withUnsafeBytes(of: captured.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let entityProblem = message.lowercased().contains("entit")
        return ReadError(
            entityProblem ? ReaderCode.unsafeXML : ReaderCode.malformedXML,
            entityProblem
                ? "unsafe or malformed XML: \(message); ledgerlift expands no entities beyond &amp; &lt; &gt; &quot; &apos;"
                : "malformed XML: \(message)",
            hint: entityProblem ? "replace entity references with their text" : "fix the XML here; the file may be cut short",
            at: SourceLocation(
                file: path, line: captured.line > 0 ? Int(captured.line) : nil,
                column: captured.column > 0 ? Int(captured.column) : nil))
    }

    // MARK: DTDs

    /// The line of a `<!DOCTYPE` before the root element, if the sample has one.
    static func doctypeLine(_ sample: [UInt8]) -> Int? {
        let marker = Array("<!DOCTYPE".utf8)
        var line = 1
        var i = 0
        while i < sample.count {
            let byte = sample[i]
            if byte == 0x0A { line += 1 }
            if byte == UInt8(ascii: "<"), i + 1 < sample.count {
                let next = sample[i + 1]
                if next == UInt8(ascii: "!"), sample[i...].starts(with: marker) { return line }
                // The root element has started: a DOCTYPE can no longer come.
                if next != UInt8(ascii: "?") && next != UInt8(ascii: "!") { return nil }
            }
            i += 1
        }
        return nil
    }

    static func doctypeError(path: String, line: Int) -> ReadError {
        ReadError(
            ReaderCode.unsafeXML,
            "the file has a document type declaration (<!DOCTYPE …>); ledgerlift refuses DTDs because "
                + "their entities can expand without limit (billion laughs) or read other files (XXE)",
            hint: "remove the DOCTYPE; accounting formats (SAF-T, camt.053, OIOUBL) do not need one",
            at: SourceLocation(file: path, line: line))
    }

    // MARK: Strings

    @inline(__always)
    static func string(_ pointer: UnsafePointer<xmlChar>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    private static func namespace(of node: xmlNodePtr) -> String? {
        node.pointee.ns.flatMap { string($0.pointee.href) }
    }

    // MARK: Detection

    /// The shallowest element path that repeats and has child elements, in the first bytes.
    static func detectRecordPath(_ sample: [UInt8]) -> (String, String) {
        _ = hardened
        var counts: [String: Int] = [:]
        var order: [String] = []
        var withChildren: Set<String> = []
        var stack: [String] = []
        let result: [String] = sample.withUnsafeBufferPointer { buffer -> [String] in
            guard
                let reader = buffer.baseAddress.flatMap({ base in
                    base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                        xmlReaderForMemory($0, Int32(buffer.count), nil, nil, parseOptions)
                    }
                })
            else { return [] }
            defer { xmlFreeTextReader(reader) }
            var scratch = ll_xml_error()
            ll_xml_capture_errors(reader, &scratch)
            while xmlTextReaderRead(reader) == 1 {
                let type = xmlTextReaderNodeType(reader)
                if type == Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue) { break }
                if type == Int32(XML_READER_TYPE_ELEMENT.rawValue) {
                    let depth = Int(xmlTextReaderDepth(reader))
                    if stack.count > depth { stack.removeSubrange(depth...) }
                    if !stack.isEmpty { withChildren.insert(stack.joined(separator: "/")) }
                    stack.append(string(xmlTextReaderConstLocalName(reader)) ?? "")
                    let key = stack.joined(separator: "/")
                    if counts[key] == nil { order.append(key) }
                    counts[key, default: 0] += 1
                    if xmlTextReaderIsEmptyElement(reader) == 1 { stack.removeLast() }
                } else if type == Int32(XML_READER_TYPE_END_ELEMENT.rawValue), !stack.isEmpty {
                    stack.removeLast()
                }
            }
            return order
        }
        let repeating = result.filter { counts[$0, default: 0] > 1 && withChildren.contains($0) }
        if let best = repeating.min(by: { $0.split(separator: "/").count < $1.split(separator: "/").count }) {
            let others = repeating.filter { $0 != best }.prefix(4).map { "\($0) (\(counts[$0]!)×)" }
            var reason = "detected: the shallowest repeating element"
            if !others.isEmpty { reason += "; others: " + others.joined(separator: ", ") }
            return (best, reason)
        }
        if let root = result.first { return (root, "detected: no repeating element, the whole document is one record") }
        return ("*", "detected: no elements found in the first bytes")
    }
}

/// Feeds libxml2 from a ``FileInput`` and keeps the first read error (a Swift error cannot
/// cross the C callback).
final class XMLInputContext {
    let file: FileInput
    var failure: ReadError?

    init(_ file: FileInput) { self.file = file }
}

private func xmlInputRead(_ context: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ length: Int32)
    -> Int32
{
    guard let context, let buffer, length > 0 else { return -1 }
    let io = Unmanaged<XMLInputContext>.fromOpaque(context).takeUnretainedValue()
    do {
        return Int32(try io.file.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(length))))
    } catch let error as ReadError {
        io.failure = error
        return -1
    } catch {
        io.failure = ReadError(ReaderCode.ioError, "\(error)", at: SourceLocation(file: io.file.path))
        return -1
    }
}

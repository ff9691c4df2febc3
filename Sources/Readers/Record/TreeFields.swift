/// The fields of one JSON object or XML element, as a small tree stored in two arrays: the
/// nodes, and the UTF-8 bytes of every value laid end to end. A value becomes a `String` only
/// when asked for; ``withValueBytes(of:_:)`` reads it without one.
///
/// Node 0 is the record itself. XML attributes are child nodes named `@name`; JSON array items
/// are child nodes of the array with an empty name.
public struct TreeFields: Sendable {
    public enum Kind: UInt8, Sendable {
        /// JSON: `number` is kept apart from other scalars because it is always written with `.`.
        case object, array, scalar, number, null, element, attribute
    }

    public struct Node: Sendable {
        public var name: String
        /// Index into ``TreeFields/namespaces``, or -1 for none.
        var namespaceIndex: Int16
        public var kind: Kind
        /// The value's bytes in ``TreeFields/bytes``; `valueStart < 0` means no value.
        var valueStart: Int32 = -1
        var valueEnd: Int32 = -1
        public var parent: Int32
        public var firstChild: Int32 = -1
        public var nextSibling: Int32 = -1
        /// Last child, kept while building so appending is O(1).
        var lastChild: Int32 = -1

        /// True when the node has a value (scalar, attribute, element text), even an empty one.
        public var hasValue: Bool { valueStart >= 0 }
    }

    /// A node's position in ``nodes``.
    public typealias NodeID = Int

    public internal(set) var nodes: [Node]
    /// Every value's UTF-8 bytes.
    public internal(set) var bytes: [UInt8]
    /// Namespace URIs, shared by all records of a file.
    public internal(set) var namespaces: [String]
    /// Base of `[n]` indexes in paths: 0 for JSON, 1 for XML.
    let indexBase: Int
    /// The values of the reader's ``ReaderOptions/contextPaths`` when the record was read, in
    /// that order; nil where none was met.
    public internal(set) var context: [String?] = []

    init(indexBase: Int) {
        self.nodes = []
        self.bytes = []
        self.namespaces = []
        self.indexBase = indexBase
    }

    /// A copy in storage of its own, sized to fit (see ``Record/detached(source:)``).
    func detached() -> TreeFields {
        var copy = self
        copy.nodes = []
        copy.nodes.reserveCapacity(nodes.count)
        copy.nodes.append(contentsOf: nodes)
        copy.bytes = bytes.exactCopy()
        return copy
    }

    // MARK: Building

    mutating func reset(rootName: String, namespace: Int16 = -1, kind: Kind) {
        nodes.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
        nodes.append(Node(name: rootName, namespaceIndex: namespace, kind: kind, parent: -1))
    }

    @discardableResult
    mutating func append(to parent: NodeID, name: String, namespace: Int16 = -1, kind: Kind) -> NodeID {
        let id = Int32(nodes.count)
        nodes.append(Node(name: name, namespaceIndex: namespace, kind: kind, parent: Int32(parent)))
        let last = nodes[parent].lastChild
        if last < 0 {
            nodes[parent].firstChild = id
        } else {
            nodes[Int(last)].nextSibling = id
        }
        nodes[parent].lastChild = id
        return Int(id)
    }

    /// Appends a child with a value.
    @discardableResult
    mutating func append(
        to parent: NodeID, name: String, namespace: Int16 = -1, kind: Kind, value: UnsafeBufferPointer<UInt8>
    ) -> NodeID {
        let id = append(to: parent, name: name, namespace: namespace, kind: kind)
        setValue(of: id, value)
        return id
    }

    mutating func setValue(of node: NodeID, _ value: UnsafeBufferPointer<UInt8>) {
        nodes[node].valueStart = Int32(truncatingIfNeeded: bytes.count)
        bytes.append(contentsOf: value)
        nodes[node].valueEnd = Int32(truncatingIfNeeded: bytes.count)
    }

    mutating func setValue(of node: NodeID, _ value: String) {
        var value = value
        value.withUTF8 { setValue(of: node, $0) }
    }

    mutating func setNamespaces(_ table: [String]) {
        namespaces = table
    }

    // MARK: Reading

    /// A node's value as text, or nil when it has none.
    public func value(of node: NodeID) -> String? {
        let n = nodes[node]
        guard n.valueStart >= 0 else { return nil }
        return bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[Int(n.valueStart)..<Int(n.valueEnd)]), as: UTF8.self)
        }
    }

    /// Calls `body` with a node's value bytes, without making a `String`; nil when it has none.
    public func withValueBytes<R, E: Error>(
        of node: NodeID, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R
    )
        throws(E) -> R?
    {
        let n = nodes[node]
        guard n.valueStart >= 0 else { return nil }
        return try bytes.withUnsafeBufferPointer { (buffer) throws(E) -> R in
            try body(UnsafeBufferPointer(rebasing: buffer[Int(n.valueStart)..<Int(n.valueEnd)]))
        }
    }

    /// A node's namespace URI, or nil.
    public func namespace(of node: NodeID) -> String? {
        let index = Int(nodes[node].namespaceIndex)
        return index >= 0 && index < namespaces.count ? namespaces[index] : nil
    }

    /// The children of a node, in order.
    public func children(of node: NodeID) -> some Sequence<NodeID> {
        sequence(first: Int(nodes[node].firstChild)) { Int(self.nodes[$0].nextSibling) }.lazy.prefix { $0 >= 0 }
    }

    /// Every node the path reaches from `start` (the record by default), arrays expanded.
    public func nodes(at path: FieldPath, from start: NodeID = 0) -> [NodeID] {
        var current = [start]
        for step in path.steps {
            var next: [NodeID] = []
            for node in current {
                for child in children(of: node) where matches(child, step) {
                    if nodes[child].kind == .array {
                        next.append(contentsOf: children(of: child))
                    } else {
                        next.append(child)
                    }
                }
            }
            if let index = step.index {
                let i = index - indexBase
                next = next.indices.contains(i) ? [next[i]] : []
            }
            current = next
            if current.isEmpty { break }
        }
        return current
    }

    /// The first node the path reaches, or nil.
    public func node(at path: FieldPath, from start: NodeID = 0) -> NodeID? {
        if path.steps.contains(where: { $0.index != nil }) {
            return nodes(at: path, from: start).first
        }
        // Fast path: follow first matches only, no arrays allocated.
        var node = start
        for step in path.steps {
            guard let child = children(of: node).first(where: { matches($0, step) }) else { return nil }
            node = child
            if nodes[node].kind == .array {
                let first = Int(nodes[node].firstChild)
                guard first >= 0 else { return nil }
                node = first
            }
        }
        return node == start ? nil : node
    }

    /// The value of the first node the path reaches, or nil.
    public func string(at path: FieldPath, from start: NodeID = 0) -> String? {
        node(at: path, from: start).flatMap { value(of: $0) }
    }

    @inline(__always)
    private func matches(_ id: NodeID, _ step: FieldPath.Step) -> Bool {
        let node = nodes[id]
        if step.name == "*" {
            return node.kind != .attribute && (step.namespace == nil || namespace(of: id) == step.namespace)
        }
        return node.name == step.name && (step.namespace == nil || namespace(of: id) == step.namespace)
    }

    /// Values as (path, value) pairs in document order, for display. Array items and repeated
    /// elements get an index (`lines[0].amount`, `Line[2]/Amount`).
    public func flattened(separator: String) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        walk(0, path: "", separator: separator, into: &out)
        return out
    }

    private func walk(_ id: NodeID, path: String, separator: String, into out: inout [(name: String, value: String)]) {
        let node = nodes[id]
        if let value = value(of: id) {
            if id != 0 || !value.isEmpty { out.append((path, value)) }
        } else if id != 0, node.kind == .null {
            out.append((path, ""))
        }
        var totals: [String: Int] = [:]
        if node.kind != .array {
            for kid in children(of: id) { totals[nodes[kid].name, default: 0] += 1 }
        }
        var seen: [String: Int] = [:]
        for (position, kid) in children(of: id).enumerated() {
            let childPath: String
            if node.kind == .array {
                childPath = path + "[\(position + indexBase)]"
            } else {
                let name = nodes[kid].name
                var label = name
                if totals[name, default: 1] > 1 {
                    let n = seen[name, default: 0]
                    seen[name] = n + 1
                    label += "[\(n + indexBase)]"
                }
                childPath = path.isEmpty ? label : path + separator + label
            }
            walk(kid, path: childPath, separator: separator, into: &out)
        }
    }
}

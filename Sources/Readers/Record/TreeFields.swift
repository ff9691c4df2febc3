/// The fields of one JSON object or XML element, as a small tree stored in one array.
///
/// Node 0 is the record itself. XML attributes are child nodes named `@name`; JSON array items
/// are child nodes of the array with an empty name.
public struct TreeFields: Sendable {
    public enum Kind: UInt8, Sendable {
        case object, array, scalar, null, element, attribute
    }

    public struct Node: Sendable {
        public var name: String
        public var namespace: String?
        /// Scalar value, attribute value, or an element's text (nil when it has none).
        public var value: String?
        public var kind: Kind
        public var parent: Int32
        public var firstChild: Int32 = -1
        public var nextSibling: Int32 = -1
        /// Last child, kept while building so appending is O(1).
        var lastChild: Int32 = -1
    }

    /// A node's position in ``nodes``.
    public typealias NodeID = Int

    public internal(set) var nodes: [Node]
    /// Base of `[n]` indexes in paths: 0 for JSON, 1 for XML.
    let indexBase: Int

    init(indexBase: Int) {
        self.nodes = []
        self.indexBase = indexBase
    }

    // MARK: Building

    mutating func reset(rootName: String, namespace: String?, kind: Kind) {
        nodes.removeAll(keepingCapacity: true)
        nodes.append(Node(name: rootName, namespace: namespace, value: nil, kind: kind, parent: -1))
    }

    @discardableResult
    mutating func append(
        to parent: NodeID, name: String, namespace: String? = nil, value: String?, kind: Kind
    ) -> NodeID {
        let id = Int32(nodes.count)
        nodes.append(Node(name: name, namespace: namespace, value: value, kind: kind, parent: Int32(parent)))
        let last = nodes[parent].lastChild
        if last < 0 {
            nodes[parent].firstChild = id
        } else {
            nodes[Int(last)].nextSibling = id
        }
        nodes[parent].lastChild = id
        return Int(id)
    }

    mutating func setValue(_ value: String?, of node: NodeID) {
        nodes[node].value = value
    }

    // MARK: Reading

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
                for child in children(of: node) where matches(nodes[child], step) {
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

    /// The value of the first node the path reaches, or nil.
    public func string(at path: FieldPath, from start: NodeID = 0) -> String? {
        if path.steps.contains(where: { $0.index != nil }) {
            return nodes(at: path, from: start).first.flatMap { nodes[$0].value }
        }
        // Fast path: walk first matches only, no arrays allocated.
        var node = start
        for step in path.steps {
            guard let child = children(of: node).first(where: { matches(nodes[$0], step) }) else { return nil }
            node = child
            if nodes[node].kind == .array {
                let first = Int(nodes[node].firstChild)
                guard first >= 0 else { return nil }
                node = first
            }
        }
        return node == start ? nil : nodes[node].value
    }

    @inline(__always)
    private func matches(_ node: Node, _ step: FieldPath.Step) -> Bool {
        if step.name == "*" { return node.kind != .attribute && (step.namespace == nil || node.namespace == step.namespace) }
        return node.name == step.name && (step.namespace == nil || node.namespace == step.namespace)
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
        if let value = node.value {
            out.append((path, value))
        } else if id != 0, node.kind == .null || (node.kind == .element && node.firstChild < 0) {
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

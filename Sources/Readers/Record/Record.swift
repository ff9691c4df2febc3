public import LedgerModel

/// One record read from a file: a CSV row, a JSON object, an XML element — with where it came
/// from and its fields.
///
/// CSV fields are addressed by column index (resolve names once with
/// ``SourceFile/columnIndex(named:)``); JSON and XML fields by ``FieldPath``. Records are values:
/// keeping one is safe, dropping it lets the reader reuse its storage.
public struct Record: Sendable {
    public private(set) var source: SourceFile
    /// 1-based position among the file's records (the header is not a record).
    public internal(set) var number: Int
    /// 1-based line where the record starts.
    public internal(set) var line: Int
    public var fields: Fields
    /// Problems with this record found while reading (wrong field count, not an object, …).
    /// A record with an error here must not be booked; it still gets a status in the report.
    public var diagnostics: [Diagnostic]

    public enum Fields: Sendable {
        case columns(ColumnFields)
        case tree(TreeFields)
    }

    init(source: SourceFile, number: Int, line: Int, fields: Fields, diagnostics: [Diagnostic] = []) {
        self.source = source
        self.number = number
        self.line = line
        self.fields = fields
        self.diagnostics = diagnostics
    }

    /// Where this record is, for diagnostics and reports.
    public var location: SourceLocation {
        switch source.format {
        case .csv, .jsonLines:
            return source.location(line: line)
        case .json:
            return source.location(line: line, element: "\(source.recordPath ?? "")[\(number - 1)]")
        case .xml:
            return source.location(line: line, element: "\(source.recordPath ?? "")[\(number)]")
        }
    }

    /// True when reading found an error in this record.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// The value of a CSV column, or nil past the row's end or for tree records.
    public func string(column: Int) -> String? {
        guard case .columns(let columns) = fields else { return nil }
        return columns.string(at: column)
    }

    /// The first value at a path, or nil. For CSV records the path's first step names a column.
    public func string(at path: FieldPath) -> String? {
        switch fields {
        case .tree(let tree):
            return tree.string(at: path)
        case .columns(let columns):
            guard path.steps.count == 1, let i = source.columnIndex(named: path.steps[0].name) else { return nil }
            return columns.string(at: i)
        }
    }

    /// Makes this CSV record the next one, in place: `fill` writes its fields into the column
    /// storage it already has. False, with nothing changed, for a tree record.
    ///
    /// The fields are swapped out and back, so no reference is counted, and the source and
    /// diagnostics are assigned only when they change: building a new record over the old one
    /// counted about nine references a row.
    mutating func refillColumns(
        number: Int, line: Int, source: SourceFile, diagnostics: [Diagnostic], _ fill: (inout ColumnFields) -> Void
    ) -> Bool {
        guard case .columns = fields else { return false }
        var taken = Fields.columns(ColumnFields(bytes: [], ends: []))
        swap(&taken, &fields)
        guard case .columns(var columns) = consume taken else { preconditionFailure("checked above") }
        fill(&columns)
        fields = .columns(columns)
        self.number = number
        self.line = line
        if self.source !== source { self.source = source }
        if !diagnostics.isEmpty || !self.diagnostics.isEmpty { self.diagnostics = diagnostics }
        return true
    }

    /// The record with storage of its own, sized to fit. A reader reuses its buffers for the
    /// next record once the last one is dropped; a record kept past that (handed to another
    /// thread, say) would otherwise leave the reader to allocate fresh, roomy ones.
    ///
    /// `source`, when given, replaces the record's own: a ``SourceFile/copy()`` kept by the thread
    /// that holds the record, so threads do not all count references on one object.
    public func detached(source: SourceFile? = nil) -> Record {
        var copy = self
        if let source { copy.source = source }
        switch fields {
        case .columns(let columns): copy.fields = .columns(columns.detached())
        case .tree(let tree): copy.fields = .tree(tree.detached())
        }
        return copy
    }

    /// ``detached(source:)`` into `target`: a row's bytes go into `target`'s own buffers when
    /// nothing else holds them, so a thread that keeps batch after batch of rows reuses the last
    /// batch's storage instead of allocating two buffers a row. Trees are detached as usual.
    public func detach(into target: inout Record, source: SourceFile? = nil) {
        guard case .columns(let theirs) = fields, case .columns(var buffers) = target.fields else {
            target = detached(source: source)
            return
        }
        // Let go of the target's own reference, so `buffers` holds the only one (if no one else does).
        target.fields = .columns(ColumnFields(bytes: [], ends: []))
        buffers.bytes.removeAll(keepingCapacity: true)
        buffers.bytes.append(contentsOf: theirs.bytes)
        buffers.ends.removeAll(keepingCapacity: true)
        buffers.ends.append(contentsOf: theirs.ends)
        // Built field by field: copying `self` whole would count references on its buffers too.
        target = Record(
            source: source ?? self.source, number: number, line: line, fields: .columns(buffers),
            diagnostics: diagnostics)
    }

    /// All fields as (name or path, value) pairs in document order, for display.
    public func flattened() -> [(name: String, value: String)] {
        switch fields {
        case .columns(let columns):
            return (0..<columns.count).map { i in
                (i < source.columns.count ? source.columns[i] : "column \(i + 1)", columns.string(at: i) ?? "")
            }
        case .tree(let tree):
            return tree.flattened(separator: source.format == .xml ? "/" : ".")
        }
    }
}

/// The fields of one CSV row: UTF-8 bytes laid end to end, and where each field ends.
public struct ColumnFields: Sendable {
    @usableFromInline var bytes: [UInt8]
    @usableFromInline var ends: [Int32]

    init(bytes: [UInt8], ends: [Int32]) {
        self.bytes = bytes
        self.ends = ends
    }

    /// The number of fields in the row.
    @inlinable public var count: Int { ends.count }

    /// The field's text.
    @inlinable public func string(at index: Int) -> String? {
        guard index >= 0, index < ends.count else { return nil }
        let start = index == 0 ? 0 : Int(ends[index - 1])
        let end = Int(ends[index])
        return bytes.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
        }
    }

    func detached() -> ColumnFields {
        ColumnFields(bytes: bytes.exactCopy(), ends: ends.exactCopy())
    }

    /// Calls `body` with all the row's field bytes laid end to end and where each field ends.
    @inlinable public func withStorage<R>(
        _ body: (_ bytes: UnsafeBufferPointer<UInt8>, _ ends: UnsafeBufferPointer<Int32>) -> R
    ) -> R {
        bytes.withUnsafeBufferPointer { bytes in ends.withUnsafeBufferPointer { ends in body(bytes, ends) } }
    }

    /// Calls `body` with the field's UTF-8 bytes, without making a `String`; the fast path for
    /// parsing numbers and dates.
    @inlinable public func withUTF8<R, E: Error>(
        at index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R
    ) throws(E) -> R? {
        try bytes.withUnsafeBufferPointer { (bytes) throws(E) -> R? in
            try ends.withUnsafeBufferPointer { (ends) throws(E) -> R? in
                guard let field = ColumnView(bytes: bytes, ends: ends).field(index) else { return nil }
                return try body(field)
            }
        }
    }
}

/// A CSV row's bytes and field ends as pointers, valid only inside ``ColumnFields/withStorage(_:)``:
/// a caller that reads many fields of one row takes the storage once and reads through this.
public struct ColumnView {
    public let bytes: UnsafeBufferPointer<UInt8>
    public let ends: UnsafeBufferPointer<Int32>

    @inlinable
    public init(bytes: UnsafeBufferPointer<UInt8>, ends: UnsafeBufferPointer<Int32>) {
        self.bytes = bytes
        self.ends = ends
    }

    /// The field's bytes, or nil past the row's end.
    @inlinable
    public func field(_ index: Int) -> UnsafeBufferPointer<UInt8>? {
        guard index >= 0, index < ends.count else { return nil }
        let start = index == 0 ? 0 : Int(ends[index - 1])
        return UnsafeBufferPointer(rebasing: bytes[start..<Int(ends[index])])
    }
}

extension Array where Element: BitwiseCopyable {
    /// A copy in storage of its own, with no spare capacity.
    func exactCopy() -> [Element] {
        withUnsafeBufferPointer { source in
            [Element](unsafeUninitializedCapacity: source.count) { target, count in
                _ = target.initialize(fromContentsOf: source)
                count = source.count
            }
        }
    }
}

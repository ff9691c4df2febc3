import Crypto
import Foundation
public import LedgerModel
public import Readers

/// What became of source rows: a document, or rows rejected or skipped with the reason.
/// Every record read ends in exactly one event.
public enum MappingEvent: Sendable {
    case document(Document)
    case rejected(RowOutcome)
    case skipped(RowOutcome)
}

/// Rows that did not become a document, and why.
public struct RowOutcome: Sendable, Hashable, Codable {
    public var file: String
    public var rows: [SourceRow]
    /// One line for the report: the first diagnostic's message, or the skip rule's reason.
    public var reason: String
    public var diagnostics: [Diagnostic]

    public init(file: String, rows: [SourceRow], reason: String, diagnostics: [Diagnostic] = []) {
        self.file = file
        self.rows = rows
        self.reason = reason
        self.diagnostics = diagnostics
    }
}

/// Counts of what a file turned into so far.
public struct MappingStats: Sendable, Hashable, Codable {
    public var records = 0
    public var documents = 0
    public var lines = 0
    public var rowsInDocuments = 0
    public var rowsRejected = 0
    public var rowsSkipped = 0

    public init() {}
}

/// Turns the records of one file into documents, streaming: it holds only the rows of the
/// group being built (or, with `group_by.order: any`, at most `buffer_rows` rows).
///
/// With `workers` above 1 and no `group_by`, rows are mapped on that many threads, a batch of
/// records at a time, and handed out in file order; what comes out is the same as with one. A
/// `check` (validation without its run-wide part, say) then runs on the workers too.
public final class DocumentBuilder {
    /// Work on one document that needs nothing but the document, so it can run on a worker.
    public typealias Check = (inout Document) -> [Diagnostic]

    public let bound: BoundMapping
    public private(set) var stats = MappingStats()
    /// With `control_totals:`: the record the totals are read from (the first, a header; or the
    /// last, a trailer), the statement's account, and the documents' postings so far.
    private var totalsRecord: Record?
    /// Rows still to skip after an `also_skip` rule's row, and why.
    private var skipping: (remaining: Int, reason: String)?
    /// A skip rule skips rows after its own (`also_skip`).
    private let skipsFollowing: Bool
    /// The mapping names control totals.
    private let hasControls: Bool
    private var statementAccount: AccountNumber?
    private var sums = ControlSums()

    private let reader: any RecordReader
    private let mapper: RowMapper
    private let check: Check?
    private let spec: CompiledMapping.DocumentSpec
    private var counter = ReferenceCounter()
    /// Whether the counter's table was sized for the file's estimated number of records.
    private var sized = false
    let pipeline: MappingPipeline?
    /// The current batch, last first: `batch[0..<unread]` are not handed out yet, the rest have
    /// been (moved out, or lent). The whole array goes back to the worker that mapped it, which
    /// destroys what is left in it: the documents' memory is freed on the thread that allocated
    /// it, and their texts' reference counts never leave that thread's core.
    private var batch: [Mapped] = []
    private var unread = 0
    /// The pipeline worker that mapped `batch`.
    private var batchWorker = 0
    /// What stopped the pipeline's reading, thrown once `batch` is handed out.
    private var pendingError: (any Error)?
    private var finished = false
    // Grouping
    private var openKey: String?
    private var openRows: [RowState] = []
    private var closedKeys: Set<String> = []
    private var buffered: [String: [RowState]] = [:]
    private var bufferedOrder: [String] = []
    private var bufferedCount = 0

    /// `attachmentFolder`: where relative attachment paths start; by default the source file's
    /// folder (an inbox gives the folder the file was dropped into, not the one it is read from).
    /// `makeCheck` is called once per worker, on this thread, for a check of its own.
    public init(
        _ bound: BoundMapping, reader: any RecordReader, attachmentFolder: String? = nil, workers: Int = 1,
        makeCheck: (() -> Check)? = nil
    ) throws {
        self.bound = bound
        self.reader = reader
        skipsFollowing = bound.mapping.skips.contains { $0.alsoSkip != nil }
        hasControls = bound.mapping.controls != nil
        self.spec = bound.mapping.document
        var fileDigest: [UInt8]?
        if case .file = spec.reference { fileDigest = try Self.digestFile(bound.source.path) }
        mapper = RowMapper(bound, fileDigest: fileDigest, attachmentFolder: attachmentFolder)
        // Control totals are read from the first record, which the workers would not hand back.
        if workers > 1 && spec.group == nil && bound.mapping.controls == nil {
            check = nil
            pipeline = MappingPipeline(
                reader: reader,
                workers: (0..<workers).map { _ in
                    let source = reader.source.copy()
                    return MappingPipeline.Worker(
                        mapper: RowMapper(
                            bound, fileDigest: fileDigest, attachmentFolder: attachmentFolder, source: source),
                        check: makeCheck?(), source: source)
                })
        } else {
            check = makeCheck?()
            pipeline = nil
        }
    }

    deinit { pipeline?.stop() }

    /// Whether every document this builder makes has a reference no other of its documents has:
    /// true when references are derived from the content (repeated content is counted), false
    /// when the mapping writes them (a written column may repeat).
    public var referencesAreDistinct: Bool {
        if case .template = spec.reference { return false }
        return true
    }

    /// The next event, or nil when the file is done. Throws ``ReadError`` when the file cannot
    /// be read on, ``MappingError`` when grouping cannot go on.
    public func next() throws -> MappingEvent? {
        try nextChecked()?.event
    }

    /// The next event and, for a document, what the builder's check said of it (nil without a
    /// check); nil when the file is done.
    public func nextChecked() throws -> (event: MappingEvent, diagnostics: [Diagnostic]?)? {
        guard let i = try advance() else { return nil }
        return batch[i].take()
    }

    /// Lends the next event, and what the builder's check said of it, to `body`, and returns what
    /// it returns; nil when the file is done. Nothing is copied or moved: a consumer that needs
    /// only to read each document (plan, validation, the benchmarks) pays no reference counting
    /// and frees nothing.
    public func withNext<Result>(
        _ body: (borrowing MappingEvent, [Diagnostic]?) throws -> Result
    ) throws -> Result? {
        guard let i = try advance() else { return nil }
        // Moved out of the batch for the call and back after it: lent straight from the array,
        // the event was copied (each of its texts retained and released), as `body` might have
        // changed the array under it.
        return try batch.withUnsafeMutableBufferPointer { batch in
            let slot = batch.baseAddress! + i
            let mapped = slot.move()
            defer { slot.initialize(to: consume mapped) }
            return try body(mapped.event, mapped.diagnostics)
        }
    }

    /// Moves to the next event, reading or taking a batch when the current one is used up, and
    /// counts it (the check ran as its document was made); its index in `batch`, or nil when
    /// the file is done.
    private func advance() throws -> Int? {
        while unread == 0 {
            if let error = pendingError {
                pendingError = nil
                finished = true
                throw error
            }
            if finished { return nil }
            if let pipeline {
                var used: [Mapped] = []
                swap(&used, &batch)
                var done = pipeline.take(giving: used, to: batchWorker)
                stats.records += done.records
                swap(&batch, &done.mapped)  // moved, not copied: it comes last first
                batchWorker = done.worker
                pendingError = done.error
                finished = done.isLast
                if !sized, let estimate = done.progress?.estimatedRecords(after: stats.records, minimumBytes: 4 << 20) {
                    // Room for every content at once, with a tenth to spare: growing the table
                    // step by step moved each content about four times.
                    counter.reserve(estimate + estimate / 10)
                    sized = true
                }
            } else {
                batch.removeAll(keepingCapacity: true)
                if let record = try reader.next() {
                    stats.records += 1
                    if let controls = bound.mapping.controls {
                        // The totals' record: the first (a header), or each in turn until the last (a trailer).
                        if stats.records == 1 || controls.fromLast { totalsRecord = record }
                        if stats.records == 1 { statementAccount = mapper.statementAccount(controls, first: record) }
                    }
                    try process(record)
                } else {
                    finished = true
                    flushAll()
                }
                batch.reverse()
            }
            unread = batch.count
            countOccurrences()
        }
        unread -= 1
        if skipsFollowing { alsoSkip(&batch[unread]) }
        if hasControls { addUp(batch[unread].event) }
        count(batch[unread].event)
        return unread
    }

    /// Counts the repeated content of the documents in `batch` (last first, so counted from the
    /// end: file order), all at once. Each count is a cache miss in a table of every content
    /// seen, about 10 MB at a million rows; reading every slot first, in a loop that does
    /// nothing else, lets the processor wait for many misses at a time (perf: the table's share
    /// of the CPU went from 6.9 % to 5.8 %).
    private func countOccurrences() {
        for i in batch.indices {
            if let digest = batch[i].digest { counter.touch(digest) }
        }
        for i in batch.indices.reversed() {
            if let digest = batch[i].digest { counter.count(digest, &batch[i].event) }
        }
    }

    /// Rows after one a skip rule with `also_skip` skipped: skipped too, in file order (rows are
    /// mapped on several threads, so this is decided here, where they come back in order).
    private func alsoSkip(_ mapped: inout Mapped) {
        if let (remaining, reason) = skipping {
            let rows: [SourceRow]
            switch mapped.event {
            case .document(let document): rows = document.provenance.rows
            case .rejected(let outcome), .skipped(let outcome): rows = outcome.rows
            }
            mapped = Mapped(event: .skipped(RowOutcome(file: bound.source.path, rows: rows, reason: reason)))
            skipping = remaining > 1 ? (remaining - 1, reason) : nil
            return
        }
        guard mapped.skipRule >= 0, case .skipped(let outcome) = mapped.event,
            let also = bound.mapping.skips[Int(mapped.skipRule)].alsoSkip
        else { return }
        let line = outcome.rows.first?.line ?? 0
        switch also {
        case .rest: skipping = (Int.max, "after \(outcome.reason) (line \(line))")
        case .next(let n): skipping = (n, "one of the \(n) rows after \(outcome.reason) (line \(line))")
        }
    }

    /// Adds a document's postings to the sums its file's control totals are compared with.
    private func addUp(_ event: borrowing MappingEvent) {
        switch event {
        case .document(let document): sums.add(document, account: statementAccount)
        case .rejected, .skipped: break
        }
    }

    private func count(_ event: borrowing MappingEvent) {
        switch event {
        case .document(let document):
            stats.documents += 1
            stats.lines += document.lines.count
            stats.rowsInDocuments += document.provenance.rowCount
        case .rejected(let outcome): stats.rowsRejected += outcome.rows.count
        case .skipped(let outcome): stats.rowsSkipped += outcome.rows.count
        }
    }

    /// The file's own totals against its documents', once every event has been taken; empty
    /// when the mapping names none.
    public var controlTotals: [ControlTotal] {
        guard let controls = bound.mapping.controls else { return [] }
        var sums = sums
        sums.records = stats.records
        return mapper.controlTotals(controls, first: totalsRecord, sums: sums)
    }

    // MARK: Rows

    private func process(_ record: Record) throws {
        guard let group = spec.group else {
            batch.append(mapper.map(record, check: check))
            return
        }
        let row: RowState
        switch mapper.prepare(record) {
        case .row(let prepared): row = prepared
        case .skipped(let outcome, let rule):
            return batch.append(Mapped(event: .skipped(outcome), skipRule: Int32(rule ?? -1)))
        case .rejected(let outcome): return batch.append(Mapped(event: .rejected(outcome)))
        }
        let key: String
        switch mapper.groupKey(group.key, row) {
        case .success(let text): key = text
        case .failure(let error):
            let source = SourceRow(record: record.number, line: record.line)
            return reject([source], [mapper.diagnostic(error, row)])
        }
        switch group.order {
        case .sorted:
            if key == openKey {
                openRows.append(row)
            } else if closedKeys.contains(key) {
                reject(
                    [SourceRow(record: record.number, line: record.line)],
                    [
                        .error(
                            MappingCode.groupNotTogether,
                            "this row belongs to a voucher whose rows came earlier, with other rows in between",
                            hint: "sort the file by the group key, or set `group_by.order: any`",
                            at: record.location)
                    ])
            } else {
                flushOpen()
                openKey = key
                openRows = [row]
            }
        case .any:
            if buffered[key] == nil { bufferedOrder.append(key) }
            buffered[key, default: []].append(row)
            bufferedCount += 1
            if bufferedCount > group.bufferRows {
                throw MappingError([
                    .error(
                        MappingCode.groupBufferFull,
                        "more than \(group.bufferRows) rows are waiting for their voucher to be complete",
                        hint:
                            "sort the file by the group key (then use order: sorted), or raise `group_by.buffer_rows`",
                        at: group.location)
                ])
            }
        }
    }

    private func flushOpen() {
        guard let key = openKey else { return }
        closedKeys.insert(key)
        batch.append(mapper.build(openRows, check: check))
        openKey = nil
        openRows = []
    }

    private func flushAll() {
        flushOpen()
        for key in bufferedOrder {
            if let rows = buffered[key] { batch.append(mapper.build(rows, check: check)) }
        }
        buffered = [:]
        bufferedOrder = []
    }

    private func reject(_ rows: [SourceRow], _ diagnostics: [Diagnostic]) {
        batch.append(Mapped(event: .rejected(mapper.rejection(rows, diagnostics))))
    }

    static func digestFile(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ReadError(
                .error(ReaderCode.cannotOpen, "cannot open to compute its digest", at: SourceLocation(file: path)))
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return Array(hasher.finalize())
    }
}

import Foundation
import LedgerModel
import Readers

/// Maps the records of one file on several threads and gives the results back in file order.
///
/// Each worker takes the reader in turn, reads a batch of records, lets go of the reader and
/// maps the batch with its own ``RowMapper`` (and check), so reading and mapping overlap and
/// the work spreads over the workers whatever its mix. Batches carry sequence numbers; the
/// consumer takes them in order. At most `window` batches are read ahead of the consumer, which
/// bounds memory whatever the file's size.
///
/// Everything that must see the rows in file order (counting repeated content, counting rows)
/// stays with the consumer, in ``DocumentBuilder``.
final class MappingPipeline: @unchecked Sendable {
    /// One worker's own state. Touched only by its thread once started.
    struct Worker {
        var mapper: RowMapper
        var check: DocumentBuilder.Check?
        /// The worker's own copy of the source, put in the records it maps.
        var source: SourceFile
    }

    /// A batch mapped: its events last first, how many records it had, the error that stopped
    /// reading after them, if one did, and which worker mapped it.
    struct Batch {
        var mapped: [Mapped]
        var records: Int
        var error: (any Error)?
        var isLast: Bool
        var worker: Int
        /// Where the reader was after the batch.
        var progress: ReadProgress?
    }

    /// Records a batch. Each batch costs the threads a hand-over (a lock, often a wake-up and a
    /// context switch): 256 against 128 takes a read → plan of the 1M-row bank file from about
    /// 8,300 context switches to 5,000 and was faster in 4 of 5 alternating runs, for about
    /// 0.5 MB more at the peak (the batches a lending consumer hands back hold their documents
    /// until their worker empties them).
    static let batchSize = 256

    // The reader and the read position, under `readLock`.
    private let readLock = NSLock()
    private let reader: any RecordReader
    private var nextSequence = 0
    private var readingDone = false

    // Results and flow control, under `monitor`. Each kind of waiter has its own condition and
    // is woken only when what it waits for may have come: waking every thread at every batch
    // (one condition, broadcast) woke the consumer for batches it could not take yet, and each
    // wake-up that found a core busy put a worker off it.
    private let monitor = Monitor(conditions: 3)
    /// The consumer, for the next batches in order.
    private static let batchesReady = 0
    /// Workers, for room in the window.
    private static let roomInWindow = 1
    /// ``stopAndWait()`` and ``waitUntilBlocked()``, for workers to end or to wait.
    private static let workersChanged = 2
    private var results: [Int: Batch] = [:]
    private var taken = 0
    private var reserved = 0
    private var stopped = false
    /// The sequence number of the last batch, once a worker has read it.
    private var lastSequence: Int?
    /// Who waits: the consumer, how many workers for room, how many callers for the workers.
    private var consumerWaits = false
    private var workersWaiting = 0
    private var watchers = 0
    /// Workers not yet ended.
    private var running = 0

    /// Once the consumer has had to wait, it waits for this many batches in order (or the last
    /// ones): being woken, and taking a core from a worker, once every few batches instead of at
    /// nearly every one. It is less than the window, so the workers can always map them.
    static let wakeBatches = 3

    /// Batch arrays the consumer is done with, per worker, for it to empty and fill again: a
    /// batch's array is tens of kilobytes, and allocating one for every batch cost about 140
    /// instructions a row. Each goes back to the worker that filled it, which destroys the events
    /// still in it: memory is freed by the thread that allocated it, and the reference counts of
    /// what the documents share with their worker (its path string) are counted down on that
    /// worker's core, not on the consumer's.
    private var spares: [[[Mapped]]]
    let window: Int

    init(reader: any RecordReader, workers: [Worker]) {
        self.reader = reader
        window = 2 * workers.count + 2
        running = workers.count
        spares = Array(repeating: [], count: workers.count)
        for (index, worker) in workers.enumerated() {
            let box = WorkerBox(worker)
            let thread = Thread { [self] in run(box.worker, index: index) }
            thread.name = "ledgerlift-map-\(index + 1)"
            thread.start()
        }
    }

    /// Lets the workers go: they finish the batch in hand and end. Called when the builder goes.
    func stop() {
        monitor.lock()
        stopped = true
        for condition in 0..<monitor.count { monitor.broadcast(condition) }
        monitor.unlock()
    }

    /// Stops the workers and waits until every one has ended.
    func stopAndWait() {
        stop()
        monitor.lock()
        watchers += 1
        while running > 0 { monitor.wait(Self.workersChanged) }
        watchers -= 1
        monitor.unlock()
    }

    /// Waits until every worker still running waits for the consumer; returns how many batches
    /// are mapped and not taken.
    func waitUntilBlocked() -> Int {
        monitor.lock()
        defer { monitor.unlock() }
        watchers += 1
        while workersWaiting < running { monitor.wait(Self.workersChanged) }
        watchers -= 1
        return results.count
    }

    /// The next batch in file order, waiting for it when it is not mapped yet. `used`, the
    /// array of the batch the caller is done with, goes back to `worker`, which mapped it.
    func take(giving used: consuming [Mapped], to worker: Int) -> Batch {
        monitor.lock()
        defer { monitor.unlock() }
        if used.capacity >= Self.batchSize && spares[worker].count <= window { spares[worker].append(used) }
        if results[taken] == nil {
            consumerWaits = true
            while !consumerMayGo { monitor.wait(Self.batchesReady) }
            consumerWaits = false
        }
        let batch = results.removeValue(forKey: taken)!
        taken += 1
        if workersWaiting > 0 { monitor.signal(Self.roomInWindow) }
        return batch
    }

    /// Whether the consumer, once it has had to wait, has enough to go on: the next
    /// ``wakeBatches`` batches, or every batch up to the last, or all the workers have ended.
    private var consumerMayGo: Bool {
        guard results[taken] != nil else { return false }
        if running == 0 { return true }
        var end = taken + Self.wakeBatches
        if let lastSequence { end = min(end, lastSequence + 1) }
        guard end > taken + 1 else { return true }
        for sequence in (taken + 1)..<end where results[sequence] == nil { return false }
        return true
    }

    private func run(_ worker: Worker, index: Int) {
        defer {
            monitor.lock()
            running -= 1
            monitor.broadcast(Self.batchesReady)
            if watchers > 0 { monitor.broadcast(Self.workersChanged) }
            monitor.unlock()
        }
        // Held here, not read out of `worker` for every row (which retains and releases them).
        let mapper = worker.mapper
        let check = worker.check
        // The records of the last batch, whose storage the next batch reuses.
        var records: [Record] = []
        records.reserveCapacity(Self.batchSize)
        while true {
            // Wait while enough batches are ahead of the consumer.
            monitor.lock()
            while !stopped && reserved - taken >= window {
                workersWaiting += 1
                if watchers > 0 { monitor.broadcast(Self.workersChanged) }
                monitor.wait(Self.roomInWindow)
                workersWaiting -= 1
            }
            if stopped {
                monitor.unlock()
                return
            }
            reserved += 1
            var mapped = spares[index].popLast() ?? []
            monitor.unlock()
            mapped.removeAll(keepingCapacity: true)  // what the consumer left: destroyed here

            // Take the reader, read a batch, let it go.
            readLock.lock()
            if readingDone {
                readLock.unlock()
                return
            }
            let sequence = nextSequence
            nextSequence += 1
            var count = 0
            var failure: (any Error)?
            do {
                while count < Self.batchSize {
                    if count < records.count {
                        guard try reader.next(into: &records[count], source: worker.source) else { break }
                    } else {
                        guard let record = try reader.next() else { break }
                        records.append(record.detached(source: worker.source))
                    }
                    count += 1
                }
                if count < Self.batchSize { readingDone = true }
            } catch {
                failure = error
                readingDone = true
            }
            records.removeLast(records.count - count)
            let isLast = readingDone
            let progress = reader.progress
            readLock.unlock()

            // Mapped last first (the consumer takes them with `popLast`): records are lent,
            // results moved. The order rows are mapped in changes only what the mapper's memos
            // hold, not what comes out.
            mapped.reserveCapacity(records.count)
            records.withUnsafeBufferPointer { records in
                for i in records.indices.reversed() {
                    mapped.append(mapper.map(at: records.baseAddress! + i, check: check))
                }
            }
            monitor.lock()
            results[sequence] = Batch(
                mapped: mapped, records: records.count, error: failure, isLast: isLast, worker: index,
                progress: progress)
            if isLast { lastSequence = sequence }
            if consumerWaits && consumerMayGo { monitor.signal(Self.batchesReady) }
            monitor.unlock()
            if isLast { return }
        }
    }
}

/// Hands a worker's state to its thread; only that thread uses it afterwards.
private final class WorkerBox: @unchecked Sendable {
    let worker: MappingPipeline.Worker
    init(_ worker: MappingPipeline.Worker) { self.worker = worker }
}

/// A mutex with several condition variables, so that a thread can wake the ones waiting for one
/// thing and not the others (`NSCondition` has one).
private final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let conditions: UnsafeMutablePointer<pthread_cond_t>
    let count: Int

    init(conditions count: Int) {
        self.count = count
        conditions = .allocate(capacity: count)
        pthread_mutex_init(mutex, nil)
        for i in 0..<count { pthread_cond_init(conditions + i, nil) }
    }

    deinit {
        for i in 0..<count { pthread_cond_destroy(conditions + i) }
        pthread_mutex_destroy(mutex)
        conditions.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    /// Waits for `condition` (holding the lock before and after).
    func wait(_ condition: Int) { pthread_cond_wait(conditions + condition, mutex) }
    func signal(_ condition: Int) { pthread_cond_signal(conditions + condition) }
    func broadcast(_ condition: Int) { pthread_cond_broadcast(conditions + condition) }
}

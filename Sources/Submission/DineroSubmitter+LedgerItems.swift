import Checkpoint
import Foundation
import LedgerModel
import Targets

extension DineroSubmitter {
    /// Ledger items: settle what an earlier run left open, then create, book and poll in batches.
    func submitLedgerItems(_ open: [DocumentRecord], progress: inout SubmissionProgress) async throws {
        guard !open.isEmpty else { return }
        var records = Dictionary(uniqueKeysWithValues: open.map { ($0.reference, $0) })
        let ids = Dictionary(
            uniqueKeysWithValues: open.map { (DineroTranslation.ledgerItemID(reference: $0.reference), $0.reference) })
        // 1. Anything past `pending` may exist at Dinero: ask.
        let unsettled = open.filter { $0.phase != .pending }
        if !unsettled.isEmpty {
            try await settle(unsettled.map(\.reference), records: &records, ids: ids, progress: &progress)
        }
        // 2. Book what an earlier run left as drafts, and follow what it left booking.
        let order = open.map(\.reference)
        try await bookAll(
            order.filter { records[$0]?.phase == .created }, records: &records, ids: ids, progress: &progress)
        let booking = order.filter { records[$0]?.phase == .booking }
        if !booking.isEmpty { try await poll(booking, records: &records, ids: ids, progress: &progress) }
        // 3. Create, book and follow the pending ones a batch at a time, so Dinero's ledger never
        //    holds more than one batch of ours unbooked (it takes at most 1000).
        var queue = order.filter { records[$0]?.phase == .pending }
        while !queue.isEmpty {
            if stop() { throw Stop(end: .stoppedEarly("interrupted")) }
            let batch = Array(queue.prefix(options.batchSize))
            queue.removeFirst(batch.count)
            try await create(batch, records: &records, ids: ids, progress: &progress)
            try await bookAll(
                batch.filter { records[$0]?.phase == .created }, records: &records, ids: ids, progress: &progress)
            options.onProgress(progress, await client.calls)
        }
    }

    /// Books drafts a batch at a time, following each batch until it is booked.
    private func bookAll(
        _ drafts: [String], records: inout [String: DocumentRecord], ids: [String: String],
        progress: inout SubmissionProgress
    ) async throws {
        for start in stride(from: 0, to: drafts.count, by: options.batchSize) {
            if stop() { throw Stop(end: .stoppedEarly("interrupted")) }
            let batch = Array(drafts[start..<min(drafts.count, start + options.batchSize)])
            try await bookBatch(batch, records: &records, ids: ids, progress: &progress)
        }
    }

    /// Reads the items' state at Dinero and takes it over: booked, booking, a draft, or absent (pending).
    func settle(
        _ references: [String], records: inout [String: DocumentRecord], ids: [String: String],
        progress: inout SubmissionProgress
    ) async throws {
        // In file order: Dinero numbers the items in the order it hears of them.
        let ordered = references.map { (DineroTranslation.ledgerItemID(reference: $0), $0) }
        let remote: [String: RemoteLedgerItem]
        do {
            remote = try await client.ledgerItemStatus(ordered.map(\.0))
        } catch {
            try stopIfFatal(error)
            throw Stop(end: .stoppedEarly("cannot read ledger item status: \(error)"))
        }
        var changed: [DocumentRecord] = []
        for (id, reference) in ordered {
            guard var record = records[reference] else { continue }
            if let item = remote[id] {
                record.remoteID = id
                record.remoteVersion = item.version
                if item.isBooked {
                    if record.phase != .booking { progress.adopted += 1 }
                    book(&record, number: item.voucherNumber, version: item.version, progress: &progress)
                } else if item.isDraft {
                    record.phase = .created
                } else {
                    record.phase = .booking
                }
            } else {
                record.phase = .pending
                record.remoteID = nil
                record.remoteVersion = nil
            }
            records[reference] = record
            changed.append(record)
        }
        try save(changed)
    }

    func create(
        _ batch: [String], records: inout [String: DocumentRecord], ids: [String: String],
        progress: inout SubmissionProgress
    ) async throws {
        var sending: [DocumentRecord] = []
        var items: [(document: Document, fileGuid: String?)] = []
        for reference in batch {
            guard var record = records[reference] else { continue }
            record.phase = .sending
            record.attempts += 1
            records[reference] = record
            sending.append(record)
            items.append((record.document, record.fileID))
        }
        try save(sending)
        do {
            let versions = try await client.createLedgerItems(items)
            var created: [DocumentRecord] = []
            for reference in batch {
                guard var record = records[reference] else { continue }
                let id = DineroTranslation.ledgerItemID(reference: reference)
                record.remoteID = id
                record.remoteVersion = versions[id]
                record.phase = .created
                records[reference] = record
                created.append(record)
            }
            try save(created)
        } catch TargetError.duplicate, TargetError.ambiguous {
            // Some or all exist already (a previous run, or a create whose answer was lost).
            try await settle(batch, records: &records, ids: ids, progress: &progress)
            let stillPending = batch.filter { records[$0]?.phase == .pending }
            if !stillPending.isEmpty && stillPending.count < batch.count {
                try await create(stillPending, records: &records, ids: ids, progress: &progress)
            } else if stillPending.count == batch.count {
                // Nothing of the batch is there: the failure was before anything happened.
                try await retryOnce(stillPending, records: &records, ids: ids, progress: &progress)
            }
        } catch TargetError.rejected(let code, let message, let fields) where code == 43 {
            // Dinero's ledger is full: not these items' fault. Stop; a later run goes on.
            try markFailed(batch, .rejected(code: code, message: message, fields: fields), records: &records)
            throw Stop(end: .stoppedEarly("Dinero's ledger holds its maximum of unbooked items: \(message)"))
        } catch TargetError.rejected(let code, let message, let fields) {
            try await refused(
                batch, code: code, message: message, fields: fields, records: &records, ids: ids, progress: &progress)
        } catch let error as TargetError {
            try stopIfFatal(error)
            try markFailed(batch, error, records: &records)
        }
    }

    /// A batch that failed with nothing created: one more try, then failed.
    private func retryOnce(
        _ batch: [String], records: inout [String: DocumentRecord], ids: [String: String],
        progress: inout SubmissionProgress
    ) async throws {
        guard let attempts = batch.first.flatMap({ records[$0]?.attempts }), attempts < 3 else {
            try markFailed(batch, .unavailable("no answer after \(3) attempts"), records: &records)
            return
        }
        try await create(batch, records: &records, ids: ids, progress: &progress)
    }

    /// A 400 for a batch: the items it names are rejected; if it names none, the batch is split
    /// until the refused items stand alone.
    private func refused(
        _ batch: [String], code: Int?, message: String, fields: [String: String],
        records: inout [String: DocumentRecord], ids: [String: String], progress: inout SubmissionProgress
    ) async throws {
        let error = TargetError.rejected(code: code, message: message, fields: fields)
        if batch.count == 1, var record = records[batch[0]] {
            reject(&record, error, progress: &progress)
            records[batch[0]] = record
            try save([record])
            return
        }
        // Dinero names items by position ("[3].Lines[0].Amount") or by id.
        var named: Set<String> = []
        for key in fields.keys {
            if key.hasPrefix("["), let close = key.firstIndex(of: "]"),
                let index = Int(key[key.index(after: key.startIndex)..<close]), batch.indices.contains(index)
            {
                named.insert(batch[index])
            } else if let reference = ids[key.lowercased()], batch.contains(reference) {
                named.insert(reference)
            }
        }
        if !named.isEmpty {
            var changed: [DocumentRecord] = []
            for reference in named {
                guard var record = records[reference] else { continue }
                let own = fields.filter { key, _ in
                    key.hasPrefix("[\(batch.firstIndex(of: reference) ?? -1)]") || key.lowercased() == record.remoteID
                }
                reject(
                    &record, .rejected(code: code, message: message, fields: own.isEmpty ? fields : own),
                    progress: &progress)
                records[reference] = record
                changed.append(record)
            }
            for reference in batch where !named.contains(reference) {
                guard var record = records[reference] else { continue }
                record.phase = .pending
                records[reference] = record
                changed.append(record)
            }
            try save(changed)
            let rest = batch.filter { !named.contains($0) }
            if !rest.isEmpty { try await create(rest, records: &records, ids: ids, progress: &progress) }
            return
        }
        let middle = batch.count / 2
        for half in [Array(batch[..<middle]), Array(batch[middle...])] {
            var reset: [DocumentRecord] = []
            for reference in half {
                guard var record = records[reference] else { continue }
                record.phase = .pending
                records[reference] = record
                reset.append(record)
            }
            try save(reset)
            try await create(half, records: &records, ids: ids, progress: &progress)
        }
    }

    func markFailed(_ batch: [String], _ error: TargetError, records: inout [String: DocumentRecord]) throws {
        var changed: [DocumentRecord] = []
        for reference in batch {
            guard var record = records[reference], !record.phase.isFinal else { continue }
            record.phase = .failed
            record.errorCode = error.code
            record.errorMessage = error.description
            records[reference] = record
            changed.append(record)
        }
        try save(changed)
    }

    func bookBatch(
        _ batch: [String], records: inout [String: DocumentRecord], ids: [String: String],
        progress: inout SubmissionProgress, settleAgain: Bool = true
    ) async throws {
        var booking: [DocumentRecord] = []
        var items: [(id: String, version: String)] = []
        for reference in batch {
            guard var record = records[reference], let id = record.remoteID, let version = record.remoteVersion else {
                continue
            }
            record.phase = .booking
            records[reference] = record
            booking.append(record)
            items.append((id, version))
        }
        try save(booking)
        do {
            _ = try await client.bookLedgerItems(items)
        } catch TargetError.ambiguous, TargetError.stale {
            // Read back what happened; book what is still a draft (with its current Version), once.
            try await settle(batch, records: &records, ids: ids, progress: &progress)
            let drafts = batch.filter { records[$0]?.phase == .created }
            if !drafts.isEmpty && settleAgain {
                try await bookBatch(drafts, records: &records, ids: ids, progress: &progress, settleAgain: false)
            }
            let booking = batch.filter { records[$0]?.phase == .booking }
            if !booking.isEmpty { try await poll(booking, records: &records, ids: ids, progress: &progress) }
            return
        } catch TargetError.rejected(let code, let message, let fields) {
            if batch.count == 1, var record = records[batch[0]] {
                reject(&record, .rejected(code: code, message: message, fields: fields), progress: &progress)
                records[batch[0]] = record
                try save([record])
                return
            }
            var named: Set<String> = []
            for key in fields.keys { if let reference = ids[key.lowercased()] { named.insert(reference) } }
            var changed: [DocumentRecord] = []
            for reference in batch {
                guard var record = records[reference] else { continue }
                if named.contains(reference) {
                    reject(
                        &record, .rejected(code: code, message: fields[record.remoteID ?? ""] ?? message, fields: [:]),
                        progress: &progress)
                } else {
                    record.phase = .created
                }
                records[reference] = record
                changed.append(record)
            }
            try save(changed)
            let rest = batch.filter { !named.contains($0) }
            if named.isEmpty {
                let middle = batch.count / 2
                try await bookBatch(Array(batch[..<middle]), records: &records, ids: ids, progress: &progress)
                try await bookBatch(Array(batch[middle...]), records: &records, ids: ids, progress: &progress)
            } else if !rest.isEmpty {
                try await bookBatch(rest, records: &records, ids: ids, progress: &progress)
            }
            return
        } catch {
            try stopIfFatal(error)
            try markFailed(batch, error, records: &records)
            return
        }
        try await poll(batch, records: &records, ids: ids, progress: &progress)
    }

    /// Asks for status until every item is booked, or the polls run out (they stay `booking`).
    func poll(
        _ batch: [String], records: inout [String: DocumentRecord], ids: [String: String],
        progress: inout SubmissionProgress
    ) async throws {
        var waiting = batch
        for attempt in 0..<options.statusPolls {
            if attempt > 0 { try await time.sleep(seconds: options.pollInterval) }
            try await settle(waiting, records: &records, ids: ids, progress: &progress)
            waiting = waiting.filter { records[$0]?.phase == .booking }
            if waiting.isEmpty { return }
        }
    }
}

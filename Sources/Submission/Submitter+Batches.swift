import Checkpoint
import Foundation
import LedgerModel
import Synchronization
import Targets

/// The open documents of one group, keyed by reference while the group is worked.
typealias Records = [String: DocumentRecord]

extension Submitter {
    /// Documents of one kind: settle what an earlier run left open, book what it left as drafts,
    /// follow what it left booking, then create, book and follow the rest a batch at a time.
    func submit(_ open: [DocumentRecord], progress: inout SubmissionProgress) async throws {
        guard let kind = open.first?.kind else { return }
        let batchSize = max(1, min(options.batchSize, target.handling(of: kind).batchLimit))
        var records = Dictionary(uniqueKeysWithValues: open.map { ($0.reference, $0) })
        let order = open.map(\.reference)
        // 1. Anything a call may have reached the target with: ask. A document that failed
        // before any create went out is simply sent.
        let unsettled = open.filter(Self.mayBeAtTarget).map(\.reference)
        if !unsettled.isEmpty { try await settle(unsettled, records: &records, progress: &progress) }
        for record in open where record.phase == .failed && !Self.mayBeAtTarget(record) {
            records[record.reference]?.phase = .pending
        }
        // 2. Book what an earlier run left as drafts; follow what it left booking.
        try await bookAll(
            order.filter { records[$0]?.phase == .created }, size: batchSize, records: &records, progress: &progress)
        let booking = order.filter { records[$0]?.phase == .booking }
        if !booking.isEmpty { try await poll(booking, records: &records, progress: &progress) }
        // 3. The pending ones, a batch at a time.
        var queue = order.filter { records[$0]?.phase == .pending }[...]
        while !queue.isEmpty {
            try checkStop()
            let batch = Array(queue.prefix(batchSize))
            queue = queue.dropFirst(batch.count)
            let open = try skipClosed(batch, records: &records, progress: &progress)
            let supplied = try await createContacts(open, records: &records, progress: &progress)
            let ready = try await uploadAttachments(supplied, records: &records, progress: &progress)
            if !ready.isEmpty {
                try await create(ready, records: &records, progress: &progress)
                try await bookAll(
                    ready.filter { records[$0]?.phase == .created }, size: batchSize, records: &records,
                    progress: &progress)
            }
            options.onProgress(progress, await target.calls)
        }
        options.onProgress(progress, await target.calls)
    }

    /// Reads what the target holds of the documents and takes it over: booked, booking, a
    /// draft, or nothing (pending again). False when the target could not tell.
    @discardableResult
    func settle(
        _ references: [String], records: inout Records, progress: inout SubmissionProgress
    ) async throws -> Bool {
        let states: [String: RemoteState]
        do {
            states = try await target.lookup(references.compactMap { records[$0].map(Self.sent) })
        } catch {
            // Unknown for now: these documents keep their phase, so the next run looks them up
            // again, and fail for this run with the reason; the others go on.
            try stopIfFatal(error)
            var failed: [DocumentRecord] = []
            for reference in references {
                guard var record = records[reference] else { continue }
                record.errorCode = error.code
                record.errorMessage = "cannot look it up at the target: \(error)"
                progress.failed += 1
                records[reference] = record
                failed.append(record)
            }
            try save(failed)
            return false
        }
        var changed: [DocumentRecord] = []
        for reference in references {
            guard var record = records[reference], let remote = states[reference] else { continue }
            // Found although no answer said it was sent: a call whose answer was lost.
            let unannounced = record.remoteID == nil && record.phase != .pending
            switch remote {
            case .absent:
                record.phase = .pending
                record.remoteID = nil
                record.remoteVersion = nil
            case .unknown(let note):
                record.phase = .pending
                record.remoteID = nil
                record.remoteVersion = nil
                record.errorCode = JobCode.strayDraft.rawValue
                record.errorMessage = note
            case .draft(let id, let version):
                if unannounced { progress.adopted += 1 }
                record.phase = .created
                record.remoteID = id
                record.remoteVersion = version
            case .booking(let id, let version):
                if unannounced { progress.adopted += 1 }
                record.phase = .booking
                record.remoteID = id
                record.remoteVersion = version
            case .booked(let id, let version, let number):
                // Booked without this run asking: an earlier run's call whose answer was lost.
                if record.phase != .booking || unannounced { progress.adopted += 1 }
                book(&record, id: id, version: version, number: number, progress: &progress)
            }
            records[reference] = record
            changed.append(record)
        }
        try save(changed)
        return true
    }

    /// Uploads the batch's receipts that are not uploaded yet; answers the documents ready to
    /// be created (a document whose receipt is refused is rejected).
    private func uploadAttachments(
        _ batch: [String], records: inout Records, progress: inout SubmissionProgress
    ) async throws -> [String] {
        var ready: [String] = []
        for reference in batch {
            guard var record = records[reference] else { continue }
            guard target.handling(of: record.kind).attachments, record.attachmentID == nil,
                let path = options.attachmentPath(record)
            else {
                ready.append(reference)
                continue
            }
            do throws(TargetError) {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw TargetError.rejected(
                        code: nil, message: "the attachment \(path) does not exist; fix the path or the mapping",
                        fields: [:])
                }
                record.attachmentID = try await target.uploadAttachment(path: path)
                ready.append(reference)
            } catch {
                try stopIfFatal(error)
                switch error {
                case .rejected, .tooLarge: reject(&record, error, progress: &progress)
                default: fail(&record, error, progress: &progress)
                }
            }
            records[reference] = record
            try save([record])
        }
        return ready
    }

    /// Creates the contacts the documents need that the job has not created yet, each once (the
    /// target's create is idempotent by the id the job chose). A contact the target refuses
    /// rejects every document that needs it, with the reason; one whose create went unanswered
    /// fails them for this run, and the next run creates it again under the same id.
    private func createContacts(
        _ batch: [String], records: inout Records, progress: inout SubmissionProgress
    ) async throws -> [String] {
        var ready: [String] = []
        for reference in batch {
            guard var record = records[reference] else { continue }
            guard let id = record.newContact, let (contact, created) = try state.newContact(id: id), !created else {
                ready.append(reference)
                continue
            }
            var refusal = contactRefusals.withLock { $0[id] }
            if refusal == nil {
                try checkStop()
                do throws(TargetError) {
                    try await target.createContact(contact)
                } catch {
                    try stopIfFatal(error)
                    refusal = error
                    if case .rejected = error { contactRefusals.withLock { $0[id] = error } }
                }
                if refusal == nil {
                    try state.markCreated(contact: id)
                    progress.contactsCreated += 1
                    ready.append(reference)
                    continue
                }
            }
            guard let refusal else { continue }
            let reason = "the supplier \(contact.name) could not be created: \(refusal)"
            if case .rejected = refusal {
                reject(&record, .rejected(code: nil, message: reason, fields: [:]), progress: &progress)
                record.errorCode = refusal.code
            } else {
                // Nothing of the document was sent: the next run sends it, after the contact.
                fail(&record, .unavailable(reason), progress: &progress)
            }
            records[reference] = record
            try save([record])
        }
        return ready
    }

    /// Creates a batch of pending documents as drafts.
    func create(_ batch: [String], records: inout Records, progress: inout SubmissionProgress) async throws {
        var sending: [DocumentRecord] = []
        var outgoing: [OutgoingDocument] = []
        for reference in batch {
            guard var record = records[reference] else { continue }
            do {
                outgoing.append(
                    OutgoingDocument(
                        reference: reference, kind: record.kind, wire: try wire(of: record),
                        attachmentID: record.attachmentID))
            } catch {
                // Only a state file from before wire bodies were kept gets here.
                reject(&record, error, progress: &progress)
                records[reference] = record
                try save([record])
                continue
            }
            record.phase = .sending
            record.attempts += 1
            records[reference] = record
            sending.append(record)
        }
        guard !sending.isEmpty else { return }
        let batch = sending.map(\.reference)
        try save(sending)
        let states: [String: RemoteState]
        do {
            states = try await target.create(outgoing)
        } catch .duplicate, .ambiguous {
            // Some or all exist already (an earlier run, or a create whose answer was lost).
            try await settle(batch, records: &records, progress: &progress)
            let stillPending = batch.filter { records[$0]?.phase == .pending }
            if !stillPending.isEmpty && stillPending.count < batch.count {
                try await create(stillPending, records: &records, progress: &progress)
            } else if stillPending.count == batch.count {
                // Nothing of the batch is there: the failure came before anything happened.
                try await retry(stillPending, records: &records, progress: &progress)
            }
            return
        } catch .capacity(let message) {
            // The target is full: not these documents' fault. Stop; a later run goes on.
            try markFailed(batch, .capacity(message), records: &records, progress: &progress)
            throw Stop(end: .stoppedEarly(TargetError.capacity(message).description))
        } catch .rejected(let code, let message, let fields) {
            try await refused(
                batch, .rejected(code: code, message: message, fields: fields), backTo: .pending, records: &records,
                progress: &progress
            ) { try await create($0, records: &$1, progress: &$2) }
            return
        } catch .tooLarge {
            try await refused(batch, .tooLarge, backTo: .pending, records: &records, progress: &progress) {
                try await create($0, records: &$1, progress: &$2)
            }
            return
        } catch {
            // The target answered (or nothing was sent): nothing was created.
            for reference in batch { records[reference]?.phase = .pending }
            try save(batch.compactMap { records[$0] })
            try stopIfFatal(error)
            try markFailed(batch, error, records: &records, progress: &progress)
            return
        }
        var created: [DocumentRecord] = []
        for reference in batch {
            guard var record = records[reference] else { continue }
            if case .draft(let id, let version)? = states[reference] {
                record.phase = .created
                record.remoteID = id
                record.remoteVersion = version
            }
            records[reference] = record
            created.append(record)
        }
        try save(created)
    }

    /// The wire body kept when the document was stored; for a state file from before that was
    /// kept, made now from the stored document.
    private func wire(of record: DocumentRecord) throws(TargetError) -> Data {
        if let wire = record.wire { return wire }
        guard let document = record.document else {
            throw TargetError.protocolError("the state file holds no body for \(record.reference)")
        }
        return try target.preflight(document)
    }

    /// A batch whose create got no answer and that the target does not hold: once more, until
    /// the attempts run out.
    private func retry(_ batch: [String], records: inout Records, progress: inout SubmissionProgress) async throws {
        guard let attempts = batch.first.flatMap({ records[$0]?.attempts }), attempts < options.attempts else {
            try markFailed(
                batch, .ambiguous("no answer after \(options.attempts) attempts"), records: &records,
                progress: &progress)
            return
        }
        try await create(batch, records: &records, progress: &progress)
    }

    /// A batch the target refused as invalid: the documents it names are rejected and the rest
    /// go back to `phase` and `again`; if it names none, the batch is split in halves, each sent
    /// `again`, until the refused ones stand alone.
    private func refused(
        _ batch: [String], _ error: TargetError, backTo phase: Phase, records: inout Records,
        progress: inout SubmissionProgress,
        again: ([String], inout Records, inout SubmissionProgress) async throws -> Void
    ) async throws {
        let named = batch.count == 1 ? [batch[0]: error] : culprits(of: error, in: batch, records: records)
        var changed: [DocumentRecord] = []
        for reference in batch {
            guard var record = records[reference] else { continue }
            if case .closedPeriod(let reason)? = named[reference] {
                try await closed(&record, reason: reason, progress: &progress)
            } else if let own = named[reference] {
                reject(&record, own, progress: &progress)
            } else {
                record.phase = phase
            }
            records[reference] = record
            changed.append(record)
        }
        try save(changed)
        if named.isEmpty {
            let middle = batch.count / 2
            try await again(Array(batch[..<middle]), &records, &progress)
            try await again(Array(batch[middle...]), &records, &progress)
        } else {
            let rest = batch.filter { named[$0] == nil }
            if !rest.isEmpty { try await again(rest, &records, &progress) }
        }
    }

    /// A draft the target would not book because its period is closed: removed, so nothing is
    /// left behind, and rejected saying so; its year's other documents are not sent this run.
    /// A draft that cannot be removed is rejected with its id, to delete at the target.
    private func closed(_ record: inout DocumentRecord, reason: String, progress: inout SubmissionProgress) async throws
    {
        let year = options.yearOf(record.date)
        let period = year.map { "accounting year \($0.name) is closed" } ?? "the period is closed"
        if let year {
            closedPeriods.withLock {
                $0.append(ClosedPeriod(name: year.name, from: year.from, to: year.to, reason: reason))
            }
        }
        do {
            if record.remoteID != nil { try await target.deleteDraft(Self.sent(record)) }
            reject(&record, .closedPeriod("\(period); the draft was removed (\(reason))"), progress: &progress)
            record.remoteID = nil
            record.remoteVersion = nil
        } catch {
            try stopIfFatal(error)
            reject(&record, .closedPeriod(period), progress: &progress)
            record.errorCode = JobCode.draftLeft.rawValue
            record.errorMessage =
                "\(period) (\(reason)); the draft \(record.remoteID ?? "") could not be removed (\(error)): delete it at the target"
        }
    }

    /// Rejects, without sending, the documents of a period the target refused to book in this
    /// run; answers the others.
    private func skipClosed(
        _ batch: [String], records: inout Records, progress: inout SubmissionProgress
    ) throws -> [String] {
        let periods = closedPeriods.withLock { $0 }
        guard !periods.isEmpty else { return batch }
        var open: [String] = []
        var skipped: [DocumentRecord] = []
        for reference in batch {
            guard var record = records[reference] else { continue }
            guard let period = periods.first(where: { $0.from <= record.date && record.date <= $0.to }) else {
                open.append(reference)
                continue
            }
            reject(
                &record,
                .closedPeriod("accounting year \(period.name) is closed (\(period.reason)); not sent"),
                progress: &progress)
            records[reference] = record
            skipped.append(record)
        }
        try save(skipped)
        return open
    }

    /// Books drafts `size` at a time, following each batch until it is booked.
    private func bookAll(
        _ drafts: [String], size: Int, records: inout Records, progress: inout SubmissionProgress
    ) async throws {
        for start in stride(from: 0, to: drafts.count, by: size) {
            try checkStop()
            let batch = Array(drafts[start..<min(drafts.count, start + size)])
            try await bookBatch(batch, records: &records, progress: &progress)
        }
    }

    func bookBatch(
        _ batch: [String], records: inout Records, progress: inout SubmissionProgress, settleAgain: Bool = true
    ) async throws {
        var booking: [DocumentRecord] = []
        for reference in batch {
            guard var record = records[reference], record.remoteID != nil, record.remoteVersion != nil else {
                continue
            }
            record.phase = .booking
            records[reference] = record
            booking.append(record)
        }
        guard !booking.isEmpty else { return }
        try save(booking)
        let states: [String: RemoteState]
        do {
            states = try await target.book(booking.map(Self.sent))
        } catch .ambiguous, .stale {
            // Read back what happened; book what is still a draft (with its current version), once.
            guard try await settle(batch, records: &records, progress: &progress) else { return }
            let drafts = batch.filter { records[$0]?.phase == .created }
            if !drafts.isEmpty && settleAgain {
                try await bookBatch(drafts, records: &records, progress: &progress, settleAgain: false)
            }
            states = [:]  // the rest of the batch is being booked: followed below
        } catch .rejected(let code, let message, let fields) {
            try await refused(
                batch, .rejected(code: code, message: message, fields: fields), backTo: .created, records: &records,
                progress: &progress
            ) { try await bookBatch($0, records: &$1, progress: &$2) }
            return
        } catch .closedPeriod(let message) {
            try await refused(batch, .closedPeriod(message), backTo: .created, records: &records, progress: &progress) {
                try await bookBatch($0, records: &$1, progress: &$2)
            }
            return
        } catch {
            try stopIfFatal(error)
            try markFailed(batch, error, records: &records, progress: &progress)
            return
        }
        var changed: [DocumentRecord] = []
        for reference in batch {
            guard var record = records[reference] else { continue }
            switch states[reference] {
            case .booked(let id, let version, let number)?:
                book(&record, id: id, version: version, number: number, progress: &progress)
            case .booking(_, let version)?:
                record.remoteVersion = version ?? record.remoteVersion
            default:
                continue
            }
            records[reference] = record
            changed.append(record)
        }
        try save(changed)
        let waiting = batch.filter { records[$0]?.phase == .booking }
        if !waiting.isEmpty { try await poll(waiting, records: &records, progress: &progress) }
    }

    /// Asks until every document is booked, or the polls run out (they stay `booking`).
    func poll(_ batch: [String], records: inout Records, progress: inout SubmissionProgress) async throws {
        var waiting = batch
        for attempt in 0..<options.statusPolls {
            if attempt > 0 { try await time.sleep(seconds: options.pollInterval) }
            guard try await settle(waiting, records: &records, progress: &progress) else { return }
            waiting = waiting.filter { records[$0]?.phase == .booking }
            if waiting.isEmpty { return }
        }
    }

    private func culprits(of error: TargetError, in batch: [String], records: Records) -> [String: TargetError] {
        target.culprits(of: error, in: batch.compactMap { records[$0].map(Self.sent) })
    }

    /// Could not be sent or booked for now; the next run looks it up and goes on.
    func fail(_ record: inout DocumentRecord, _ error: TargetError, progress: inout SubmissionProgress) {
        record.phase = .failed
        record.errorCode = error.code
        record.errorMessage = error.description
        progress.failed += 1
    }

    func markFailed(
        _ batch: [String], _ error: TargetError, records: inout Records, progress: inout SubmissionProgress
    ) throws {
        var changed: [DocumentRecord] = []
        for reference in batch {
            guard var record = records[reference], !record.phase.isFinal else { continue }
            fail(&record, error, progress: &progress)
            records[reference] = record
            changed.append(record)
        }
        try save(changed)
    }
}

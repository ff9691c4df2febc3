import Checkpoint
import Foundation
import LedgerModel
import Reports
import Synchronization
import Targets
import Testing

@Suite("Rate budget, ids, the state file and the report")
struct ImportPartsTests {
    @Test("the budget lets `limit` requests through, then each waits a window after an answer came back")
    func budget() {
        var budget = RequestBudget(limit: 3, window: 61)
        for instant in [0.0, 1, 2] {
            #expect(budget.nextStart(now: instant) == instant)
            budget.start()
        }
        #expect(budget.nextStart(now: 3) == nil)  // three unanswered: only an answer makes room
        budget.finish(at: 5)
        #expect(budget.nextStart(now: 5) == 66)  // a window after the answer, not after the start
        budget.finish(at: 6)
        budget.finish(at: 30)
        #expect(budget.nextStart(now: 31) == 66)
        budget.start()
        #expect(budget.nextStart(now: 66) == 67)
        budget.pause(until: 100)
        #expect(budget.nextStart(now: 70) == 100)
    }

    @Test("however long requests travel, no 61 seconds at the server see more than `limit` arrive")
    func budgetUnderStalls() {
        // Five senders; each request arrives 0–40 s after it starts (a stalled host, a slow
        // network) and is answered 0–2 s after it arrives. Counting a request from its start
        // only, as a plain sliding log does, lets more than `limit` land in one window here.
        var random = SplitMix(seed: 7)
        var budget = RequestBudget(limit: 10, window: 61)
        var events: [(time: Double, sender: Int, answer: Bool)] = (0..<5).map { (0, $0, false) }
        var waiting: [Int] = []
        var arrivals: [Double] = []
        while arrivals.count < 400 {
            let next = events.indices.min { events[$0].time < events[$1].time }!
            let event = events.remove(at: next)
            if event.answer {
                budget.finish(at: event.time)
                events.append((event.time, event.sender, false))
                events += waiting.map { (event.time, $0, false) }
                waiting.removeAll()
                continue
            }
            guard let start = budget.nextStart(now: event.time) else {
                waiting.append(event.sender)
                continue
            }
            if start > event.time {
                events.append((start, event.sender, false))
                continue
            }
            budget.start()
            let arrival = event.time + random.unit() * 40
            arrivals.append(arrival)
            events.append((arrival + random.unit() * 2, event.sender, true))
        }
        arrivals.sort()
        let tightest = (10..<arrivals.count).map { arrivals[$0] - arrivals[$0 - 10] }.min()!
        #expect(tightest >= 61)
        #expect(arrivals.last! < 400 / 10 * (61 + 42))  // and it keeps moving
    }

    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func unit() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }

    /// A clock that moves only when slept on.
    final class FakeTime: TimeSource {
        let current = Mutex<TimeInterval>(1_000)
        func now() -> TimeInterval { current.withLock { $0 } }
        func wallClock() -> Date { Date(timeIntervalSince1970: now()) }
        func sleep(seconds: TimeInterval) async throws { current.withLock { $0 += seconds } }
    }

    @Test("in any 61 seconds the limiter starts at most `limit` requests; a 429 waits for the next minute")
    func limiter() async throws {
        let time = FakeTime()
        let limiter = RateLimiter(key: "1/c", limit: 100, time: time)
        var starts: [TimeInterval] = []
        for _ in 0..<250 {
            try await limiter.acquire()
            starts.append(time.now())
            await limiter.finish()  // answered at once
        }
        for (index, start) in starts.enumerated() where index >= 100 {
            #expect(start - starts[index - 100] >= 61)
        }
        #expect(starts.last! - starts.first! < 61 * 2 + 1)
        await limiter.throttled(retryAfter: nil)  // at 1122 s: the minute turns at 1140
        let before = time.now()
        try await limiter.acquire()
        await limiter.finish()
        #expect(time.now() >= 1141)
        #expect(time.now() > before)
        #expect(await limiter.limited == 1)
    }

    @Test("with `limit` requests unanswered the limiter waits for an answer, then a window after it")
    func limiterWaitsForAnswers() async throws {
        let time = FakeTime()
        let limiter = RateLimiter(key: "1/c", limit: 2, time: time)
        try await limiter.acquire()
        try await limiter.acquire()
        let started = Mutex(false)
        let third = Task {
            try await limiter.acquire()
            started.withLock { $0 = true }
        }
        for _ in 0..<50 { await Task.yield() }
        #expect(started.withLock { $0 } == false)
        #expect(time.now() == 1_000)  // it did not sleep its way past the two in flight
        time.current.withLock { $0 = 1_010 }
        await limiter.finish()  // answered at 1010: room again at 1071
        try await third.value
        #expect(started.withLock { $0 })
        #expect(time.now() == 1_071)
        #expect(await limiter.sent == 3)
    }

    @Test("ledger item ids are GUIDs derived from the reference, the same every time")
    func ledgerItemIDs() {
        let id = DineroTranslation.ledgerItemID(reference: "ll1-abc")
        #expect(id == DineroTranslation.ledgerItemID(reference: "ll1-abc"))
        #expect(id != DineroTranslation.ledgerItemID(reference: "ll1-abd"))
        #expect(UUID(uuidString: id) != nil)
        #expect(Array(id)[14] == "5")
    }

    @Test("report cells that a spreadsheet would run as formulas are defused; separators are quoted")
    func csvCells() {
        #expect(Report.csvCell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(Report.csvCell("+45 1234") == "'+45 1234")
        #expect(Report.csvCell("-12") == "'-12")
        #expect(Report.csvCell("@SUM(A1)") == "'@SUM(A1)")
        #expect(Report.csvCell("a,b") == "\"a,b\"")
        #expect(Report.csvCell("line\nbreak") == "\"line\nbreak\"")
        #expect(Report.csvCell("plain") == "plain")
    }

    static func document(_ reference: String, file: String = "a.csv", record: Int = 1) -> Document {
        Document(
            kind: .ledgerItem, reference: reference, date: LocalDate(year: 2026, month: 3, day: 1)!, currency: .dkk,
            lines: [
                DocumentLine(
                    description: "x", account: 5820, balancingAccount: 1000,
                    amount: Money(minorUnits: 100, currency: .dkk),
                    vat: VatSpec.none, row: SourceRow(record: record, line: record + 1))
            ],
            provenance: Provenance(file: file, rows: [SourceRow(record: record, line: record + 1)]))
    }

    @Test("the state file is private, keeps phases, and turns a second copy of a document into duplicate rows")
    func stateFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = try StateFile(path: folder + "/job.sqlite")
        let mode =
            try FileManager.default.attributesOfItem(atPath: folder + "/job.sqlite")[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        try state.start(JobRecord(mapping: "m.yaml", target: "sandbox", organization: "1"))
        try state.record(SourceFileRecord(path: "a.csv", size: 10, sha256: "aa"))
        try state.storeMapped(
            file: "a.csv", documents: [DocumentRecord(document: Self.document("r1"), sequence: 0)],
            rows: [
                RowRecord(
                    file: "a.csv", row: SourceRow(record: 2, line: 3), status: .skipped, code: nil, message: "zero")
            ])
        try state.storeMapped(
            file: "b.csv",
            documents: [DocumentRecord(document: Self.document("r1", file: "b.csv", record: 5), sequence: 1)],
            rows: [])
        var record = try #require(try state.documents().first)
        record.phase = .booked
        record.voucherNumber = 42
        try state.update([record])

        let reopened = try StateFile(path: folder + "/job.sqlite")
        #expect(try reopened.sourceFile("a.csv")?.mapped == true)
        #expect(try reopened.phaseCounts() == [.booked: 1])
        let rows = try Report.rows(from: reopened)
        #expect(rows.map(\.status) == [.booked, .skipped, .duplicateSkipped])
        #expect(rows[0].voucherNumber == 42)
        #expect(rows[2].file == "b.csv")
        #expect(rows[2].message?.contains("a.csv") == true)
    }

    @Test("a chunk stored again after a crash mid-file is the file's own, not a duplicate")
    func chunksStoredTwice() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = try StateFile(path: folder + "/job.sqlite")
        try state.record(SourceFileRecord(path: "c.csv", size: 10, sha256: "cc"))
        let chunk = [DocumentRecord(document: Self.document("r2", file: "c.csv", record: 1), sequence: 0)]
        try state.storeMapped(file: "c.csv", documents: chunk, rows: [], complete: false)
        #expect(try state.sourceFile("c.csv")?.mapped == false)
        try state.storeMapped(file: "c.csv", documents: chunk, rows: [])
        #expect(try state.sourceFile("c.csv")?.mapped == true)
        #expect(try state.openCount() == 1)
        #expect(try Report.rows(from: state).map(\.status) == [.pending])
    }

    @Test(
        "an inbox's files: one file's report, a refused document sent again by a later file, an unusable file forgotten"
    )
    func perFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = try StateFile(path: folder + "/route.sqlite")
        let first = "bank.csv@aaaa"
        let second = "bank.csv@bbbb"
        try state.record(SourceFileRecord(path: first, size: 10, sha256: "aaaa"))
        try state.storeMapped(
            file: first,
            documents: [
                DocumentRecord(document: Self.document("booked"), sequence: 0, file: first),
                DocumentRecord(document: Self.document("refused", record: 2), sequence: 1, file: first),
            ],
            rows: [])
        var records = try state.documents()
        records[0].phase = .booked
        records[1].phase = .rejected
        records[1].errorCode = "D400"
        try state.update(records)
        // The second file has both again: the booked one is a duplicate, the refused one is its own now.
        try state.storeMapped(
            file: second,
            documents: [
                DocumentRecord(
                    document: Self.document("booked", file: "processing/bank.csv"), sequence: 2, file: second),
                DocumentRecord(
                    document: Self.document("refused", file: "processing/bank.csv", record: 2), sequence: 3,
                    file: second),
            ],
            rows: [])
        #expect(try state.documents(file: first).map(\.reference) == ["booked"])
        let again = try #require(try state.documents(file: second).first)
        #expect(again.reference == "refused")
        #expect(again.phase == .pending)
        #expect(again.errorCode == nil)
        let secondReport = try Report.rows(from: state, file: second)
        #expect(secondReport.map(\.status) == [.duplicateSkipped, .pending])
        #expect(secondReport.allSatisfy { $0.file == second })
        #expect(try Report.rows(from: state, file: first).map(\.status) == [.booked])
        // A file that turned out unusable leaves nothing unsent behind; what was sent stays.
        try state.forget(file: second)
        #expect(try state.documents(file: second).isEmpty)
        #expect(try state.rows(file: second).isEmpty)
        #expect(try state.sourceFile(second) == nil)
        #expect(try state.documents(file: first).map(\.phase) == [.booked])
    }
}

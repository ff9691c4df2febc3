import Foundation
import Synchronization
import Targets
import Testing

@Suite("The rate budget, the limiter and its policy")
struct RateLimitTests {
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
        let limiter = RateLimiter(key: "1/c", policy: RateLimitPolicy(limit: 100, window: .fixed(60)), time: time)
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
        let limiter = RateLimiter(key: "1/c", policy: RateLimitPolicy(limit: 2, window: .fixed(60)), time: time)
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

    @Test("a window further away than the policy's longest wait stops the run with when it may go on")
    func tooLongAWait() async throws {
        let time = FakeTime()
        var policy = RateLimitPolicy(limit: 2, window: .fixed(60))
        policy.maxWait = 30
        let limiter = RateLimiter(key: "1/c", policy: policy, time: time)
        for _ in 0..<2 {
            try await limiter.acquire()
            await limiter.finish()
        }
        // Room again 61 s after the answers came back, at 1061: more than 30 s away.
        do {
            try await limiter.acquire()
            Issue.record("it waited past its longest wait")
        } catch .rateLimited(_, let resumeAt) {
            #expect(resumeAt == Date(timeIntervalSince1970: 1_061))
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(time.now() == 1_000)  // it did not sleep
        // A 429 asking for an hour stops it the same way; a short one is waited out.
        policy.maxWait = 120
        let patient = RateLimiter(key: "1/d", policy: policy, time: time)
        await patient.throttled(retryAfter: 90)
        try await patient.acquire()
        await patient.finish()
        #expect(time.now() == 1_090)
        await patient.throttled(retryAfter: 3_600)
        await #expect(throws: TargetError.self) { try await patient.acquire() }
    }

    @Test("a target that announces its window is empty is not asked again until the window turns")
    func announcedWindow() async throws {
        let time = FakeTime()
        let limiter = RateLimiter(
            key: "1/c", policy: RateLimitPolicy(limit: 100, window: .announced(3_600)), time: time)
        try await limiter.acquire()
        await limiter.finish()
        await limiter.announce(remaining: 5, resetIn: 1_200)  // room left: nothing changes
        try await limiter.acquire()
        await limiter.finish()
        #expect(time.now() == 1_000)
        await limiter.announce(remaining: 0, resetIn: 200)
        try await limiter.acquire()
        await limiter.finish()
        #expect(time.now() == 1_200)
    }

    @Test("Dinero's policy: 60 a minute for personal integrations, 100 for apps, counted 61 s")
    func dineroPolicy() {
        #expect(DineroClient.rateLimit(connect: false).limit == 60)
        #expect(DineroClient.rateLimit(connect: true).limit == 100)
        #expect(DineroClient.rateLimit(connect: false).countingWindow == 61)
    }
}

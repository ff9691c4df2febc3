import Foundation

/// How many requests may start in any window of time: the arithmetic of a sliding log, with no
/// clock of its own, so it can be tested instant by instant.
///
/// Dinero counts requests in fixed 60-second windows per (organization, client id). A client
/// cannot see where the server's windows begin, so it keeps every span of `window` seconds to
/// at most `limit` requests, plus a margin for requests that travel at different speeds; then
/// no fixed window of the server's can hold more than `limit`.
public struct RequestBudget: Sendable {
    public let limit: Int
    public let window: TimeInterval
    /// When each of the last `limit` requests started, oldest first.
    private var starts: [TimeInterval] = []
    /// No request before this instant (after a 429).
    private var pausedUntil: TimeInterval = 0

    public init(limit: Int, window: TimeInterval = 61) {
        precondition(limit > 0)
        self.limit = limit
        self.window = window
    }

    /// The earliest instant, at or after `now`, at which the next request may start.
    public func nextStart(now: TimeInterval) -> TimeInterval {
        var earliest = max(now, pausedUntil)
        if starts.count >= limit { earliest = max(earliest, starts[starts.count - limit] + window) }
        return earliest
    }

    /// Records a request starting at `at`.
    public mutating func record(at instant: TimeInterval) {
        starts.append(instant)
        if starts.count > limit { starts.removeFirst(starts.count - limit) }
    }

    /// After a 429: nothing until `until`.
    public mutating func pause(until instant: TimeInterval) {
        pausedUntil = max(pausedUntil, instant)
    }
}

/// Time for the limiter and for backoff: real by default, moved by hand in tests.
public protocol TimeSource: Sendable {
    /// Seconds on a monotonic scale (only differences matter), and the wall-clock time.
    func now() -> TimeInterval
    func wallClock() -> Date
    func sleep(seconds: TimeInterval) async throws
}

public struct SystemTime: TimeSource {
    public init() {}
    public func now() -> TimeInterval { Date().timeIntervalSince1970 }
    public func wallClock() -> Date { Date() }
    public func sleep(seconds: TimeInterval) async throws {
        if seconds > 0 { try await Task.sleep(for: .milliseconds(Int((seconds * 1000).rounded(.up)))) }
    }
}

/// One limiter per (organization, client id), shared by every request to it.
public actor RateLimiter {
    public let key: String
    private var budget: RequestBudget
    private let time: any TimeSource
    /// Requests sent and 429s seen, for progress and benchmarks.
    public private(set) var sent = 0
    public private(set) var limited = 0

    public init(key: String, limit: Int, window: TimeInterval = 61, time: any TimeSource = SystemTime()) {
        self.key = key
        self.budget = RequestBudget(limit: limit, window: window)
        self.time = time
    }

    /// Waits until the budget allows one more request, and counts it.
    public func acquire() async throws {
        while true {
            let now = time.now()
            let start = budget.nextStart(now: now)
            if start <= now {
                budget.record(at: now)
                sent += 1
                return
            }
            try await time.sleep(seconds: start - now)
        }
    }

    /// A 429: pause until `retryAfter` seconds from now, or else the next minute on the wall clock
    /// (where Dinero's windows turn) plus a second.
    public func throttled(retryAfter: TimeInterval?) {
        limited += 1
        let now = time.now()
        let wait: TimeInterval
        if let retryAfter {
            wait = retryAfter
        } else {
            let seconds = time.wallClock().timeIntervalSince1970
            wait = (seconds / 60).rounded(.down) * 60 + 60 - seconds + 1
        }
        budget.pause(until: now + wait)
    }
}

/// The limiters of a run, one per (organization, client id).
public actor RateLimiters {
    private var limiters: [String: RateLimiter] = [:]
    private let time: any TimeSource
    private let window: TimeInterval

    public init(time: any TimeSource = SystemTime(), window: TimeInterval = 61) {
        self.time = time
        self.window = window
    }

    public func limiter(organization: String, clientID: String, limit: Int) -> RateLimiter {
        let key = "\(organization)/\(clientID)"
        if let existing = limiters[key] { return existing }
        let limiter = RateLimiter(key: key, limit: limit, window: window, time: time)
        limiters[key] = limiter
        return limiter
    }
}

import Foundation

/// A target's rate limit, in one place: how many requests a window, how the window is known,
/// the margin kept, how many 429s in a row end a run, and how long a run may wait for a window
/// before it checkpoints and stops, to be resumed later (exit 75) rather than sleep inside cron.
public struct RateLimitPolicy: Sendable, Hashable {
    public enum Window: Sendable, Hashable {
        /// Fixed windows of this many seconds whose start the client cannot see (Dinero: 60).
        case fixed(TimeInterval)
        /// The target tells what is left and when its window turns, in response headers
        /// (``RateLimiter/announce(remaining:resetIn:)``); this length holds until it does.
        case announced(TimeInterval)

        public var seconds: TimeInterval {
            switch self {
            case .fixed(let seconds), .announced(let seconds): seconds
            }
        }
    }

    /// Requests a window.
    public var limit: Int
    public var window: Window
    /// A request counts until this many windows after its answer came back: 61/60 keeps a second a
    /// minute for the clocks and the network.
    public var margin: Double = 61.0 / 60.0
    /// Answers of 429 in a row after which the run stops (to resume later).
    public var maxThrottles = 20
    /// The longest a request waits for room. A wait longer than this stops the run with the
    /// instant it could go on.
    public var maxWait: TimeInterval = 300

    public init(limit: Int, window: Window, maxWait: TimeInterval = 300) {
        precondition(limit > 0)
        self.limit = limit
        self.window = window
        self.maxWait = maxWait
    }

    /// How long a request counts after its answer.
    public var countingWindow: TimeInterval { window.seconds * margin }
}

/// How many requests may start in any window of time: the arithmetic of a sliding log, with no
/// clock of its own, so it can be tested instant by instant.
///
/// Dinero counts requests in fixed 60-second windows per (organization, client id). A client
/// cannot see where the server's windows begin, nor when a request arrives there: a request that
/// the host stalls or the network holds after it started may land in the next window. So a
/// request counts from the moment it starts until `window` seconds after its answer came back:
/// it arrived somewhere in between. A new request may start only while fewer than `limit` count;
/// then no span of `window` seconds at the server, fixed or sliding, can see more than `limit`
/// arrivals, however long each took to travel. The cost is one round trip per window.
public struct RequestBudget: Sendable {
    public let limit: Int
    public let window: TimeInterval
    /// Requests started and not yet answered.
    public private(set) var inFlight = 0
    /// When each of the last `limit` answers came back, oldest first.
    private var answers: [TimeInterval] = []
    /// No request before this instant (after a 429).
    private var pausedUntil: TimeInterval = 0

    public init(limit: Int, window: TimeInterval = 61) {
        precondition(limit > 0)
        self.limit = limit
        self.window = window
    }

    /// The earliest instant, at or after `now`, at which the next request may start; `nil` while
    /// `limit` requests are unanswered, when only an answer can make room.
    public func nextStart(now: TimeInterval) -> TimeInterval? {
        let room = limit - inFlight
        guard room > 0 else { return nil }
        var earliest = max(now, pausedUntil)
        // The answers that must have left the window: all but the newest `room - 1`.
        if answers.count >= room { earliest = max(earliest, answers[answers.count - room] + window) }
        return earliest
    }

    /// Records a request starting.
    public mutating func start() {
        inFlight += 1
    }

    /// Records the answer to a started request (or its failure) coming back at `instant`.
    public mutating func finish(at instant: TimeInterval) {
        precondition(inFlight > 0, "an answer to a request that was not started")
        inFlight -= 1
        answers.append(instant)
        if answers.count > limit { answers.removeFirst(answers.count - limit) }
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
    public let policy: RateLimitPolicy
    private var budget: RequestBudget
    private let time: any TimeSource
    /// Requests sent and 429s seen, for progress and benchmarks.
    public private(set) var sent = 0
    public private(set) var limited = 0

    public init(key: String, policy: RateLimitPolicy, time: any TimeSource = SystemTime()) {
        self.key = key
        self.policy = policy
        self.budget = RequestBudget(limit: policy.limit, window: policy.countingWindow)
        self.time = time
    }

    /// Requests waiting for an answer to make room, resumed by ``finish()``.
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Waits until the budget allows one more request, and counts it as started. Every
    /// `acquire()` must be followed by one ``finish()`` when the answer, or the failure, comes back.
    /// Throws `rateLimited` with the instant the run could go on when room is further away than
    /// the policy's `maxWait`, and when the task is cancelled.
    public func acquire() async throws(TargetError) {
        while true {
            if Task.isCancelled { throw TargetError.rateLimited("cancelled while waiting for the rate window") }
            let now = time.now()
            guard let start = budget.nextStart(now: now) else {
                await withCheckedContinuation { waiting.append($0) }
                continue
            }
            if start <= now {
                budget.start()
                sent += 1
                return
            }
            if start - now > policy.maxWait {
                throw TargetError.rateLimited(
                    "the next request may go in \(Int((start - now).rounded(.up))) s, longer than the \(Int(policy.maxWait)) s a run waits",
                    resumeAt: time.wallClock().addingTimeInterval(start - now))
            }
            do {
                try await time.sleep(seconds: start - now)
            } catch {
                throw TargetError.rateLimited("cancelled while waiting for the rate window")
            }
        }
    }

    /// The answer to an acquired request came back (or it failed): from now on it counts for one
    /// more window.
    public func finish() {
        budget.finish(at: time.now())
        let resumed = waiting
        waiting.removeAll()
        for continuation in resumed { continuation.resume() }
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

    /// What a target announces in its answers (`X-RateLimit-Remaining`, `X-RateLimit-Reset`):
    /// with nothing left, no request starts before the window turns.
    public func announce(remaining: Int, resetIn seconds: TimeInterval) {
        guard remaining <= 0, seconds > 0 else { return }
        budget.pause(until: time.now() + seconds)
    }
}

/// The limiters of a run, one per (system, organization, client id): every request to an
/// organization shares one, whichever job or route sends it.
public actor RateLimiters {
    private var limiters: [String: RateLimiter] = [:]
    private let time: any TimeSource

    public init(time: any TimeSource = SystemTime()) {
        self.time = time
    }

    /// The limiter for the key; the first caller's policy sets it up.
    public func limiter(organization: String, clientID: String, policy: RateLimitPolicy) -> RateLimiter {
        let key = "\(organization)/\(clientID)"
        if let existing = limiters[key] { return existing }
        let limiter = RateLimiter(key: key, policy: policy, time: time)
        limiters[key] = limiter
        return limiter
    }
}

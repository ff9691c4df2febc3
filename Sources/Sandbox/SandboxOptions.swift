/// How a sandbox behaves: where it listens, where it keeps its state, its limits and its faults.
public struct SandboxOptions: Sendable {
    /// Address to listen on. Loopback by default: the sandbox has no authentication of its own
    /// on `/_sandbox/`.
    public var host: String = "127.0.0.1"
    /// 0 picks a free port.
    public var port: Int = 0
    /// A folder for `sandbox.sqlite`; nil keeps everything in memory.
    public var dataDirectory: String?
    /// Requests per organization and client id in each 60-second window, for Visma Connect clients.
    public var rateLimit: Int = 100
    /// The same for personal integrations (API key).
    public var personalRateLimit: Int = 60
    /// The length of a rate-limit window in seconds: Dinero's is 60. Shorter windows let tests
    /// and benchmarks run many windows quickly.
    public var rateWindowSeconds: Int = 60
    /// Send `Retry-After` with 429. Dinero documents none, so the default is off.
    public var sendRetryAfter: Bool = false
    /// More Pro organizations beyond the two ready-made ones, numbered from 1000003, each with the
    /// API key `sandbox-api-key-<id>` (for runs against many organizations at once).
    public var extraOrganizations: Int = 0
    /// How many status reads still show `PendingBooking` after a ledger item is booked.
    public var pendingStatusReads: Int = 1
    /// Seconds (on the sandbox's clock) after which a ledger item being booked is booked by
    /// itself, as Dinero's background booking finishes whether or not anyone asks.
    public var bookingSeconds: Double = 2
    /// A chart and years for the ready-made Pro organization (1000001), in place of the example
    /// chart, when the sandbox starts with no books yet.
    public var chart: SandboxChart?
    /// Faults to inject from the start; the admin API changes them while running.
    public var faults: FaultSettings = FaultSettings()
    /// Called with one line per API request (method, path, status, organization, client id).
    /// Never given headers or bodies, so no token or secret reaches it.
    public var requestObserver: (@Sendable (String) -> Void)?

    public init() {}
}

/// Faults the sandbox injects into `/v1…` API requests (never into `/_sandbox/` or the token endpoints).
public struct FaultSettings: Sendable, Codable, Equatable {
    /// Share of API requests, 0…1, answered `500` before they do anything.
    public var failRate: Double = 0
    /// The next N API requests are answered `500` before they do anything.
    public var failNext: Int = 0
    /// Milliseconds to wait before answering each API request.
    public var latencyMilliseconds: Int = 0
    /// Share of successful writes, 0…1, that are committed and then answered by closing the
    /// connection: the client cannot know whether its write happened.
    public var dropAfterCommitRate: Double = 0
    /// The next N successful writes are committed and their connections dropped.
    public var dropNextWrites: Int = 0
    /// Share of requests to deprecated paths, 0…1, answered `480 Brownout`; the rest get 404 as after removal.
    public var brownoutRate: Double = 0
    /// Every N-th API request finds every access token expired (401), as if an hour had passed.
    public var expireTokensEvery: Int = 0
    /// Seed for the fault dice, so a run with rates is repeatable.
    public var seed: UInt64 = 42

    public init(
        failRate: Double = 0, failNext: Int = 0, latencyMilliseconds: Int = 0, dropAfterCommitRate: Double = 0,
        dropNextWrites: Int = 0, brownoutRate: Double = 0, expireTokensEvery: Int = 0, seed: UInt64 = 42
    ) {
        self.expireTokensEvery = expireTokensEvery
        self.failRate = failRate
        self.failNext = failNext
        self.latencyMilliseconds = latencyMilliseconds
        self.dropAfterCommitRate = dropAfterCommitRate
        self.dropNextWrites = dropNextWrites
        self.brownoutRate = brownoutRate
        self.seed = seed
    }
}

import Foundation

/// Everything the Dinero emulator knows, behind one actor, so each request sees and leaves a
/// consistent state. Mutating operations end with ``commit()``, which writes what changed to
/// the state file (when there is one) in one transaction before the answer goes out.
actor DineroStore {
    let baseClock: any SandboxClock
    var clockOffset: TimeInterval = 0
    let options: SandboxOptions
    var faults: FaultSettings
    var dice: SplitMix64
    let database: SandboxDatabase?
    var pending: [StoredRecord] = []

    var organizations: [Int: Organization] = [:]
    var clients: [String: APIClient] = [:]
    var users: [String: SandboxUser] = [:]
    var tokens: [String: AccessToken] = [:]
    var codes: [String: AuthorizationCode] = [:]
    var grants: [String: Grant] = [:]
    /// Every refresh token ever issued (spent ones too) → its grant, for replay detection.
    var refreshTokens: [String: String] = [:]

    var manualVouchers: [String: ManualVoucher] = [:]
    var purchaseVouchers: [String: PurchaseVoucher] = [:]
    /// Keyed by "org/id": ids are chosen by clients, so they are unique only within an organization.
    var ledgerItems: [String: LedgerItem] = [:]
    var files: [String: StoredFile] = [:]
    var contacts: [String: Contact] = [:]
    var invoices: [String: Invoice] = [:]
    var entries: [Int: [Entry]] = [:]
    var counters = Counters()

    var rateWindows: [String: RateWindow] = [:]
    /// API requests seen, for `expireTokensEvery`.
    var apiRequests = 0
    var requestLog: [LoggedRequest] = []

    struct Counters: Codable, Sendable {
        var timestamp: UInt64 = 0
        var entrySequence = 0
        var nextVoucherNumber: [String: Int] = [:]
        /// Not stored: rebuilt from the booked documents when the state file is loaded.
        var usedVoucherNumbers: [String: Set<Int>] = [:]

        enum CodingKeys: String, CodingKey { case timestamp, entrySequence, nextVoucherNumber }
    }

    struct RateWindow: Sendable {
        var minute: Int64
        var count: Int
    }

    init(options: SandboxOptions, clock: any SandboxClock) async throws {
        self.options = options
        self.faults = options.faults
        self.baseClock = clock
        self.dice = SplitMix64(seed: options.faults.seed)
        self.database = try options.dataDirectory.map { try SandboxDatabase(directory: $0) }
        let records = try database?.all() ?? []
        if records.isEmpty {
            for organization in Seed.organizations(extra: options.extraOrganizations) {
                organizations[organization.id] =
                    organization.id == SandboxCredentials.organizationID
                    ? options.chart.map { $0.applied(to: organization) } ?? organization : organization
            }
            for seeded in options.chart?.contacts ?? [] {
                let guid = seeded.id.flatMap { UUIDText.isValid($0.lowercased()) ? $0.lowercased() : nil } ?? newGuid()
                contacts[guid] = Contact(
                    organization: SandboxCredentials.organizationID, guid: guid, name: seeded.name,
                    countryKey: seeded.country ?? "DK", isPerson: false, externalReference: seeded.externalReference,
                    vatNumber: seeded.vatNumber, email: nil, createdAt: now, updatedAt: now)
                remember("contact", guid, contacts[guid]!)
            }
            for client in Seed.clients { clients[client.id] = client }
            for user in Seed.users { users[user.id] = user }
            for organization in organizations.values { remember("organization", String(organization.id), organization) }
            for client in clients.values { remember("client", client.id, client) }
            for user in users.values { remember("user", user.id, user) }
            try database?.write(pending)
            pending.removeAll()
        } else {
            try load(records)
        }
    }

    var now: Date { baseClock.now().addingTimeInterval(clockOffset) }

    // MARK: Persistence

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    /// Queues a record for the state file; nothing is written without a database.
    func remember(_ kind: String, _ key: String, _ value: some Encodable) {
        guard database != nil else { return }
        pending.append(StoredRecord(kind: kind, key: key, body: try? Self.encoder.encode(value)))
    }

    func forget(_ kind: String, _ key: String) {
        guard database != nil else { return }
        pending.append(StoredRecord(kind: kind, key: key, body: nil))
    }

    /// Writes everything queued since the last commit in one transaction.
    func commit() throws(DineroError) {
        guard let database, !pending.isEmpty else { return }
        remember("meta", "counters", counters)
        let records = pending
        pending.removeAll()
        do {
            try database.write(records)
        } catch {
            throw DineroError(status: 500, code: 0, message: "The sandbox could not write its state file: \(error)")
        }
    }

    private func load(_ records: [StoredRecord]) throws {
        func decode<T: Decodable>(_ type: T.Type, _ record: StoredRecord) throws -> T {
            try Self.decoder.decode(type, from: record.body ?? Data())
        }
        for record in records {
            switch record.kind {
            case "organization":
                let value = try decode(Organization.self, record)
                organizations[value.id] = value
            case "client":
                let value = try decode(APIClient.self, record)
                clients[value.id] = value
            case "user":
                let value = try decode(SandboxUser.self, record)
                users[value.id] = value
            case "token":
                let value = try decode(AccessToken.self, record)
                tokens[value.token] = value
            case "code":
                let value = try decode(AuthorizationCode.self, record)
                codes[value.code] = value
            case "grant":
                let value = try decode(Grant.self, record)
                grants[value.id] = value
                for token in value.spentRefreshTokens + [value.currentRefreshToken].compactMap({ $0 }) {
                    refreshTokens[token] = value.id
                }
            case "manual":
                let value = try decode(ManualVoucher.self, record)
                manualVouchers[value.guid] = value
            case "purchase":
                let value = try decode(PurchaseVoucher.self, record)
                purchaseVouchers[value.guid] = value
            case "ledger":
                let value = try decode(LedgerItem.self, record)
                ledgerItems[record.key] = value
            case "file":
                let value = try decode(StoredFile.self, record)
                files[value.guid] = value
            case "contact":
                let value = try decode(Contact.self, record)
                contacts[value.guid] = value
            case "invoice":
                let value = try decode(Invoice.self, record)
                invoices[value.guid] = value
            case "entry":
                let value = try decode(Entry.self, record)
                entries[value.organization, default: []].append(value)
            case "meta":
                counters = try decode(Counters.self, record)
            default:
                continue
            }
        }
        for key in entries.keys { entries[key]?.sort { $0.sequence < $1.sequence } }
        for voucher in manualVouchers.values {
            if let number = voucher.voucherNumber { markUsed(number, organization: voucher.organization) }
        }
        for voucher in purchaseVouchers.values {
            if let number = voucher.voucherNumber { markUsed(number, organization: voucher.organization) }
        }
        for item in ledgerItems.values {
            if let number = item.voucherNumber { markUsed(number, organization: item.organization) }
        }
    }

    // MARK: Counters

    /// A new opaque `Timestamp`/`Version`: 16 hex digits, different after every change.
    func nextTimestamp() -> String {
        counters.timestamp += 1
        let hex = String(counters.timestamp, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    func newGuid() -> String { UUID().uuidString.lowercased() }

    func organization(_ id: Int) throws(DineroError) -> Organization {
        guard let organization = organizations[id] else { throw DineroError.notFound("Organization \(id)") }
        return organization
    }

    // MARK: Faults

    func setFaults(_ settings: FaultSettings) {
        if settings.seed != faults.seed { dice = SplitMix64(seed: settings.seed) }
        faults = settings
    }

    /// Decides, before a request runs, whether it fails and how long it waits.
    func faultsBeforeRequest() -> (fail: Bool, latencyMilliseconds: Int) {
        if faults.failNext > 0 {
            faults.failNext -= 1
            return (true, faults.latencyMilliseconds)
        }
        let fail = faults.failRate > 0 && dice.nextUnit() < faults.failRate
        return (fail, faults.latencyMilliseconds)
    }

    /// Decides, after a write succeeded and was committed, whether its answer is lost.
    func dropsAnswerToWrite() -> Bool {
        if faults.dropNextWrites > 0 {
            faults.dropNextWrites -= 1
            return true
        }
        return faults.dropAfterCommitRate > 0 && dice.nextUnit() < faults.dropAfterCommitRate
    }

    func brownout() -> Bool { faults.brownoutRate > 0 && dice.nextUnit() < faults.brownoutRate }

    // MARK: Request log

    func log(_ request: LoggedRequest) {
        if requestLog.count >= 100_000 { requestLog.removeFirst(requestLog.count / 2) }
        requestLog.append(request)
        if let observer = options.requestObserver {
            var line = "\(request.method) \(request.path) → \(request.status)"
            if request.dropped { line += " (committed; answer dropped)" }
            if let client = request.clientID { line += "  [\(client)]" }
            observer(line)
        }
    }
}

/// One API request as the admin API lists it.
struct LoggedRequest: Sendable {
    var method: String
    var path: String
    var status: Int
    var organization: Int?
    var clientID: String?
    var at: Date
    /// The answer was lost on purpose (drop after commit).
    var dropped: Bool
}

/// A small, seedable random number generator for the fault dice.
struct SplitMix64: Sendable {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<1.
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

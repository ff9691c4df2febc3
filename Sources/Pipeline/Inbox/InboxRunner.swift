import Checkpoint
import Crypto
import Foundation
public import Inbox
import LedgerModel
public import Logging
import Mapping
import Readers
import Reports
import Submission
import Synchronization
import Targets

/// Works an inbox: takes complete files, books each through its route's job, and moves it to
/// `done/` (with its report and rejected rows) or `failed/` (with what to fix). One file at a time.
public final class InboxRunner {
    let inbox: InboxFolder
    let config: InboxConfig
    let configPath: String
    let logger: Logger
    let debugData: Bool
    let validation: ValidationChoices
    /// The process's environment, for credentials; and the fault drills, for tests.
    let environment: [String: String]
    let drills: (afterAnswer: (@Sendable (Int) -> Void)?, refresh: (@Sendable (String) -> Void)?)
    let transport: SharedTransport
    let doorbell: Doorbell
    let stop: @Sendable () -> Bool
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant

    private var connections: [String: TargetConnection] = [:]
    /// Routes whose target could not be used, until when (seconds on `now()`).
    private var paused: [String: Double] = [:]
    /// Routes whose mapping does not compile (or whose connection cannot be set up), by the
    /// mapping's modification time: told once, tried again when the mapping changes.
    private var broken: [String: Date] = [:]
    /// Files already told about (waiting behind a file of the same name, say), so they are told once.
    private var told: Set<String> = []
    private(set) var worst = Severity.clean

    /// What a run ends with, worst last; `--once` ends with the worst.
    enum Severity: Int, Comparable {
        case clean, rowsRejected, fileFailed, locked, resumeLater, target

        static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }

        /// A file waiting for a route's lock is one to take up later, not an inbox held.
        var outcome: JobOutcome {
            switch self {
            case .clean: .done
            case .rowsRejected: .rowsFailed
            case .fileFailed: .unusable
            case .locked, .resumeLater: .resumeLater(at: nil)
            case .target: .targetRefused
            }
        }
    }

    /// The worst of what the files met so far.
    public var outcome: JobOutcome { worst.outcome }

    public init(
        inbox: InboxFolder, config: InboxConfig, configPath: String, logger: Logger, debugData: Bool,
        validation: ValidationChoices, sandbox: EmbeddedSandbox?, environment: [String: String] = [:],
        drills: (afterAnswer: (@Sendable (Int) -> Void)?, refresh: (@Sendable (String) -> Void)?) = (nil, nil),
        doorbell: Doorbell, stop: @escaping @Sendable () -> Bool
    ) {
        self.inbox = inbox
        self.config = config
        self.configPath = configPath
        self.logger = logger
        self.debugData = debugData
        self.validation = validation
        self.environment = environment
        self.drills = drills
        self.doorbell = doorbell
        self.stop = stop
        transport = SharedTransport(sandbox: sandbox)
        started = clock.now
    }

    private func now() -> Double {
        let elapsed = clock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private func note(_ severity: Severity) { worst = max(worst, severity) }

    // MARK: The loop

    /// Works the inbox: with `once`, what is there now (waiting for files still settling, up to
    /// twice the settle time), then returns; otherwise until `stop`.
    public func run(once: Bool) async {
        let events = once ? nil : FolderEvents.start(folder: inbox.root, doorbell: doorbell)
        if !once {
            logger.info(
                "watching \(inbox.root) (\(events == nil ? "polling every \(config.pollSeconds) s" : "inotify")); \(config.routes.count) routes"
            )
        }
        defer { events?.stop() }
        var tracker = SettleTracker(settle: config.settleSeconds)
        let onceDeadline = now() + config.settleSeconds * 2 + 1
        while !stop() {
            // A stopped run's files first: they may be half booked.
            for entry in inbox.leftInProcessing() where !stop() {
                await takeUp(entry.name, claimed: true)
            }
            for name in events?.takeArrivals() ?? [] { tracker.arrivedWhole(name) }
            let (ready, nextCheck) = tracker.observe(
                inbox.waiting(), now: now(), wallClock: Date().timeIntervalSince1970)
            for name in ready where !stop() {
                if await takeUp(name, claimed: false) { tracker.forget(name) }
            }
            if once {
                guard let nextCheck, nextCheck <= onceDeadline else {
                    if nextCheck != nil {
                        for entry in inbox.waiting() where !ready.contains(entry.name) {
                            logger.notice(
                                "\(entry.name) is still being written; it is left for the next run",
                                metadata: ["file": "\(entry.name)"])
                        }
                    }
                    break
                }
                await doorbell.wait(upTo: nextCheck - now())
                continue
            }
            var wait = config.pollSeconds
            if let nextCheck { wait = min(wait, nextCheck - now()) }
            for until in paused.values where until > now() { wait = min(wait, until - now()) }
            await doorbell.wait(upTo: max(0.05, wait))
        }
        for connection in connections.values { await connection.close() }
        await transport.close()
    }

    // MARK: One file

    /// Takes one file through its route. False when it was left where it is for now.
    @discardableResult
    private func takeUp(_ name: String, claimed: Bool) async -> Bool {
        let fileLogger = logger.with(["file": "\(name)"])
        guard let route = config.route(for: name) else {
            do {
                if !claimed { guard try inbox.claim(name) != nil else { return true } }
                let text = """
                    \(name) was not booked: no route in \(configPath) takes a file of this name.
                    The routes take: \(config.routes.map { "\($0.patterns.joined(separator: ", ")) (\($0.name))" }.joined(separator: "; ")).

                    What to do: rename the file to match a route (or add a route for it), then drop it into the inbox again.
                    Attachments (receipts) belong in a sub-folder of the inbox, which is never looked into.

                    """
                let moved = try inbox.finish(name, as: .failed, companions: [Self.errorText(text)])
                fileLogger.error("no route takes \(name); moved to \(relative(moved))")
                note(.fileFailed)
            } catch {
                fileLogger.error("\(error)")
                note(.fileFailed)
            }
            return true
        }
        let routeLogger = fileLogger.with(["route": "\(route.name)"])
        if let until = paused[route.name] {
            guard until <= now() else { return false }
            paused[route.name] = nil
        }
        // The mapping and the connection are the configuration's business, not the file's: when
        // they cannot be used, the file waits where it is and the log says what to mend.
        let mappingChanged = Self.modified(route.mapping)
        if let brokenAt = broken[route.name] {
            guard mappingChanged != brokenAt else {
                note(.fileFailed)
                return false
            }
            broken[route.name] = nil
        }
        let collector = CollectingSink(logger: routeLogger, debugData: debugData)
        guard let session = MappingSession.load(route.mapping, sink: collector) else {
            broken[route.name] = mappingChanged
            routeLogger.error(
                "the route's mapping \(route.mapping) has errors; its files wait in the inbox until it is mended:\n\(collector.text)"
            )
            note(.fileFailed)
            return false
        }
        let connection: TargetConnection
        do {
            connection = try await self.connection(for: route)
        } catch {
            broken[route.name] = mappingChanged
            routeLogger.error("the route \(route.name) cannot reach its target: \(error); its files wait in the inbox")
            note(.target)
            return false
        }

        // Take the file.
        if !claimed {
            do {
                guard try inbox.claim(name) != nil else { return true }
            } catch {
                if told.insert(name).inserted { routeLogger.notice("\(error)") }
                return false
            }
        }
        told.remove(name)
        return await book(name, route: route, session: session, connection: connection, logger: routeLogger)
    }

    /// Books a file now in `processing/` and moves it on; false when it stays there for later.
    private func book(
        _ name: String, route: InboxConfig.Route, session: MappingSession, connection: TargetConnection,
        logger: Logger
    ) async -> Bool {
        let path = inbox.processing + "/" + name
        let collector = CollectingSink(logger: logger, debugData: debugData)
        let fingerprint: Fingerprint
        do {
            fingerprint = try Fingerprint(of: path)
        } catch {
            logger.error("cannot read processing/\(name): \(error)")
            note(.fileFailed)
            return false
        }
        let key = "\(name)@\(fingerprint.sha256.prefix(12))"
        let statePath = inbox.work + "/state/\(stateName(route)).sqlite"
        let lock: RunLock
        do {
            guard let taken = try RunLock(path: statePath + ".lock") else {
                logger.notice(
                    "another ledgerlift run is working on the route's state (\(RunLock.holder(of: statePath + ".lock") ?? "unknown")); \(name) waits in processing/"
                )
                note(.locked)
                return false
            }
            lock = taken
        } catch {
            logger.error("\(error)")
            note(.fileFailed)
            return false
        }
        defer { withExtendedLifetime(lock) {} }

        var job = ImportJob(
            mapping: session,
            inputs: [ImportJob.Input(path: path, key: key, attachmentFolder: inbox.root, fingerprint: fingerprint)],
            targetName: route.target, statePath: statePath)
        job.validation = validation
        job.submission.batchSize = route.batchSize
        let result: ImportJob.Result
        do {
            result = try await job.run(connection: connection, sink: collector, stop: stop)
        } catch {
            logger.error("\(name) stopped: \(error); it stays in processing/ and is tried again")
            note(.resumeLater)
            return false
        }

        switch result.outcome {
        case .unusable:
            try? result.state?.forget(file: key)
            // The messages name the file where it was read; the accountant knows it by its name.
            return fail(name, because: collector.text.replacingOccurrences(of: path, with: name), logger: logger)
        case .targetRefused:
            paused[route.name] = now() + config.retrySeconds
            logger.error(
                "\(name): the target refused or cannot be reached; it stays in processing/ and is tried again in \(Int(config.retrySeconds)) s"
            )
            note(.target)
            return false
        case .resumeLater(let at):
            // A rate window far away: the route waits for it, not just the usual retry time.
            let wait = max(config.retrySeconds, at.map { $0.timeIntervalSinceNow } ?? 0)
            if !stop() { paused[route.name] = now() + wait }
            let after = at.map { " after \($0.formatted(date: .omitted, time: .shortened))" } ?? ""
            logger.notice(
                "\(name): stopped before every document was booked; it stays in processing/ and is taken up again\(after)"
            )
            note(.resumeLater)
            return false
        default:
            break
        }
        guard let state = result.state else { return false }
        return finish(
            name, key: key, state: state, route: route, readerOptions: session.mapping.readerOptions,
            calls: result.calls, seenBefore: result.alreadyMapped.contains(key), logger: logger)
    }

    /// Writes the report (and rejected rows) beside the file in `done/`; false when some
    /// documents are not final yet (they failed for now), so the file stays in `processing/`.
    private func finish(
        _ name: String, key: String, state: StateFile, route: InboxConfig.Route, readerOptions options: ReaderOptions,
        calls: Int, seenBefore: Bool, logger: Logger
    ) -> Bool {
        let rows: [ReportRow]
        do {
            rows = try JobReport.rows(from: state, file: key)
        } catch {
            logger.error("cannot read the state for \(name): \(error)")
            note(.resumeLater)
            return false
        }
        let summary = Report.summary(rows)
        if summary.pending + summary.failed > 0 {
            paused[route.name] = now() + config.retrySeconds
            logger.warning(
                "\(name): \(summary.failed + summary.pending) rows are not booked yet (the target failed for now); it stays in processing/ and is tried again in \(Int(config.retrySeconds)) s",
                metadata: ["failed": "\(summary.failed)", "pending": "\(summary.pending)"])
            note(.resumeLater)
            return false
        }
        let rejected = Set(rows.filter { $0.status == .rejected }.map(\.record))
        var companions = [
            InboxFolder.Companion(suffix: "report.csv") { path in try Report.writeCSV(rows, to: path) },
            InboxFolder.Companion(suffix: "report.jsonl") { path in try Report.writeJSONLines(rows, to: path) },
        ]
        var rejectedNote = ""
        if !rejected.isEmpty {
            // Copied out before anything moves: a file that cannot be copied (UTF-16, say) still goes
            // to done/, and the report lists its rejected rows either way.
            let copy = inbox.work + "/rejected-\(UUID().uuidString).tmp"
            do {
                try RecordSubset.write(from: inbox.processing + "/" + name, options: options, keep: rejected, to: copy)
                let (_, fileExtension) = InboxFolder.split(name)
                companions.append(
                    InboxFolder.Companion(suffix: "rejected" + (fileExtension.isEmpty ? "" : "." + fileExtension)) {
                        path in try FileManager.default.moveItem(atPath: copy, toPath: path)
                    })
                rejectedNote = "; fix the rejected rows in done/ and drop that file into the inbox again"
            } catch {
                try? FileManager.default.removeItem(atPath: copy)
                logger.warning("\(name): the rejected rows were not copied out (\(error)); the report lists them")
                rejectedNote = "; the report lists the rejected rows"
            }
        }
        do {
            let moved = try inbox.finish(name, as: .done, companions: companions)
            var metadata: Logger.Metadata = [
                "rows": .stringConvertible(summary.rows), "booked": .stringConvertible(summary.booked),
                "rejected": .stringConvertible(summary.rejected), "skipped": .stringConvertible(summary.skipped),
                "duplicate": .stringConvertible(summary.duplicateSkipped),
                "documents": .stringConvertible(summary.documentsBooked), "calls": .stringConvertible(calls),
            ]
            metadata["moved_to"] = "\(relative(moved))"
            let line =
                seenBefore
                ? "\(name): this very file (sha256 \(key.split(separator: "@").last ?? "")…) was taken before; nothing new was booked (\(summary.booked) rows booked then, \(summary.rejected) rejected) → \(relative(moved))"
                : "\(name): \(summary.rows) rows: \(summary.booked) booked (in \(summary.documentsBooked) documents), \(summary.rejected) rejected, \(summary.skipped) skipped, \(summary.duplicateSkipped) already booked → \(relative(moved))\(rejectedNote)"
            if summary.rejected > 0 && !seenBefore {
                logger.warning("\(line)", metadata: metadata)
                note(.rowsRejected)
            } else {
                logger.info("\(line)", metadata: metadata)
            }
            return true
        } catch {
            logger.error("\(name) was booked but could not be moved to done/: \(error)")
            note(.resumeLater)
            return false
        }
    }

    /// Moves a file that could not be used to `failed/` with its error text.
    private func fail(_ name: String, because problems: String, logger: Logger) -> Bool {
        let text = """
            \(name) was not booked: it could not be read or mapped. Nothing from it was sent.

            \(problems)
            What to do: fix the file (the lines above say where), then drop it into the inbox again. If the
            file is right and the route's mapping is not (a renamed column, say), mend the mapping and drop the
            file in again.

            """
        do {
            let moved = try inbox.finish(name, as: .failed, companions: [Self.errorText(text)])
            logger.error("\(name) could not be used; moved to \(relative(moved)) with an .error.txt")
        } catch {
            logger.error("\(name) could not be used, nor moved to failed/: \(error)")
        }
        note(.fileFailed)
        return true
    }

    // MARK: Helpers

    static func errorText(_ text: String) -> InboxFolder.Companion {
        InboxFolder.Companion(suffix: "error.txt") { path in try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }
    }

    private func relative(_ path: String) -> String {
        path.hasPrefix(inbox.root + "/") ? String(path.dropFirst(inbox.root.count + 1)) : path
    }

    /// The route's state file: one per mapping, target and organization, so a file dropped in
    /// again is recognised by its documents' references whatever it is called.
    private func stateName(_ route: InboxConfig.Route) -> String {
        let identity = [route.mapping, route.target, route.organization.map(String.init) ?? ""].joined(separator: "\n")
        let digest = SHA256.hash(data: Data(identity.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        return "\(route.name)-\(digest)"
    }

    private func connection(for route: InboxConfig.Route) async throws -> TargetConnection {
        let key = stateName(route)
        if let open = connections[key] { return open }
        var settings = TargetSettings(
            target: route.target, sandboxData: config.sandboxData ?? inbox.work + "/sandbox")
        settings.organization = route.organization
        settings.apiURL = route.apiURL
        settings.authURL = route.authURL
        settings.credentialsFile = route.credentials
        settings.rateLimit = route.rateLimit
        settings.auth = route.auth
        settings.tokenStore = route.tokenStore ?? ".ledgerlift/tokens.json"
        settings.environment = environment
        settings.afterAnswer = drills.afterAnswer
        settings.refreshDrill = drills.refresh
        if route.auth == "connect" {
            settings.connect = try Credentials.connectSettings(file: route.credentials, environment: environment)
        }
        let connection = try await TargetConnection.open(settings, sharing: transport)
        logger.info("route \(route.name) books in \(connection.description)")
        connections[key] = connection
        return connection
    }

    private static func modified(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }
}

extension Logger {
    func with(_ metadata: Logger.Metadata) -> Logger {
        var logger = self
        for (key, value) in metadata { logger[metadataKey: key] = value }
        return logger
    }
}

/// A job's problems in an inbox: logged (row values only with `--debug-data`), and kept as text
/// for a failed file's `.error.txt`, which is the accountant's and may show them.
final class CollectingSink: ProblemSink {
    let logger: Logger
    let debugData: Bool
    private let lines = Mutex<[String]>([])

    init(logger: Logger, debugData: Bool) {
        self.logger = logger
        self.debugData = debugData
    }

    var text: String { lines.withLock { $0.map { $0 + "\n" }.joined() } }

    func report(_ diagnostic: Diagnostic) {
        lines.withLock { $0.append(diagnostic.description) }
        let level: Logger.Level = diagnostic.severity == .error ? .warning : .notice
        if debugData {
            logger.log(level: level, "\(diagnostic.description)")
        } else {
            // Where and which rule, not the values: messages quote the rows.
            let location = diagnostic.location
            let place = [
                location?.line.map { "line \($0)" }, location?.element.map { "element \($0)" },
                location?.field.map { "field \($0)" },
            ].compactMap { $0 }.joined(separator: ", ")
            logger.log(
                level: level,
                "\(diagnostic.code.rawValue) \(diagnostic.severity.rawValue)\(place.isEmpty ? "" : " at \(place)") (row values are logged with --debug-data)"
            )
        }
    }

    func error(_ text: String) {
        lines.withLock { $0.append("error: " + text) }
        logger.error("\(text)")
    }

    func note(_ text: String) {
        lines.withLock { $0.append(text) }
        logger.debug("\(text)")
    }
}

import ArgumentParser
import Checkpoint
import Crypto
import Foundation
import LedgerModel
import Mapping
import Readers
import Reports
import Submission
import Synchronization
import Targets
import Validation

/// `ledgerlift import MAPPING FILE...`: read, map, validate, book exactly once, report.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Book files in Dinero through a mapping, exactly once, with a report for every row.",
        discussion: """
            With no --target, the files are booked in the built-in sandbox (nothing leaves this machine).
            Re-running the same command resumes the job from its state file.
            Exit codes: 0 every row booked (or skipped by a rule); 1 some rows rejected or failed (see the report);
            2 usage, mapping or changed-file error; 3 cannot reach or authorize the target; 73 another run holds
            the job; 75 stopped early, safe to re-run.
            """
    )

    @Argument(help: "The mapping file (YAML).")
    var mapping: String

    @Argument(help: "The files to import.")
    var files: [String]

    @Option(help: "Where to book: sandbox (built in, the default) or dinero.")
    var target = "sandbox"

    @Option(help: "The Dinero organization id (firmaID); or DINERO_ORGANIZATION_ID.")
    var org: Int?

    @Option(help: "The job's state file (default: .ledgerlift/<job>.sqlite).")
    var state: String?

    @Option(help: "Folder for the per-row report (default: beside the state file).")
    var report: String?

    @Flag(help: "Forget the job's state and start over (documents already booked are found again by reference).")
    var restart = false

    @Option(help: "Dinero's API base URL (default https://api.dinero.dk; or DINERO_API_URL).")
    var apiURL: String?

    @Option(help: "Dinero's token server (default https://authz.dinero.dk; or DINERO_AUTH_URL).")
    var authURL: String?

    @Option(help: "A KEY=value file with DINERO_CLIENT_ID, DINERO_CLIENT_SECRET, DINERO_API_KEY (mode 0600).")
    var credentials: String?

    @Option(
        help:
            "How to sign in: personal (API key: DINERO_CLIENT_ID, DINERO_CLIENT_SECRET, DINERO_API_KEY) or connect (the tokens of ledgerlift auth login)."
    )
    var auth = "personal"

    @OptionGroup(title: "Visma Connect (--auth connect)") var connect: ConnectOptionGroup

    @Option(
        help: "Requests a minute to the organization (default: Dinero's 60 for personal integrations, 100 for apps).")
    var rateLimit: Int?

    @Option(help: "The target's rate window in seconds (Dinero: 60). The client keeps a 1/60 margin on top.")
    var rateWindow: Double = 60

    @Option(help: "Ledger items per create and book call.")
    var batchSize = 100

    @Flag(help: "Read the organization's chart from Dinero even if a copy younger than an hour is cached.")
    var refreshChart = false

    @Option(help: "Where the built-in sandbox keeps its books between runs.")
    var sandboxData = ".ledgerlift/sandbox"

    @OptionGroup var reader: ReaderOptionGroup

    @OptionGroup(title: "Validation") var validation: ValidationOptionGroup

    func validate() throws {
        guard ["sandbox", "dinero"].contains(target) else { throw ValidationError("--target is sandbox or dinero") }
        if files.isEmpty { throw ValidationError("name at least one file to import") }
        guard (1...1000).contains(batchSize) else { throw ValidationError("--batch-size is 1…1000") }
        if let rateLimit, rateLimit <= 0 { throw ValidationError("--rate-limit must be positive") }
        guard ["personal", "connect"].contains(auth) else { throw ValidationError("--auth is personal or connect") }
        if auth == "connect" && target == "sandbox" {
            throw ValidationError(
                "--auth connect needs --target dinero (point --api-url and --token-url at a running ledgerlift sandbox to try it)"
            )
        }
        guard rateWindow > 0 else { throw ValidationError("--rate-window must be positive") }
    }

    func run() async throws {
        _ = Self.watchSignals()
        let session = try MappingSession.load(mapping)
        let job = jobName()
        let statePath = state ?? ".ledgerlift/\(job).sqlite"
        let reportDirectory = report ?? ((statePath as NSString).deletingLastPathComponent + "/reports")
        // One run per job at a time; the kernel releases the lock when a run ends, however it ends.
        let lock: RunLock
        do {
            guard let taken = try RunLock(path: statePath + ".lock") else {
                Console.err(
                    "error: another ledgerlift run is working on this job (\(RunLock.holder(of: statePath + ".lock") ?? "unknown")); \(statePath) is locked. Wait for it to finish."
                )
                throw ExitStatus.locked
            }
            lock = taken
        } catch let error as RunLockError {
            Console.err("error: \(error)")
            throw ExitStatus.usage
        }
        defer { withExtendedLifetime(lock) {} }
        if restart { Self.removeState(statePath) }

        if target == "sandbox" {
            Console.err("*** No --target: booking in the built-in sandbox. Nothing leaves this machine. ***")
        }
        let connection: DineroConnection
        do {
            connection = try await DineroConnection.open(
                .init(
                    target: target, organization: org, apiURL: apiURL, authURL: authURL, credentialsFile: credentials,
                    sandboxData: sandboxData, rateLimit: rateLimit, rateWindow: rateWindow, auth: auth,
                    connect: auth == "connect" ? try connect.settings(credentialsFile: credentials) : nil,
                    tokenStore: connect.tokenStore))
        } catch let error as ConnectionError {
            Console.err("error: \(error)")
            throw ExitStatus.usage
        }
        let status: ExitCode
        do {
            status = try await importFiles(
                session, connection: connection, statePath: statePath, reportDirectory: reportDirectory, job: job)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        throw status
    }

    private func importFiles(
        _ session: MappingSession, connection: DineroConnection, statePath: String, reportDirectory: String, job: String
    ) async throws -> ExitCode {
        Console.err("Target: \(connection.description)")
        let organization: DineroOrganization
        let chart: DineroChart
        let cache = ChartCache(
            path: (statePath as NSString).deletingLastPathComponent
                + "/cache/\(target)-\(connection.client.organization).json")
        do {
            organization = try await connection.client.checkAccess()
            if !refreshChart, let cached = cache.load(maxAge: 3600) {
                chart = cached
            } else {
                chart = try await connection.client.chart()
                cache.save(chart)
            }
        } catch {
            Console.err("error: cannot use the organization: \(error)")
            return ExitStatus.target
        }
        let stateFile = try StateFile(path: statePath)
        let jobRecord = JobRecord(
            mapping: Self.absolute(mapping), target: target, organization: String(organization.id))
        if let existing = try stateFile.job() {
            guard existing == jobRecord else {
                Console.err(
                    "error: \(statePath) belongs to another job (mapping \(existing.mapping), \(existing.target) organization \(existing.organization)). Name another --state, or --restart."
                )
                return ExitStatus.usage
            }
            Console.err("Resuming the job in \(statePath)")
        } else {
            try stateFile.start(jobRecord)
        }

        // Map and validate each file once; a file that changed since is refused.
        let validator = try validation.makeValidator(
            mapping: session.mapping.validation,
            fromTarget: DineroConnection.reference(from: chart, name: organization.name))
        var problems = ProblemPrinter(limit: 20)
        var unusable = false
        for file in files {
            let fingerprint = try Self.fingerprint(file)
            if let known = try stateFile.sourceFile(file) {
                guard known.size == fingerprint.size, known.sha256 == fingerprint.sha256 else {
                    Console.err(
                        "error: \(file) changed since this job first read it (was \(known.size) bytes, sha256 \(known.sha256.prefix(12))…; now \(fingerprint.size) bytes, \(fingerprint.sha256.prefix(12))…). Booking it now could book rows twice or miss some. Put new rows in a new file, or start over with --restart."
                    )
                    return ExitStatus.usage
                }
                if known.mapped { continue }
            } else {
                try stateFile.record(SourceFileRecord(path: file, size: fingerprint.size, sha256: fingerprint.sha256))
            }
            guard let (builder, _) = try session.open(file, overrides: reader) else {
                unusable = true
                continue
            }
            var step = ValidationStep(validator)
            var documents: [DocumentRecord] = []
            var rows: [RowRecord] = []
            // Stored a chunk at a time, so memory stays bounded whatever the file's size.
            var sequence = try stateFile.phaseCounts().values.reduce(0, +)
            var stored = 0
            var skippedOrRejected = 0
            do {
                while let mapped = try builder.next() {
                    let (event, warnings) = step.apply(mapped)
                    if let warnings { problems.report(warnings) }
                    switch event {
                    case .document(let document):
                        do {
                            try DineroClient.check(document)
                            documents.append(DocumentRecord(document: document, sequence: sequence))
                            sequence += 1
                        } catch {
                            let outcome = RowOutcome(
                                file: document.provenance.file, rows: document.provenance.rows,
                                reason: error.description)
                            problems.report(outcome)
                            rows += Self.rowRecords(outcome, status: .rejected, code: error.code)
                        }
                    case .rejected(let outcome):
                        problems.report(outcome)
                        rows += Self.rowRecords(
                            outcome, status: .rejected, code: outcome.diagnostics.first?.code.rawValue)
                    case .skipped(let outcome):
                        rows += Self.rowRecords(outcome, status: .skipped, code: nil)
                    }
                    if documents.count + rows.count >= 1_000 {
                        try stateFile.storeMapped(file: file, documents: documents, rows: rows, complete: false)
                        stored += documents.count
                        skippedOrRejected += rows.count
                        documents.removeAll(keepingCapacity: true)
                        rows.removeAll(keepingCapacity: true)
                    }
                }
            } catch {
                try MappingSession.reportStop(error)
                unusable = true
                continue
            }
            try stateFile.storeMapped(file: file, documents: documents, rows: rows)
            Console.err(
                "\(file): \(stored + documents.count) documents to book, \(skippedOrRejected + rows.count) rows rejected or skipped"
            )
        }
        problems.finish("see the report")
        if unusable { return ExitStatus.usage }

        // Submit.
        let interrupted = SignalFlag.shared
        var options = DineroSubmitter.Options()
        options.batchSize = batchSize
        let progressLine = ProgressLine(rateLimit: rateLimit ?? (auth == "connect" ? 100 : 60))
        options.onProgress = { progress, calls in progressLine.report(progress, calls: calls) }
        let submitter = DineroSubmitter(
            client: connection.client, state: stateFile, options: options, stop: { interrupted.isSet })
        let (end, progress) = try await submitter.run()
        let calls = await connection.client.calls
        progressLine.report(progress, calls: calls)
        progressLine.finish()

        // Report.
        let rows = try Report.rows(from: stateFile)
        let summary = Report.summary(rows)
        let paths = try Report.write(rows, to: reportDirectory, name: job)
        Console.out(
            """
            Imported into \(organization.name) (\(organization.id)):
              rows \(summary.rows): booked \(summary.booked) (in \(summary.documentsBooked) documents), rejected \(summary.rejected), failed \(summary.failed), skipped \(summary.skipped), duplicate \(summary.duplicateSkipped), not finished \(summary.pending)
              this run: \(progress.booked) booked, \(progress.adopted) found already at the target, \(calls) API calls
              report: \(paths.csv)
                      \(paths.jsonl)
              state:  \(stateFile.path)
            """)
        switch end {
        case .targetRefused(let error):
            Console.err("error: the target refused: \(error)")
            return ExitStatus.target
        case .stoppedEarly(let reason):
            Console.err("stopped early (\(reason)); run the same command again to resume")
            return ExitStatus.resumeLater
        case .finished:
            return summary.rejected + summary.failed > 0 ? ExitStatus.rowsFailed : ExitStatus.ok
        }
    }

    /// The job's name: the mapping's and a digest of what makes it this job (mapping, files, target, organization).
    func jobName() -> String {
        let stem = ((mapping as NSString).lastPathComponent as NSString).deletingPathExtension
        let identity = ([Self.absolute(mapping)] + files.map(Self.absolute) + [target, org.map(String.init) ?? ""])
            .joined(separator: "\n")
        let digest = SHA256.hash(data: Data(identity.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        return "\(stem)-\(digest)"
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    static func fingerprint(_ path: String) throws -> (size: Int64, sha256: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            Console.err("error: cannot read \(path)")
            throw ExitStatus.usage
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        return (size, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    static func rowRecords(_ outcome: RowOutcome, status: RowRecord.Status, code: String?) -> [RowRecord] {
        outcome.rows.map { RowRecord(file: outcome.file, row: $0, status: status, code: code, message: outcome.reason) }
    }

    static func removeState(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// SIGINT and SIGTERM let the call in flight finish, then the run stops with its state saved.
    static func watchSignals() -> SignalFlag {
        let flag = SignalFlag.shared
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                flag.value.store(true, ordering: .relaxed)
                Console.err("stopping after the call in flight; the state is saved")
            }
            source.resume()
            SignalFlag.sources.append(source)
        }
        return flag
    }
}

/// The flag SIGINT and SIGTERM set.
final class SignalFlag: Sendable {
    static let shared = SignalFlag()
    /// Kept alive for the run; touched only while the command starts.
    nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
    let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .relaxed) }
}

/// The organization's chart (accounts, deposit accounts, VAT codes, years) kept for an hour, so
/// runs close together spend four calls less. `--refresh-chart` reads it again.
struct ChartCache {
    let path: String

    func load(maxAge: TimeInterval) -> DineroChart? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let modified = attributes[.modificationDate] as? Date, Date().timeIntervalSince(modified) < maxAge,
            let data = FileManager.default.contents(atPath: path)
        else { return nil }
        return try? JSONDecoder().decode(DineroChart.self, from: data)
    }

    func save(_ chart: DineroChart) {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? JSONEncoder().encode(chart).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

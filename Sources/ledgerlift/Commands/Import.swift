import ArgumentParser
import Checkpoint
import Foundation
import Pipeline
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

    @Option(help: "The job's state file (default: .ledgerlift/<job>.sqlite).")
    var state: String?

    @Option(help: "Folder for the per-row report (default: beside the state file).")
    var report: String?

    @Flag(help: "Forget the job's state and start over (documents already booked are found again by reference).")
    var restart = false

    @Option(help: "Ledger items per create and book call.")
    var batchSize = 100

    @Flag(help: "Read the organization's chart from Dinero even if a copy younger than an hour is cached.")
    var refreshChart = false

    @OptionGroup(title: "Target") var targetOptions: TargetOptionGroup

    @OptionGroup var reader: ReaderOptionGroup

    @OptionGroup(title: "Validation") var validation: ValidationOptionGroup

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one file to import") }
        guard (1...1000).contains(batchSize) else { throw ValidationError("--batch-size is 1…1000") }
    }

    func run() async throws {
        _ = Self.watchSignals()
        guard let session = MappingSession.load(mapping, sink: TerminalSink()) else { throw ExitStatus.usage }
        let jobName = jobName()
        let statePath = state ?? ".ledgerlift/\(jobName).sqlite"
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
        if restart { StateFile.remove(path: statePath) }

        if targetOptions.target == "sandbox" {
            Console.err("*** No --target: booking in the built-in sandbox. Nothing leaves this machine. ***")
        }
        let connection: TargetConnection
        do {
            connection = try await TargetConnection.open(try targetOptions.settings(), sandbox: .dinero)
        } catch let error as ConnectionError {
            Console.err("error: \(error)")
            throw ExitStatus.usage
        }
        Console.err("Target: \(connection.description)")
        var job = ImportJob(
            mapping: session, inputs: files.map { ImportJob.Input(path: $0, key: $0) },
            targetName: targetOptions.target,
            statePath: statePath)
        job.submission.batchSize = batchSize
        job.refreshReference = refreshChart
        job.reader = reader.overrides
        job.validation = validation.choices
        let progressLine = ProgressLine(rateLimit: connection.target.rateLimit.limit)
        job.submission.onProgress = { progress, calls in progressLine.report(progress, calls: calls) }
        let result: ImportJob.Result
        do {
            result = try await job.run(connection: connection, sink: TerminalSink(), stop: { SignalFlag.shared.isSet })
        } catch is ValidationSetupError {
            await connection.close()
            throw ExitStatus.usage  // the sink said why
        } catch {
            await connection.close()
            throw error
        }
        progressLine.finish()
        await connection.close()
        if let hint = ExitStatus.resumeHint(result.outcome) { Console.err(hint) }
        if result.outcome != .unusable, let stateFile = result.state, let organization = result.organization {
            let rows = try JobReport.rows(from: stateFile)
            let summary = Report.summary(rows)
            let paths = try Report.write(rows, to: reportDirectory, name: jobName)
            Console.out(
                """
                Imported into \(organization.name) (\(organization.id)):
                  rows \(summary.rows): booked \(summary.booked) (in \(summary.documentsBooked) documents), rejected \(summary.rejected), failed \(summary.failed), skipped \(summary.skipped), duplicate \(summary.duplicateSkipped), not finished \(summary.pending)
                  this run: \(result.progress.booked) booked, \(result.progress.adopted) found already at the target, \(result.progress.contactsCreated > 0 ? "\(result.progress.contactsCreated) suppliers created, " : "")\(result.calls) API calls\(summary.draftsLeft > 0 ? "\n  drafts left at the target: \(summary.draftsLeft) (could not be removed; their remote_id is in the report)" : "")
                  report: \(paths.csv)
                          \(paths.jsonl)
                  state:  \(stateFile.path)
                """)
            if result.outcome == .done && summary.rejected + summary.failed > 0 { throw ExitStatus.rowsFailed }
        }
        throw ExitStatus.of(result.outcome)
    }

    /// The job's name: the mapping's and a digest of what makes it this job.
    func jobName() -> String {
        ImportJob.name(
            mapping: mapping, files: files, target: targetOptions.target,
            organization: targetOptions.org.map(String.init))
    }

    /// SIGINT and SIGTERM let the call in flight finish, then the run stops with its state saved.
    static func watchSignals(
        then: @escaping @Sendable () -> Void = { Console.err("stopping after the call in flight; the state is saved") }
    ) -> SignalFlag {
        let flag = SignalFlag.shared
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                flag.value.store(true, ordering: .relaxed)
                then()
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

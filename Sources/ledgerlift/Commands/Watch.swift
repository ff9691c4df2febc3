import ArgumentParser
import Checkpoint
import Foundation
import Inbox
import Logging
import Pipeline

/// `ledgerlift watch INBOX [--once]`: book the files dropped into a folder, unattended.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Book files dropped into an inbox folder: from cron (--once) or as a service.",
        discussion: """
            The inbox's ledgerlift.yaml routes file-name patterns to a mapping, a target and an organization. \
            A file is taken when complete (size and modification time unchanged for settle_seconds, or renamed \
            into the folder from *.part/*.tmp), moved to processing/, booked exactly once, and moved to done/ with \
            its report (and <name>.rejected.<ext> holding the rejected rows, to fix and drop back in), or to \
            failed/ with <name>.error.txt. A file left in processing/ by a stopped run is taken up first.

            Exit codes (--once): 0 every file booked, or nothing to do; 1 some rows rejected; 2 a file could not \
            be used (see failed/) or the configuration or a mapping is invalid; 3 a target cannot be reached or \
            authorized; 73 another run holds the inbox; 75 stopped early or a file waits in processing/ (safe to \
            re-run). Without --once it runs until SIGTERM or SIGINT, finishing the document in flight first.
            """
    )

    @Argument(help: "The inbox folder.")
    var inbox: String

    @Flag(help: "Work what is in the inbox now, then exit (for cron and systemd timers).")
    var once = false

    @Option(help: "The inbox configuration (default: INBOX/ledgerlift.yaml).")
    var config: String?

    @Option(help: "Log lines as text (default) or json (one object per line, for journald and log collectors).")
    var logFormat = "text"

    @Option(help: "The least important messages logged: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Flag(help: "Let logs show row values (amounts, texts); they are left out by default.")
    var debugData = false

    @OptionGroup(title: "Validation") var validation: ValidationOptionGroup

    func validate() throws {
        guard LineLogHandler.Format(rawValue: logFormat) != nil else {
            throw ValidationError("--log-format is text or json")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level is trace, debug, info, notice, warning, error or critical")
        }
    }

    func run() async throws {
        let format = LineLogHandler.Format(rawValue: logFormat) ?? .text
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let logger = Logger(label: "ledgerlift.watch") { label in
            LineLogHandler(label: label, format: format, logLevel: level)
        }
        let folder = InboxFolder(root: inbox)
        let configPath = config ?? folder.root + "/" + folder.configName
        let inboxConfig: InboxConfig
        do {
            try folder.prepare()
            inboxConfig = try InboxConfig.load(path: configPath, targets: TargetConnection.targets)
        } catch let error as InboxConfigError {
            logger.critical("the inbox configuration cannot be used:\n\(error)")
            throw ExitStatus.usage
        } catch {
            logger.critical("\(error)")
            throw ExitStatus.usage
        }

        // One run per inbox; the kernel lets go of the lock however a run ends.
        let lockPath = folder.work + "/inbox.lock"
        let lock: RunLock
        do {
            guard let taken = try RunLock(path: lockPath) else {
                logger.error(
                    "another ledgerlift watch is working on \(folder.root) (\(RunLock.holder(of: lockPath) ?? "unknown")); nothing was done"
                )
                throw ExitStatus.locked
            }
            lock = taken
        } catch let error as RunLockError {
            logger.critical("\(error)")
            throw ExitStatus.usage
        }
        defer { withExtendedLifetime(lock) {} }

        let doorbell = Doorbell()
        let flag = Import.watchSignals {
            logger.notice("stopping: finishing the document in flight; the rest waits for the next run")
            doorbell.ring()
        }
        let runner = InboxRunner(
            inbox: folder, config: inboxConfig, configPath: configPath, logger: logger, debugData: debugData,
            validation: validation.choices, sandbox: .dinero, environment: ProcessInfo.processInfo.environment,
            drills: (Drills.afterAnswer, Drills.refresh), doorbell: doorbell, stop: { flag.isSet })
        await runner.run(once: once)
        if once { throw ExitStatus.of(runner.outcome) }
        // A service that was asked to stop: clean, unless a file waits half done.
        if !folder.leftInProcessing().isEmpty { throw ExitStatus.resumeLater }
    }
}

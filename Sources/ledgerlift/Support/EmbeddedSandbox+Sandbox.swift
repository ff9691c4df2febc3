import Foundation
import Pipeline
import Sandbox
import Targets

extension EmbeddedSandbox {
    /// The Dinero sandbox of this build, started in-process for `--target sandbox`.
    static let dinero = EmbeddedSandbox(
        start: { folder in
            var options = SandboxOptions()
            options.dataDirectory = folder
            let server = try await SandboxServer.start(options: options)
            return RunningSandbox(baseURL: server.baseURL, stop: { await server.stop() })
        },
        organizationID: SandboxCredentials.organizationID,
        credentials: { organization in
            PersonalCredentials(
                clientID: SandboxCredentials.personalClientID,
                clientSecret: SandboxCredentials.personalClientSecret,
                apiKey: organization == SandboxCredentials.basicOrganizationID
                    ? SandboxCredentials.basicAPIKey : SandboxCredentials.apiKey)
        })
}

/// Fault drills for tests, set in the environment:
/// `LEDGERLIFT_DRILL_EXIT_AFTER_CALLS=N` ends the process the moment the N-th API answer has
/// arrived, before the state file hears of it (the crash exactly-once must survive);
/// `LEDGERLIFT_DRILL_INTERRUPT_AFTER_CALLS=N` sends the process SIGINT then;
/// `LEDGERLIFT_DRILL_EXIT_AT_REFRESH=answered|stored` ends it when a Visma Connect refresh has
/// been answered but not yet stored, or right after it was stored.
enum Drills {
    static let afterAnswer: (@Sendable (Int) -> Void)? = {
        let environment = ProcessInfo.processInfo.environment
        let exitAfter = environment["LEDGERLIFT_DRILL_EXIT_AFTER_CALLS"].flatMap { Int($0) }
        let interruptAfter = environment["LEDGERLIFT_DRILL_INTERRUPT_AFTER_CALLS"].flatMap { Int($0) }
        guard exitAfter != nil || interruptAfter != nil else { return nil }
        return { calls in
            if let exitAfter, calls >= exitAfter { exit(99) }
            if let interruptAfter, calls == interruptAfter { kill(getpid(), SIGINT) }
        }
    }()

    static let refresh: (@Sendable (String) -> Void)? = {
        guard let point = ProcessInfo.processInfo.environment["LEDGERLIFT_DRILL_EXIT_AT_REFRESH"] else { return nil }
        return { reached in if reached == point { exit(99) } }
    }()
}

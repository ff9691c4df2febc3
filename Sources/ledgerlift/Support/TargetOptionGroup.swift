import ArgumentParser
import Foundation
import Pipeline
import Targets

/// Where to book and how to sign in: shared by `import` and `reference pull`.
struct TargetOptionGroup: ParsableArguments {
    @Option(
        help: "Where to book: \(TargetConnection.targets.joined(separator: ", ")) (sandbox: built in, the default).")
    var target = "sandbox"

    @Option(help: "The Dinero organization id (firmaID); or DINERO_ORGANIZATION_ID.")
    var org: Int?

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

    @Option(help: "The target's rate window in seconds (default: Dinero's 60). The client keeps a 1/60 margin on top.")
    var rateWindow: Double?

    @Option(help: "Where the built-in sandbox keeps its books between runs.")
    var sandboxData = ".ledgerlift/sandbox"

    func validate() throws {
        guard TargetConnection.targets.contains(target) else {
            throw ValidationError("--target is \(TargetConnection.targets.joined(separator: " or "))")
        }
        if let rateLimit, rateLimit <= 0 { throw ValidationError("--rate-limit must be positive") }
        guard ["personal", "connect"].contains(auth) else { throw ValidationError("--auth is personal or connect") }
        if auth == "connect" && target == "sandbox" {
            throw ValidationError(
                "--auth connect needs --target dinero (point --api-url and --token-url at a running ledgerlift sandbox to try it)"
            )
        }
        if let rateWindow, rateWindow <= 0 { throw ValidationError("--rate-window must be positive") }
    }

    /// Where to book, from the options, the credentials file and the environment.
    func settings() throws -> TargetSettings {
        var settings = TargetSettings(target: target, sandboxData: sandboxData)
        settings.organization = org
        settings.apiURL = apiURL
        settings.authURL = authURL
        settings.credentialsFile = credentials
        settings.rateLimit = rateLimit
        settings.rateWindow = rateWindow
        settings.auth = auth
        settings.tokenStore = connect.tokenStore
        settings.environment = ProcessInfo.processInfo.environment
        settings.afterAnswer = Drills.afterAnswer
        settings.refreshDrill = Drills.refresh
        if auth == "connect" { settings.connect = try connect.settings(credentialsFile: credentials) }
        return settings
    }
}

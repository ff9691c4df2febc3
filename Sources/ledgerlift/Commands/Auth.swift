import ArgumentParser
import AsyncHTTPClient
import Foundation
import Pipeline
import Targets

/// `ledgerlift auth …`: sign-in flows and stored tokens.
struct Auth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign in to Visma Connect (for Dinero apps) and keep the tokens for later runs.",
        subcommands: [AuthLogin.self, AuthStatus.self]
    )
}

/// Where Visma Connect is and which app signs in; shared by `auth login` and `import --auth connect`.
struct ConnectOptionGroup: ParsableArguments {
    @Option(help: "Visma Connect's authorize endpoint (or DINERO_CONNECT_AUTHORIZE_URL).")
    var authorizeURL: String?

    @Option(help: "Visma Connect's token endpoint (or DINERO_CONNECT_TOKEN_URL).")
    var tokenURL: String?

    @Option(help: "Where signed-in tokens are kept (mode 0600).")
    var tokenStore = ".ledgerlift/tokens.json"

    /// The app's id and secret: DINERO_CONNECT_CLIENT_ID and DINERO_CONNECT_CLIENT_SECRET, from
    /// the environment or a credentials file.
    func settings(credentialsFile: String?) throws -> ConnectSettings {
        try Self.settings(credentialsFile: credentialsFile, authorizeURL: authorizeURL, tokenURL: tokenURL)
    }

    static func settings(
        credentialsFile: String?, authorizeURL: String? = nil, tokenURL: String? = nil
    ) throws -> ConnectSettings {
        try Credentials.connectSettings(
            file: credentialsFile, environment: ProcessInfo.processInfo.environment, authorizeURL: authorizeURL,
            tokenURL: tokenURL)
    }
}

/// `ledgerlift auth login`: authorization code with PKCE through a loopback redirect.
struct AuthLogin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in to Visma Connect: prints an address to open, listens on 127.0.0.1 for the answer.",
        discussion: """
            Register http://127.0.0.1/callback as a redirect URI of the app in Visma Connect (loopback redirects
            may use any port). The tokens go to --token-store with mode 0600; import --auth connect uses them.
            """
    )

    @OptionGroup var connect: ConnectOptionGroup

    @Option(help: "A KEY=value file with DINERO_CONNECT_CLIENT_ID and DINERO_CONNECT_CLIENT_SECRET (mode 0600).")
    var credentials: String?

    @Option(help: "Loopback port to listen on for the redirect; 0 picks a free one.")
    var port = 0

    @Option(help: "Seconds to wait for the browser to come back.")
    var timeout = 300

    func run() async throws {
        var signIn: ConnectSignIn
        do {
            signIn = ConnectSignIn(
                settings: try connect.settings(credentialsFile: credentials), tokenStore: connect.tokenStore)
        } catch let error as ConnectionError {
            Console.err("error: \(error)")
            throw ExitStatus.usage
        }
        signIn.port = port
        signIn.timeout = timeout
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { Task { try? await http.shutdown() } }
        let timeout = self.timeout
        do {
            let tokens = try await signIn.run(http: http) { url, redirect in
                Console.out("Open this address in a browser and sign in:\n\n    \(url)\n")
                Console.err("Waiting for the answer on \(redirect) (up to \(timeout) seconds)…")
            }
            Console.out(
                "Signed in. Tokens are in \(connect.tokenStore) (mode 0600)"
                    + (tokens.refreshToken == nil ? "; no refresh token was granted (ask for offline_access)." : "."))
        } catch {
            Console.err("error: \(error)")
            if case .cannotListen = error { throw ExitStatus.usage }
            throw ExitStatus.target
        }
    }
}

/// `ledgerlift auth status`: what the token store holds (never the tokens themselves).
struct AuthStatus: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the stored sign-ins.")

    @Option(help: "The token store.")
    var tokenStore = ".ledgerlift/tokens.json"

    func run() throws {
        let all = try TokenStore(path: tokenStore).load()
        if all.isEmpty { Console.out("No sign-ins in \(tokenStore).") }
        let formatter = ISO8601DateFormatter()
        for (key, tokens) in all.sorted(by: { $0.key < $1.key }) {
            Console.out(
                "\(key): access token until \(formatter.string(from: tokens.accessExpiresAt)), "
                    + (tokens.refreshToken == nil ? "no refresh token" : "refresh token kept")
                    + (tokens.refreshPending ? " (a refresh was interrupted: the next run may need a new sign-in)" : "")
                    + ", updated \(formatter.string(from: tokens.updatedAt))")
        }
    }
}

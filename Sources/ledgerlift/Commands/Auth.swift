import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import Pipeline
import ServiceLifecycle
import Synchronization
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
        let settings: ConnectSettings
        do {
            settings = try connect.settings(credentialsFile: credentials)
        } catch let error as ConnectionError {
            Console.err("error: \(error)")
            throw ExitStatus.usage
        }
        let (verifier, challenge) = ConnectSettings.pkce()
        let state = UUID().uuidString
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { Task { try? await http.shutdown() } }
        let store = TokenStore(path: connect.tokenStore)

        let (outcomes, outcome) = AsyncStream.makeStream(of: Result<StoredTokens, any Error>.self)
        let (ports, portFound) = AsyncStream.makeStream(of: Int.self)
        let router = Router()
        let handle: @Sendable (String?, String?, String?, Int) async -> Response = { code, returnedState, error, port in
            guard returnedState == state else {
                return Self.page(
                    "The answer does not belong to this sign-in (state differs). Start again.", status: .badRequest)
            }
            guard let code else {
                outcome.yield(.failure(ConnectionError("Visma Connect refused the sign-in: \(error ?? "no code")")))
                return Self.page(
                    "The sign-in was refused: \(error ?? "no code"). You can close this window.", status: .ok)
            }
            do {
                let tokens = try await settings.exchange(
                    code: code, verifier: verifier, redirectURI: Self.redirect(port), http: http)
                try store.save(tokens, for: settings.storeKey)
                outcome.yield(.success(tokens))
                return Self.page("Signed in to ledgerlift. You can close this window.", status: .ok)
            } catch {
                outcome.yield(.failure(error))
                return Self.page("The sign-in failed: \(error). You can close this window.", status: .ok)
            }
        }
        let boundPort = Mutex(0)
        router.get("/callback") { request, _ in
            let query = request.uri.queryParameters
            return await handle(
                query["code"].map(String.init), query["state"].map(String.init), query["error"].map(String.init),
                boundPort.withLock { $0 })
        }
        let quiet = Logger(label: "ledgerlift.auth", factory: { _ in SwiftLogNoOpLogHandler() })
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                boundPort.withLock { $0 = port }
                portFound.yield(port)
                portFound.finish()
            }, logger: quiet)
        // Shut down gracefully, so the browser's page is answered before the listener closes.
        let group = ServiceGroup(
            configuration: .init(services: [app], logger: quiet))
        let server = Task { try await group.run() }
        var portIterator = ports.makeAsyncIterator()
        guard let listening = await portIterator.next() else {
            await group.triggerGracefulShutdown()
            Console.err("error: cannot listen on 127.0.0.1:\(port)")
            throw ExitStatus.usage
        }
        let url = settings.authorizationURL(redirectURI: Self.redirect(listening), state: state, challenge: challenge)
        Console.out("Open this address in a browser and sign in:\n\n    \(url)\n")
        Console.err("Waiting for the answer on \(Self.redirect(listening)) (up to \(timeout) seconds)…")

        let timeout = self.timeout
        let timer = Task {
            try await Task.sleep(for: .seconds(timeout))
            outcome.yield(.failure(ConnectionError("no answer from the browser within \(timeout) seconds")))
        }
        var results = outcomes.makeAsyncIterator()
        let result = await results.next()
        timer.cancel()
        await group.triggerGracefulShutdown()
        _ = await server.result
        switch result {
        case .success(let tokens)?:
            Console.out(
                "Signed in. Tokens are in \(connect.tokenStore) (mode 0600)"
                    + (tokens.refreshToken == nil ? "; no refresh token was granted (ask for offline_access)." : "."))
        case .failure(let error)?:
            Console.err("error: \(error)")
            throw ExitStatus.target
        case nil:
            throw ExitStatus.target
        }
    }

    static func redirect(_ port: Int) -> String { "http://127.0.0.1:\(port)/callback" }

    static func page(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: "<!DOCTYPE html><html><body><p>\(text)</p></body></html>")))
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

public import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
public import Targets

/// Signing in to Visma Connect: authorization code with PKCE through a loopback redirect. A
/// listener on 127.0.0.1 waits for the browser to come back with the code, which is exchanged
/// for tokens that go to the token store (mode 0600).
public struct ConnectSignIn: Sendable {
    public var settings: ConnectSettings
    public var tokenStore: String
    /// The loopback port; 0 picks a free one.
    public var port = 0
    /// Seconds to wait for the browser.
    public var timeout = 300

    public init(settings: ConnectSettings, tokenStore: String) {
        self.settings = settings
        self.tokenStore = tokenStore
    }

    /// Why a sign-in did not end with tokens.
    public enum Failure: Error, CustomStringConvertible {
        /// Nothing could listen on the port.
        case cannotListen(Int)
        /// Visma Connect refused, the exchange failed, or the browser did not come back.
        case notSignedIn(String)

        public var description: String {
            switch self {
            case .cannotListen(let port): "cannot listen on 127.0.0.1:\(port)"
            case .notSignedIn(let reason): reason
            }
        }
    }

    public static func redirect(_ port: Int) -> String { "http://127.0.0.1:\(port)/callback" }

    /// Listens, hands `visit` the address to open in a browser and the redirect it waits on,
    /// and waits for the answer.
    public func run(
        http: HTTPClient, visit: @escaping @Sendable (_ url: String, _ redirect: String) -> Void
    ) async throws(Failure) -> StoredTokens {
        let (verifier, challenge) = ConnectSettings.pkce()
        let state = UUID().uuidString
        let settings = settings
        let store = TokenStore(path: tokenStore)
        let (outcomes, outcome) = AsyncStream.makeStream(of: Result<StoredTokens, Failure>.self)
        let (ports, portFound) = AsyncStream.makeStream(of: Int.self)
        let boundPort = Mutex(0)
        let router = Router()
        router.get("/callback") { request, _ in
            let query = request.uri.queryParameters
            guard query["state"].map(String.init) == state else {
                return Self.page(
                    "The answer does not belong to this sign-in (state differs). Start again.", status: .badRequest)
            }
            guard let code = query["code"].map(String.init) else {
                let error = query["error"].map(String.init) ?? "no code"
                outcome.yield(.failure(.notSignedIn("Visma Connect refused the sign-in: \(error)")))
                return Self.page("The sign-in was refused: \(error). You can close this window.", status: .ok)
            }
            do {
                let tokens = try await settings.exchange(
                    code: code, verifier: verifier, redirectURI: Self.redirect(boundPort.withLock { $0 }), http: http)
                try store.save(tokens, for: settings.storeKey)
                outcome.yield(.success(tokens))
                return Self.page("Signed in to ledgerlift. You can close this window.", status: .ok)
            } catch {
                outcome.yield(.failure(.notSignedIn("\(error)")))
                return Self.page("The sign-in failed: \(error). You can close this window.", status: .ok)
            }
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
        let group = ServiceGroup(configuration: .init(services: [app], logger: quiet))
        let server = Task { try await group.run() }
        var portIterator = ports.makeAsyncIterator()
        guard let listening = await portIterator.next() else {
            await group.triggerGracefulShutdown()
            throw .cannotListen(port)
        }
        visit(
            settings.authorizationURL(redirectURI: Self.redirect(listening), state: state, challenge: challenge),
            Self.redirect(listening))
        let timeout = self.timeout
        let timer = Task {
            try await Task.sleep(for: .seconds(timeout))
            outcome.yield(.failure(.notSignedIn("no answer from the browser within \(timeout) seconds")))
        }
        var results = outcomes.makeAsyncIterator()
        let result = await results.next()
        timer.cancel()
        await group.triggerGracefulShutdown()
        _ = await server.result
        switch result {
        case .success(let tokens)?: return tokens
        case .failure(let failure)?: throw failure
        case nil: throw .notSignedIn("the sign-in ended without an answer")
        }
    }

    static func page(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: "<!DOCTYPE html><html><body><p>\(text)</p></body></html>")))
    }
}

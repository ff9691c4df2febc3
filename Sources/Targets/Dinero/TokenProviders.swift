public import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// Gives the bearer token for API calls, renewing it when asked.
public protocol AccessTokenProvider: Sendable {
    /// The client id the rate limiter counts under.
    var clientID: String { get }
    func token(forceNew: Bool) async throws(TargetError) -> String
}

/// A personal integration: the password grant with the organization's API key, repeated when
/// the token nears its hour.
public actor PersonalTokenProvider: AccessTokenProvider {
    public nonisolated let clientID: String
    let credentials: PersonalCredentials
    let tokenURL: String
    let http: HTTPClient
    let time: any TimeSource
    private var cached: (value: String, expires: TimeInterval)?

    public init(
        credentials: PersonalCredentials, authBaseURL: String, http: HTTPClient, time: any TimeSource = SystemTime()
    ) {
        self.clientID = credentials.clientID
        self.credentials = credentials
        self.tokenURL = authBaseURL + "/dineroapi/oauth/token"
        self.http = http
        self.time = time
    }

    public func token(forceNew: Bool) async throws(TargetError) -> String {
        if !forceNew, let cached, cached.expires - 60 > time.now() { return cached.value }
        let key = OAuthForm.encode(credentials.apiKey)
        let answer = try await OAuthForm.post(
            tokenURL, body: "grant_type=password&scope=read+write&username=\(key)&password=\(key)",
            basic: (credentials.clientID, credentials.clientSecret), http: http)
        guard let value = answer.accessToken else { throw answer.error(what: "the API key") }
        cached = (value, time.now() + answer.expiresIn)
        return value
    }
}

/// Where a Visma Connect web application signs in, and as whom.
public struct ConnectSettings: Sendable {
    public var clientID: String
    public var clientSecret: String
    public var authorizeURL: String
    public var tokenURL: String
    public var scopes: [String]

    public init(
        clientID: String, clientSecret: String, authorizeURL: String = "https://connect.visma.com/connect/authorize",
        tokenURL: String = "https://connect.visma.com/connect/token",
        scopes: [String] = ["dineropublicapi:read", "dineropublicapi:write", "offline_access"]
    ) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.authorizeURL = authorizeURL
        self.tokenURL = tokenURL
        self.scopes = scopes
    }

    public var storeKey: String { "connect/\(clientID)" }

    /// A PKCE verifier (43+ characters) and its S256 challenge.
    public static func pkce() -> (verifier: String, challenge: String) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let verifier = Data(bytes).base64URL
        return (verifier, Data(SHA256.hash(data: Data(verifier.utf8))).base64URL)
    }

    public func authorizationURL(redirectURI: String, state: String, challenge: String) -> String {
        let query = [
            ("client_id", clientID), ("response_type", "code"), ("scope", scopes.joined(separator: " ")),
            ("redirect_uri", redirectURI), ("state", state), ("code_challenge", challenge),
            ("code_challenge_method", "S256"), ("ui_locales", "da-DK"),
        ]
        return authorizeURL + "?" + query.map { "\($0.0)=\(OAuthForm.encode($0.1))" }.joined(separator: "&")
    }

    /// Exchanges the code the browser brought back for tokens.
    public func exchange(
        code: String, verifier: String, redirectURI: String, http: HTTPClient, now: Date = Date()
    )
        async throws(TargetError) -> StoredTokens
    {
        let body = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ("code_verifier", verifier),
        ].map { "\($0.0)=\(OAuthForm.encode($0.1))" }.joined(separator: "&")
        let answer = try await OAuthForm.post(tokenURL, body: body, basic: (clientID, clientSecret), http: http)
        guard let access = answer.accessToken else { throw answer.error(what: "the sign-in") }
        return StoredTokens(
            accessToken: access, accessExpiresAt: now.addingTimeInterval(answer.expiresIn),
            refreshToken: answer.refreshToken, scope: answer.scope, updatedAt: now)
    }
}

/// Visma Connect tokens from the token store. A refresh is marked pending in the store before it
/// is sent, and its answer — the rotated refresh token above all — is written to the store, durably,
/// before the new access token is used: the refresh token that was just spent is never needed again.
public actor ConnectTokenProvider: AccessTokenProvider {
    public nonisolated let clientID: String
    let settings: ConnectSettings
    let store: TokenStore
    let http: HTTPClient
    let time: any TimeSource
    /// Fault drills: called with "answered" when a refresh's answer arrives and with "stored"
    /// once it is on disk.
    let drill: (@Sendable (String) -> Void)?

    public init(
        settings: ConnectSettings, store: TokenStore, http: HTTPClient, time: any TimeSource = SystemTime(),
        drill: (@Sendable (String) -> Void)? = nil
    ) {
        self.clientID = settings.clientID
        self.settings = settings
        self.store = store
        self.http = http
        self.time = time
        self.drill = drill
    }

    public func token(forceNew: Bool) async throws(TargetError) -> String {
        let stored: StoredTokens?
        do {
            stored = try store.tokens(settings.storeKey)
        } catch {
            throw TargetError.unauthorized("cannot read the token store \(store.path): \(error)")
        }
        guard var tokens = stored else {
            throw TargetError.unauthorized("not signed in to Visma Connect; run: ledgerlift auth login")
        }
        let now = time.wallClock()
        if !forceNew, !tokens.refreshPending, tokens.accessExpiresAt.timeIntervalSince(now) > 60 {
            return tokens.accessToken
        }
        guard let refresh = tokens.refreshToken else {
            throw TargetError.unauthorized(
                "the sign-in has expired and has no refresh token; run: ledgerlift auth login")
        }
        tokens.refreshPending = true
        try save(tokens)
        let body = "grant_type=refresh_token&refresh_token=\(OAuthForm.encode(refresh))"
        let answer = try await OAuthForm.post(
            settings.tokenURL, body: body, basic: (settings.clientID, settings.clientSecret), http: http)
        guard let access = answer.accessToken else {
            throw TargetError.unauthorized(
                "Visma Connect refused the refresh token (\(answer.errorCode ?? "HTTP error")); the grant may have been revoked. Sign in again: ledgerlift auth login"
            )
        }
        drill?("answered")
        let renewed = StoredTokens(
            accessToken: access, accessExpiresAt: time.wallClock().addingTimeInterval(answer.expiresIn),
            refreshToken: answer.refreshToken ?? refresh, refreshPending: false, scope: answer.scope ?? tokens.scope,
            updatedAt: time.wallClock())
        try save(renewed)
        drill?("stored")
        return access
    }

    private func save(_ tokens: StoredTokens) throws(TargetError) {
        do {
            try store.save(tokens, for: settings.storeKey)
        } catch {
            throw TargetError.unauthorized("cannot write the token store \(store.path): \(error)")
        }
    }
}

/// The form posts that token endpoints take.
enum OAuthForm {
    struct Answer {
        var status: Int
        var accessToken: String?
        var refreshToken: String?
        var expiresIn: TimeInterval
        var scope: String?
        var errorCode: String?

        func error(what: String) -> TargetError {
            switch errorCode {
            case "invalid_grant"?: .unauthorized("\(what) was refused (invalid_grant)")
            case "invalid_client"?: .unauthorized("the client id or secret was refused (invalid_client)")
            case let code?: .unauthorized("the token endpoint answered \(code)")
            case nil: .unauthorized("the token endpoint answered HTTP \(status)")
            }
        }
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? text
    }

    static func post(
        _ url: String, body: String, basic: (String, String), http: HTTPClient
    ) async throws(TargetError)
        -> Answer
    {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        let credentials = Data("\(encode(basic.0)):\(encode(basic.1))".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(credentials)")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await http.execute(request, timeout: .seconds(60))
            let text = try await response.body.collect(upTo: 1 << 20)
            let json = WireValue.parse(Data(text.readableBytesView))
            return Answer(
                status: Int(response.status.code), accessToken: json?["access_token"].string,
                refreshToken: json?["refresh_token"].string, expiresIn: TimeInterval(json?["expires_in"].int ?? 3600),
                scope: json?["scope"].string, errorCode: json?["error"].string)
        } catch {
            throw TargetError.unavailable("cannot reach \(url): \(error)")
        }
    }
}

extension Data {
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Where Dinero lives: the API, and the server that issues personal-integration tokens.
public struct DineroEndpoint: Sendable {
    public var apiBaseURL: String
    public var authBaseURL: String

    public init(apiBaseURL: String = "https://api.dinero.dk", authBaseURL: String = "https://authz.dinero.dk") {
        self.apiBaseURL = apiBaseURL.hasSuffix("/") ? String(apiBaseURL.dropLast()) : apiBaseURL
        self.authBaseURL = authBaseURL.hasSuffix("/") ? String(authBaseURL.dropLast()) : authBaseURL
    }
}

/// A personal integration's credentials. Printing them never shows the secrets.
public struct PersonalCredentials: Sendable, CustomStringConvertible {
    public var clientID: String
    public var clientSecret: String
    public var apiKey: String

    public init(clientID: String, clientSecret: String, apiKey: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.apiKey = apiKey
    }

    public var description: String { "client \(clientID) with an API key (secrets hidden)" }
}

/// Dinero's view of an organization, as `GET /v1/organizations` gives it.
public struct DineroOrganization: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var isPro: Bool
}

/// The calls ledgerlift makes to one Dinero organization. Every request goes through the
/// organization's shared rate limiter; reads are retried with backoff, writes never blindly.
public actor DineroClient {
    public nonisolated let organizationID: Int
    let apiBaseURL: String
    let auth: any AccessTokenProvider
    let http: HTTPClient
    let limiter: RateLimiter
    let time: any TimeSource
    /// Retries of a read after 5xx or a transport error.
    let readAttempts: Int
    let timeout: TimeAmount
    /// Called after each API answer has arrived, before it is acted on (with the count so far).
    /// Fault drills use it to stop the process at an exact point.
    let afterAnswer: (@Sendable (Int) -> Void)?
    /// API calls made (the token endpoint not counted).
    public private(set) var calls = 0
    /// The organization's name, once ``checkAccess()`` has read it.
    var organizationName: String?

    public init(
        apiBaseURL: String, auth: any AccessTokenProvider, organization: Int, http: HTTPClient, limiter: RateLimiter,
        time: any TimeSource = SystemTime(), readAttempts: Int = 5, timeoutSeconds: Int64 = 60,
        afterAnswer: (@Sendable (Int) -> Void)? = nil
    ) {
        self.apiBaseURL = apiBaseURL.hasSuffix("/") ? String(apiBaseURL.dropLast()) : apiBaseURL
        self.auth = auth
        self.organizationID = organization
        self.http = http
        self.limiter = limiter
        self.time = time
        self.readAttempts = readAttempts
        self.timeout = .seconds(timeoutSeconds)
        self.afterAnswer = afterAnswer
    }

    /// A personal integration's client.
    public init(
        endpoint: DineroEndpoint, credentials: PersonalCredentials, organization: Int, http: HTTPClient,
        limiter: RateLimiter, time: any TimeSource = SystemTime(), afterAnswer: (@Sendable (Int) -> Void)? = nil
    ) {
        self.init(
            apiBaseURL: endpoint.apiBaseURL,
            auth: PersonalTokenProvider(
                credentials: credentials, authBaseURL: endpoint.authBaseURL, http: http, time: time),
            organization: organization, http: http, limiter: limiter, time: time, afterAnswer: afterAnswer)
    }

    func accessToken(forceNew: Bool = false) async throws(TargetError) -> String {
        try await auth.token(forceNew: forceNew)
    }

    // MARK: Requests

    enum Step { case read, write }

    struct Reply: Sendable {
        var status: Int
        var json: WireValue?
        var text: String
    }

    /// Sends one API request: waits for the rate budget, signs it, classifies the answer.
    /// A 401 gets one fresh token; a 429 waits for the window and tries again; reads are retried
    /// after 5xx and transport errors; a write that gets no clear answer is `ambiguous`.
    func send(
        _ method: HTTPMethod, _ path: String, body: ByteBuffer? = nil, contentType: String = "application/json",
        step: Step
    ) async throws(TargetError) -> Reply {
        var attempt = 0
        var renewed = false
        var throttles = 0
        while true {
            attempt += 1
            try await limiter.acquire()
            let token: String
            do {
                token = try await accessToken()
            } catch {
                await limiter.finish()  // nothing was sent
                throw error
            }
            var request = HTTPClientRequest(url: apiBaseURL + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Accept", value: "application/json")
            if let body {
                request.headers.add(name: "Content-Type", value: contentType)
                request.body = .bytes(body)
            }
            calls += 1
            let status: Int
            let text: String
            var retryAfter: TimeInterval?
            do {
                let response: HTTPClientResponse
                do {
                    response = try await http.execute(request, timeout: timeout)
                    await limiter.finish()
                } catch {
                    await limiter.finish()
                    throw error
                }
                status = Int(response.status.code)
                retryAfter = response.headers.first(name: "Retry-After").flatMap { TimeInterval($0) }
                text = String(buffer: try await response.body.collect(upTo: 32 << 20))
                afterAnswer?(calls)
            } catch {
                let reason = "\(method) \(path): \(String(describing: error))"
                if step == .write { throw TargetError.ambiguous(reason) }
                if attempt >= readAttempts { throw TargetError.unavailable(reason) }
                await backoff(attempt)
                continue
            }
            let json = WireValue.parse(Data(text.utf8))
            switch status {
            case 200..<300:
                return Reply(status: status, json: json, text: text)
            case 401:
                if renewed {
                    throw TargetError.unauthorized("the token was refused for organization \(organizationID)")
                }
                renewed = true
                _ = try await accessToken(forceNew: true)
            case 429:
                throttles += 1
                if throttles > limiter.policy.maxThrottles {
                    throw TargetError.rateLimited("\(throttles) answers of 429 in a row")
                }
                await limiter.throttled(retryAfter: retryAfter)
            case 500..<600:
                let reason = "\(method) \(path) answered \(status)"
                if step == .write { throw TargetError.ambiguous(reason) }
                if attempt >= readAttempts { throw TargetError.unavailable(reason) }
                await backoff(attempt)
            default:
                throw Self.classify(status: status, json: json, text: text, path: path)
            }
        }
    }

    static func classify(status: Int, json: WireValue?, text: String, path: String) -> TargetError {
        let code = json?["code"].int
        let message = json?["message"].string ?? (text.isEmpty ? "HTTP \(status)" : String(text.prefix(200)))
        var fields: [String: String] = [:]
        for (key, value) in json?["validationErrors"].object ?? [:] { fields[key] = value.string ?? "" }
        switch status {
        case 403 where code == 90: return .notPro
        case 403: return .forbidden(message)
        case 404: return .notFound(path)
        case 409: return .duplicate(message: message)
        case 413: return .tooLarge
        case 480: return .deprecated(path)
        case 400 where code == 58: return .stale
        case 400 where code == 43 && path.contains("/ledgeritems"): return .capacity(message)
        default: return .rejected(code: code, message: message, fields: fields)
        }
    }

    private func backoff(_ attempt: Int) async {
        let base = min(8.0, 0.25 * pow(2.0, Double(attempt - 1)))
        try? await time.sleep(seconds: base / 2 + Double.random(in: 0...(base / 2)))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    func json(_ value: some Encodable) throws(TargetError) -> ByteBuffer {
        do {
            return ByteBuffer(bytes: try Self.encoder.encode(value))
        } catch {
            throw TargetError.protocolError("cannot encode the request: \(error)")
        }
    }

    var base: String { "/v1/\(organizationID)" }
}

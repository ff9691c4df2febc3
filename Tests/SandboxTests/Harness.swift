import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Sandbox
import Testing

/// A sandbox on an ephemeral port with a clock the test moves, and a real HTTP client.
struct Harness {
    let server: SandboxServer
    let clock: ManualClock
    let client: HTTPClient
    let org = SandboxCredentials.organizationID

    /// 2026-06-15 12:00:10 UTC: inside the open year 2026, ten seconds into a minute.
    static let start = Date(timeIntervalSince1970: 1_781_524_810)

    static func with<T>(
        _ configure: (inout SandboxOptions) -> Void = { _ in }, _ body: (Harness) async throws -> T
    ) async throws -> T {
        var options = SandboxOptions()
        configure(&options)
        let clock = ManualClock(start)
        let server = try await SandboxServer.start(options: options, clock: clock)
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout.read = .seconds(30)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let harness = Harness(server: server, clock: clock, client: client)
        do {
            let value = try await body(harness)
            try await client.shutdown()
            await server.stop()
            return value
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
    }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var text: String

        var json: Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var array: [[String: Any]] { json as? [[String: Any]] ?? [] }
        /// The Dinero error code of an error body.
        var code: Int? { object["code"] as? Int }
        var validationKeys: [String] { (object["validationErrors"] as? [String: Any]).map { Array($0.keys) } ?? [] }
    }

    func send(
        _ method: HTTPMethod, _ path: String, token: String? = nil, json: Any? = nil, body: [UInt8]? = nil,
        headers: [(String, String)] = []
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: server.baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            let data = try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed])
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
        } else if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 32 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: buffer))
    }

    func form(_ path: String, _ fields: [(String, String)], basic: (String, String)? = nil) async throws -> Reply {
        var headers = [("Content-Type", "application/x-www-form-urlencoded")]
        if let basic {
            headers.append(("Authorization", "Basic " + Data("\(basic.0):\(basic.1)".utf8).base64EncodedString()))
        }
        let text = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(.POST, path, body: Array(text.utf8), headers: headers)
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? text
    }

    /// A personal-integration token for an organization's API key.
    func personalToken(apiKey: String = SandboxCredentials.apiKey) async throws -> String {
        let reply = try await form(
            "/dineroapi/oauth/token",
            [("grant_type", "password"), ("scope", "read write"), ("username", apiKey), ("password", apiKey)],
            basic: (SandboxCredentials.personalClientID, SandboxCredentials.personalClientSecret))
        try #require(reply.status == 200, "token: \(reply.text)")
        return try #require(reply.object["access_token"] as? String)
    }

    func admin(_ method: HTTPMethod, _ path: String, json: Any? = nil) async throws -> Reply {
        try await send(method, "/_sandbox" + path, json: json)
    }

    // MARK: Documents

    /// Creates a draft manual voucher and returns its guid and timestamp.
    func createManual(_ token: String, _ body: [String: Any]) async throws -> (guid: String, timestamp: String) {
        let reply = try await send(.POST, "/v1/\(org)/vouchers/manuel", token: token, json: body)
        try #require(reply.status == 200, "create: \(reply.text)")
        return (try #require(reply.object["Guid"] as? String), try #require(reply.object["Timestamp"] as? String))
    }

    static func manualBody(
        date: String = "2026-03-01", amount: Any = 125, account: Int = 2750, balancing: Int? = 5500,
        vat: Any? = nil, reference: String? = nil
    ) -> [String: Any] {
        var line: [String: Any] = ["Description": "Cable", "AccountNumber": account, "Amount": amount]
        if let balancing { line["BalancingAccountNumber"] = balancing }
        if let vat { line["AccountVatCode"] = vat }
        var body: [String: Any] = ["VoucherDate": date, "Lines": [line]]
        if let reference { body["ExternalReference"] = reference }
        return body
    }

    /// Every entry the organization has, through the admin API.
    func allEntries() async throws -> [[String: Any]] {
        try await admin(.GET, "/organizations/\(org)/entries").array
    }
}

/// Amounts in responses are JSON numbers in kroner; tests compare them in øre.
func øre(_ value: Any?) -> Int64? {
    guard let number = value as? NSNumber else { return nil }
    return Int64((number.doubleValue * 100).rounded())
}

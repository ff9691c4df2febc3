import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Sandbox
import Testing

@Suite("ledgerlift auth login and imports signed in through Visma Connect", .serialized)
struct AuthCommandTests {
    static func connectEnvironment() -> [String: String] {
        [
            "DINERO_CONNECT_CLIENT_ID": SandboxCredentials.connectClientID,
            "DINERO_CONNECT_CLIENT_SECRET": SandboxCredentials.connectClientSecret,
        ]
    }

    /// Runs `auth login`, plays the browser (authorize → redirect to the loopback listener), and
    /// answers the command's result.
    static func login(_ job: ImportRun, store: String) async throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = [
            "auth", "login", "--authorize-url", job.sandbox.baseURL + "/connect/authorize", "--token-url",
            job.sandbox.baseURL + "/connect/token", "--token-store", store, "--timeout", "60",
        ]
        process.environment = ProcessInfo.processInfo.environment.merging(connectEnvironment()) { _, new in new }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reader = output.fileHandleForReading
        var text = try await CLI.offThePool {
            var text = ""
            while !text.contains("/connect/authorize?") || !text.contains("\n\n") {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            return text
        }
        let url = try #require(
            text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("http") })
        var authorize = HTTPClientRequest(url: url)
        authorize.method = .GET
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        defer { Task { try? await client.shutdown() } }
        let redirect = try await client.execute(authorize, timeout: .seconds(10))
        #expect(redirect.status == .found)
        let location = try #require(redirect.headers.first(name: "Location"))
        #expect(location.hasPrefix("http://127.0.0.1:"))
        let callback = try await client.execute(HTTPClientRequest(url: location), timeout: .seconds(30))
        let page = String(buffer: try await callback.body.collect(upTo: 1 << 16))
        #expect(page.contains("Signed in"))
        let rest = try await CLI.offThePool {
            process.waitUntilExit()
            return String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        }
        text += rest
        return (process.terminationStatus, text)
    }

    static func storedRefreshToken(_ store: String) throws -> String? {
        let data = try #require(FileManager.default.contents(atPath: store))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]]
        return json?["connect/\(SandboxCredentials.connectClientID)"]?["refreshToken"] as? String
    }

    func importSigned(
        _ job: ImportRun, _ mapping: String, _ file: String, store: String, name: String,
        environment: [String: String] = [:]
    ) async throws -> CLI.Result {
        try await job.run(
            mapping, [file],
            extra: [
                "--auth", "connect", "--token-url", job.sandbox.baseURL + "/connect/token", "--token-store", store,
            ],
            environment: Self.connectEnvironment().merging(environment) { _, new in new }
                .merging(["DINERO_CLIENT_ID": "", "DINERO_API_KEY": ""]) { _, new in new },
            job: name)
    }

    @Test("sign in with PKCE through a loopback redirect; tokens kept with mode 0600; imports use and rotate them")
    func loginAndImport() async throws {
        try await ImportRun.with({ $0.rateLimit = 100_000 }) { job in
            let store = job.folder + "/tokens.json"
            let login = try await Self.login(job, store: store)
            #expect(login.status == 0, "\(login.stdout)")
            #expect(login.stdout.contains("Signed in"))
            #expect(!login.stdout.contains(SandboxCredentials.connectClientSecret))
            let mode = try FileManager.default.attributesOfItem(atPath: store)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600)
            let first = try #require(try Self.storedRefreshToken(store))

            let imported = try await importSigned(
                job, "mappings/bank-statement.yaml", "samples/bank-statement.csv", store: store, name: "a")
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(try await job.bookedReferences().count == 16)

            // Tokens expire mid-run: the client refreshes, and the rotated refresh token is stored.
            _ = try await job.admin("/faults", method: .PUT, json: #"{"expireTokensEvery": 5}"#)
            let rotated = try await importSigned(
                job, "mappings/expenses.yaml", "samples/expenses.csv", store: store, name: "b")
            #expect(rotated.status == 0, "\(rotated.stderr)")
            let second = try #require(try Self.storedRefreshToken(store))
            #expect(second != first)
            _ = try await job.admin("/faults", method: .PUT, json: #"{"expireTokensEvery": 0}"#)
            // The stored token is the live one: had a spent one been kept, this would revoke the grant.
            let again = try await importSigned(
                job, "mappings/journal.yaml", "samples/journal.xml", store: store, name: "c")
            #expect(again.status == 0, "\(again.stderr)")
        }
    }

    @Test("a crash after the rotated refresh token was stored loses nothing; one before it asks to sign in again")
    func refreshAcrossACrash() async throws {
        try await ImportRun.with({ $0.rateLimit = 100_000 }) { job in
            let store = job.folder + "/tokens.json"
            #expect(try await Self.login(job, store: store).status == 0)
            _ = try await job.admin("/faults", method: .PUT, json: #"{"expireTokensEvery": 3}"#)
            let afterStore = try await importSigned(
                job, "mappings/bank-statement.yaml", "samples/bank-statement.csv", store: store, name: "a",
                environment: ["LEDGERLIFT_DRILL_EXIT_AT_REFRESH": "stored"])
            #expect(afterStore.status == 99)
            _ = try await job.admin("/faults", method: .PUT, json: #"{"expireTokensEvery": 0}"#)
            let resumed = try await importSigned(
                job, "mappings/bank-statement.yaml", "samples/bank-statement.csv", store: store, name: "a")
            #expect(resumed.status == 0, "\(resumed.stderr)")

            _ = try await job.admin("/faults", method: .PUT, json: #"{"expireTokensEvery": 3}"#)
            let beforeStore = try await importSigned(
                job, "mappings/expenses.yaml", "samples/expenses.csv", store: store, name: "b",
                environment: ["LEDGERLIFT_DRILL_EXIT_AT_REFRESH": "answered"])
            #expect(beforeStore.status == 99)
            _ = try await job.admin("/faults", method: .PUT, json: #"{"expireTokensEvery": 0}"#)
            let status = try await CLI.run(["auth", "status", "--token-store", store])
            #expect(status.stdout.contains("a refresh was interrupted"))
            #expect(!status.stdout.contains(try #require(try Self.storedRefreshToken(store))))
            let refused = try await importSigned(
                job, "mappings/expenses.yaml", "samples/expenses.csv", store: store, name: "b")
            #expect(refused.status == 3)
            #expect(refused.stderr.contains("ledgerlift auth login"))
        }
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("ledgerlift sandbox")
struct SandboxCommandTests {
    /// A running `ledgerlift sandbox` and the first line it printed.
    final class Running: @unchecked Sendable {
        let process = Process()
        let output = Pipe()
        let errors = Pipe()
        var firstLine = ""

        static func start(_ arguments: [String]) async throws -> Running {
            try await CLI.offThePool { try Running(arguments) }
        }

        private init(_ arguments: [String]) throws {
            process.executableURL = CLI.binary
            process.arguments = ["sandbox"] + arguments
            process.standardOutput = output
            process.standardError = errors
            process.standardInput = FileHandle.nullDevice
            try process.run()
            var bytes: [UInt8] = []
            while !bytes.contains(0x0A) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                bytes += chunk
            }
            firstLine = String(decoding: bytes.prefix { $0 != 0x0A }, as: UTF8.self)
        }

        func interrupt() async throws -> Int32 {
            kill(process.processIdentifier, SIGINT)
            let process = self.process
            return try await CLI.offThePool {
                process.waitUntilExit()
                return process.terminationStatus
            }
        }
    }

    @Test("prints its base URL and credentials, answers at that URL, and stops cleanly on Ctrl-C")
    func runsAndStops() async throws {
        let sandbox = try await Running.start(["--port", "0", "--json"])
        let banner = try #require(
            try JSONSerialization.jsonObject(with: Data(sandbox.firstLine.utf8)) as? [String: String],
            "first line: \(sandbox.firstLine)")
        let baseURL = try #require(banner["baseURL"])
        #expect(baseURL.hasPrefix("http://127.0.0.1:"))
        #expect(banner["organizationId"] == "1000001")
        #expect(banner["apiKey"]?.isEmpty == false)
        #expect(banner["state"] == "memory")

        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: baseURL + "/v1/organizations"), timeout: .seconds(10))
        #expect(response.status.code == 401)

        #expect(try await sandbox.interrupt() == 0)
        let log = String(decoding: sandbox.errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("GET /v1/organizations → 401"))
    }

    @Test("a port that is taken is a clear error, not a hang")
    func portTaken() async throws {
        let first = try await Running.start(["--port", "0", "--json"])

        let banner = try JSONSerialization.jsonObject(with: Data(first.firstLine.utf8)) as? [String: String]
        let port = try #require(banner?["baseURL"]?.split(separator: ":").last.map(String.init))
        let second = try await CLI.run(["sandbox", "--port", port])
        #expect(second.status == 2)
        #expect(second.stderr.contains("could not listen on 127.0.0.1:\(port)"))
        #expect(try await first.interrupt() == 0)
    }

    @Test("fault rates outside 0…1 are refused")
    func badRate() async throws {
        let result = try await CLI.run(["sandbox", "--fail-rate", "1.5"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--fail-rate must be between 0 and 1"))
    }

    @Test(
        "--reference seeds the organization with a chart, years and contacts of one's own, which reference pull reads back"
    )
    func ownChart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chart-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
        version: 1
        organization: Mit Firma ApS
        accounts:
          - { number: 1010, name: "Salg", kind: sales, vat: U25 }
          - { number: 2010, name: "Indkøb", kind: expense, vat: I25 }
        deposit_accounts:
          - { number: 5510, name: "Bank", kind: asset }
        accounting_years:
          - { name: "2025", from: 2025-01-01, to: 2025-12-31, closed: true }
          - { name: "2026", from: 2026-01-01, to: 2026-12-31 }
        contacts:
          - { id: 7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d, name: "Kontorland A/S", vat_number: DK12345678 }
          - { id: not-a-guid, name: "Strøm ApS", external_reference: "crm:2" }
        """.write(toFile: folder + "/org.yaml", atomically: true, encoding: .utf8)
        let sandbox = try await Running.start(["--json", "--quiet", "--reference", folder + "/org.yaml"])
        let banner = try #require(
            try JSONSerialization.jsonObject(with: Data(sandbox.firstLine.utf8)) as? [String: String],
            "first line: \(sandbox.firstLine)")
        let baseURL = try #require(banner["baseURL"])
        let pulled = try await CLI.run(
            [
                "reference", "pull", "--target", "dinero", "--org", "1000001", "--api-url", baseURL, "--auth-url",
                baseURL,
            ],
            environment: [
                "DINERO_CLIENT_ID": try #require(banner["clientId"]),
                "DINERO_CLIENT_SECRET": try #require(banner["clientSecret"]),
                "DINERO_API_KEY": try #require(banner["apiKey"]),
            ])
        #expect(try await sandbox.interrupt() == 0)
        #expect(pulled.status == 0, "\(pulled.stderr)")
        let chart = try #require(try JSONSerialization.jsonObject(with: Data(pulled.stdout.utf8)) as? [String: Any])
        let numbers = (chart["accounts"] as? [[String: Any]] ?? []).compactMap { $0["number"] as? String }
        #expect(numbers.contains("1010") && numbers.contains("2010"))
        #expect(!numbers.contains("1000"))  // the example chart is gone
        let deposits = (chart["deposit_accounts"] as? [[String: Any]] ?? []).compactMap { $0["number"] as? String }
        #expect(deposits == ["5510"])
        let years = (chart["accounting_years"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(years == ["2025", "2026"])
        let contacts = chart["contacts"] as? [[String: Any]] ?? []
        #expect(contacts.compactMap { $0["name"] as? String } == ["Kontorland A/S", "Strøm ApS"])
        // A GUID is kept; anything else gets one of the sandbox's.
        #expect(contacts.first?["id"] as? String == "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
        #expect((contacts.last?["id"] as? String).flatMap(UUID.init(uuidString:)) != nil)
        #expect(contacts.last?["external_reference"] as? String == "crm:2")

        // A reference file that cannot be read: exit 2, naming it.
        let broken = try await CLI.run(["sandbox", "--reference", folder + "/missing.yaml"])
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("missing.yaml"))
    }
}

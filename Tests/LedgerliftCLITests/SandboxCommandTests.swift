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
}

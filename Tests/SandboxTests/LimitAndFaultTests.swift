import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Sandbox
import Testing

@Suite("Rate limit windows, injected faults, the admin API and the state file")
struct LimitAndFaultTests {
    @Test(
        "60 a minute for a personal integration; the 61st is 429 in plain text with no Retry-After; the next minute resets"
    )
    func personalWindow() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            for _ in 0..<60 {
                #expect(try await h.send(.GET, "/v1/\(h.org)/accountingyears", token: token).status == 200)
            }
            let limited = try await h.send(.GET, "/v1/\(h.org)/accountingyears", token: token)
            #expect(limited.status == 429)
            #expect(limited.text.hasPrefix("API calls quota exceeded!"))
            #expect(limited.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
            #expect(limited.headers.first(name: "Retry-After") == nil)
            h.clock.advance(by: 49)  // 12:00:59
            #expect(try await h.send(.GET, "/v1/\(h.org)/accountingyears", token: token).status == 429)
            h.clock.advance(by: 1)  // 12:01:00, a new window
            #expect(try await h.send(.GET, "/v1/\(h.org)/accountingyears", token: token).status == 200)
        }
    }

    @Test("each (organization, client id) has its own window; a configured limit and Retry-After are honoured")
    func separateWindows() async throws {
        try await Harness.with({
            $0.rateLimit = 3
            $0.personalRateLimit = 2
            $0.sendRetryAfter = true
        }) { h in
            let personal = try await h.personalToken()
            let (verifier, challenge) = AuthTests.pkce()
            let code = try await AuthTests.authorize(h, challenge: challenge)
            let connect = try #require(
                try await AuthTests.exchange(h, code: code, verifier: verifier).object["access_token"] as? String)
            for _ in 0..<2 { #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: personal).status == 200) }
            let limited = try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: personal)
            #expect(limited.status == 429)
            #expect(limited.headers.first(name: "Retry-After") == "50")
            for _ in 0..<3 { #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: connect).status == 200) }
            #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: connect).status == 429)
        }
    }

    @Test("failNext answers 500 before doing anything; failRate 1 fails every request")
    func failures() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            _ = try await h.admin(.PUT, "/faults", json: ["failNext": 2])
            let first = try await h.send(
                .POST, "/v1/\(h.org)/vouchers/manuel", token: token, json: Harness.manualBody())
            #expect(first.status == 500)
            #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: token).status == 500)
            #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: token).status == 200)
            let documents = try await h.admin(.GET, "/organizations/\(h.org)/documents")
            #expect((documents.object["manualVouchers"] as? [Any])?.isEmpty == true)

            await h.server.setFaults(FaultSettings(failRate: 1))
            #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: token).status == 500)
            #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: token).status == 500)
            // Token endpoints and the admin API are never failed.
            #expect(try await h.personalToken().isEmpty == false)
            #expect(try await h.admin(.GET, "").status == 200)
        }
    }

    @Test("a dropped answer after commit: the client sees the connection close, the voucher exists once")
    func dropAfterCommit() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            _ = try await h.admin(.PUT, "/faults", json: ["dropNextWrites": 1])
            await #expect(throws: (any Error).self) {
                _ = try await h.send(
                    .POST, "/v1/\(h.org)/vouchers/manuel", token: token, json: Harness.manualBody(reference: "lost-1"))
            }
            let documents = try await h.admin(.GET, "/organizations/\(h.org)/documents")
            let vouchers = documents.object["manualVouchers"] as? [[String: Any]] ?? []
            #expect(vouchers.map { $0["ExternalReference"] as? String } == ["lost-1"])
            let log = try await h.admin(.GET, "/requests?organization=\(h.org)")
            #expect(log.array.last?["dropped"] as? Bool == true)
            // Reads are never dropped, and the next write is answered.
            #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: token).status == 200)
            #expect(
                try await h.send(.POST, "/v1/\(h.org)/vouchers/manuel", token: token, json: Harness.manualBody()).status
                    == 200)
        }
    }

    @Test("deprecated paths answer 480 Brownout while the fault is on, 404 otherwise")
    func brownout() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let gone = try await h.send(.POST, "/v1.1/\(h.org)/ledgeritems", token: token, json: [Any]())
            #expect(gone.status == 404)
            _ = try await h.admin(.PUT, "/faults", json: ["brownoutRate": 1])
            let brownout = try await h.send(.POST, "/v1.1/\(h.org)/ledgeritems", token: token, json: [Any]())
            #expect(brownout.status == 480)
            #expect(brownout.text.hasPrefix("Brownout"))
            #expect(
                try await h.send(
                    .POST, "/v1.2/\(h.org)/ledgeritems", token: token, json: [LedgerItemTests.item(UUID().uuidString)]
                ).status == 200)
        }
    }

    @Test("latency delays the answer by at least the configured time")
    func latency() async throws {
        try await Harness.with({ $0.faults.latencyMilliseconds = 40 }) { h in
            let token = try await h.personalToken()
            let start = ContinuousClock.now
            #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: token).status == 200)
            #expect(ContinuousClock.now - start >= .milliseconds(40))
        }
    }

    @Test("the admin API refuses nonsense faults and reports the ones set")
    func adminFaults() async throws {
        try await Harness.with { h in
            #expect(try await h.admin(.PUT, "/faults", json: ["failRate": 2]).status == 400)
            #expect(try await h.admin(.PUT, "/faults", json: ["explode": 1]).status == 400)
            let set = try await h.admin(.PUT, "/faults", json: ["failRate": 0.25, "seed": 7])
            #expect(set.object["failRate"] as? Double == 0.25)
            #expect(set.object["seed"] as? Int == 7)
            #expect(try await h.admin(.GET, "/faults").object["failRate"] as? Double == 0.25)
            let moved = try await h.admin(.POST, "/clock/advance", json: ["seconds": 90])
            #expect(moved.object["now"] as? String == "2026-06-15T12:01:40Z")
        }
    }

    @Test("with a data folder, documents, entries, tokens and numbering survive a restart; the file is 0600")
    func persistence() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let token = try await Harness.with({ $0.dataDirectory = folder }) { h in
            let token = try await h.personalToken()
            let draft = try await h.createManual(token, Harness.manualBody(reference: "kept"))
            let booked = try await h.send(
                .POST, "/v1/\(h.org)/vouchers/manuel/\(draft.guid)/book", token: token,
                json: ["Timestamp": draft.timestamp])
            #expect(booked.object["VoucherNumber"] as? Int == 1)
            return token
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/sandbox.sqlite")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        try await Harness.with({ $0.dataDirectory = folder }) { h in
            let documents = try await h.admin(.GET, "/organizations/\(h.org)/documents")
            let vouchers = documents.object["manualVouchers"] as? [[String: Any]] ?? []
            #expect(vouchers.map { $0["ExternalReference"] as? String } == ["kept"])
            #expect(try await h.allEntries().count == 3)
            let draft = try await h.createManual(token, Harness.manualBody())
            let booked = try await h.send(
                .POST, "/v1/\(h.org)/vouchers/manuel/\(draft.guid)/book", token: token,
                json: ["Timestamp": draft.timestamp])
            #expect(booked.object["VoucherNumber"] as? Int == 2)
            let reuse = try await h.createManual(token, Harness.manualBody())
            let taken = try await h.send(
                .POST, "/v1/\(h.org)/vouchers/manuel/\(reuse.guid)/book", token: token,
                json: ["Timestamp": reuse.timestamp, "Number": 1])
            #expect(taken.validationKeys == ["Number"])
        }
    }
}

import Foundation
import Hummingbird

/// `/_sandbox/…`: look inside the sandbox and steer its faults. Not part of Dinero's API.
struct AdminRoutes: Sendable {
    let store: DineroStore

    func register(on router: Router<SandboxRequestContext>) {
        let store = self.store
        let admin = router.group("/_sandbox")
        admin.on("", method: .get) { _, _ in Answer.json(200, await store.overview()) }
        admin.on("/faults", method: .get) { _, _ in Answer.json(200, await store.faultsJSON()) }
        admin.on("/faults", method: .put) { request, _ in
            let body = try await request.body.collect(upTo: 64 * 1024)
            do {
                return Answer.json(200, try await store.updateFaults(JSON.parse(Array(body.readableBytesView))))
            } catch {
                return Answer.json(400, .object(["message": .string("Send the faults as a JSON object: \(error)")]))
            }
        }
        admin.on("/tokens/expire", method: .post) { _, _ in
            Answer.json(200, .object(["expired": .int(await store.expireAllTokens())]))
        }
        admin.on("/clock/advance", method: .post) { request, _ in
            let body = try await request.body.collect(upTo: 4096)
            guard let json = try? JSON.parse(Array(body.readableBytesView)), case .number(let text)? = json["seconds"],
                let seconds = Double(text)
            else {
                return Answer.json(400, .object(["message": "Send {\"seconds\": N}"]))
            }
            return Answer.json(200, .object(["now": .string(await store.advanceClock(by: seconds))]))
        }
        admin.on("/requests", method: .get) { request, _ in
            let query = DineroRoutes.query(request)
            return Answer.json(200, await store.requestLogJSON(organization: query["organization"].flatMap { Int($0) }))
        }
        admin.on("/organizations/:org/documents", method: .get) { _, context in
            guard let organization = context.parameters.get("org").flatMap({ Int($0) }) else {
                throw HTTPError(.notFound)
            }
            return Answer.json(200, await store.documentsJSON(organization: organization))
        }
        admin.on("/organizations/:org/entries", method: .get) { _, context in
            guard let organization = context.parameters.get("org").flatMap({ Int($0) }) else {
                throw HTTPError(.notFound)
            }
            return Answer.json(200, await store.allEntriesJSON(organization: organization))
        }
        admin.on("/organizations/:org/files", method: .get) { _, context in
            guard let organization = context.parameters.get("org").flatMap({ Int($0) }) else {
                throw HTTPError(.notFound)
            }
            return Answer.json(200, await store.filesJSON(organization: organization))
        }
    }
}

extension DineroStore {
    func overview() -> JSON {
        .object([
            "organizations": .array(
                organizations.values.sorted { $0.id < $1.id }.map { organization in
                    .object([
                        "id": .int(organization.id), "name": .string(organization.name),
                        "isPro": .bool(organization.isPro),
                        "manualVouchers": .int(manualVouchers.values.count { $0.organization == organization.id }),
                        "purchaseVouchers": .int(purchaseVouchers.values.count { $0.organization == organization.id }),
                        "ledgerItems": .int(ledgerItems.values.count { $0.organization == organization.id }),
                        "entries": .int(entries[organization.id]?.count ?? 0),
                        "files": .int(files.values.count { $0.organization == organization.id }),
                    ])
                }),
            "now": .string(ISO8601DateFormatter().string(from: now)),
            "faults": faultsJSON(),
        ])
    }

    func faultsJSON() -> JSON {
        .object([
            "failRate": .number(String(faults.failRate)), "failNext": .int(faults.failNext),
            "latencyMilliseconds": .int(faults.latencyMilliseconds),
            "dropAfterCommitRate": .number(String(faults.dropAfterCommitRate)),
            "dropNextWrites": .int(faults.dropNextWrites), "brownoutRate": .number(String(faults.brownoutRate)),
            "expireTokensEvery": .int(faults.expireTokensEvery),
            "seed": .number(String(faults.seed)),
        ])
    }

    /// Changes the faults named in the body and leaves the others as they are.
    func updateFaults(_ body: JSON) throws -> JSON {
        var settings = faults
        for member in body.members ?? [] {
            guard case .number(let text) = member.value else { throw AdminError("\(member.key) must be a number") }
            switch member.key {
            case "failRate": settings.failRate = try Self.unit(text, member.key)
            case "failNext": settings.failNext = try Self.count(text, member.key)
            case "latencyMilliseconds": settings.latencyMilliseconds = try Self.count(text, member.key)
            case "dropAfterCommitRate": settings.dropAfterCommitRate = try Self.unit(text, member.key)
            case "dropNextWrites": settings.dropNextWrites = try Self.count(text, member.key)
            case "brownoutRate": settings.brownoutRate = try Self.unit(text, member.key)
            case "expireTokensEvery": settings.expireTokensEvery = try Self.count(text, member.key)
            case "seed":
                guard let seed = UInt64(text) else { throw AdminError("seed must be a whole number") }
                settings.seed = seed
            default: throw AdminError("unknown fault '\(member.key)'")
            }
        }
        setFaults(settings)
        return faultsJSON()
    }

    private static func unit(_ text: String, _ name: String) throws -> Double {
        guard let value = Double(text), (0...1).contains(value) else { throw AdminError("\(name) must be 0…1") }
        return value
    }

    private static func count(_ text: String, _ name: String) throws -> Int {
        guard let value = Int(text), value >= 0 else { throw AdminError("\(name) must be 0 or more") }
        return value
    }

    func advanceClock(by seconds: TimeInterval) -> String {
        clockOffset += seconds
        return ISO8601DateFormatter().string(from: now)
    }

    func requestLogJSON(organization: Int?) -> JSON {
        .array(
            requestLog.filter { organization == nil || $0.organization == organization }.map { entry in
                .object([
                    "method": .string(entry.method), "path": .string(entry.path), "status": .int(entry.status),
                    "organization": .int(entry.organization), "clientId": .string(entry.clientID),
                    "at": .string(ISO8601DateFormatter().string(from: entry.at)), "dropped": .bool(entry.dropped),
                ])
            })
    }

    func documentsJSON(organization id: Int) -> JSON {
        completeDueBookings()
        guard let organization = organizations[id] else { return .object([:]) }
        return .object([
            "manualVouchers": .array(
                manualVouchers.values.filter { $0.organization == id }.sorted { $0.timestamp < $1.timestamp }.map {
                    manualReadModel($0, organization: organization)
                }),
            "purchaseVouchers": .array(
                purchaseVouchers.values.filter { $0.organization == id }.sorted { $0.timestamp < $1.timestamp }.map {
                    purchaseReadModel($0, organization: organization)
                }),
            "ledgerItems": .array(
                ledgerItems.values.filter { $0.organization == id }.sorted { $0.version < $1.version }.map(
                    ledgerReadModel)),
        ])
    }

    func allEntriesJSON(organization id: Int) -> JSON {
        completeDueBookings()
        return .array(
            (entries[id] ?? []).map { entry in
                guard case .object(var members) = entryJSON(entry) else { return entryJSON(entry) }
                members.append(JSON.Member(key: "Source", value: .string(entry.source)))
                members.append(
                    JSON.Member(key: "AddedAt", value: .string(ISO8601DateFormatter().string(from: entry.addedAt))))
                return .object(members)
            })
    }

    func filesJSON(organization id: Int) -> JSON {
        .array(files.values.filter { $0.organization == id }.sorted { $0.uploadedAt < $1.uploadedAt }.map(fileJSON))
    }
}

struct AdminError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

import Foundation
public import LedgerModel
import NIOCore
import NIOHTTP1

/// An organization's chart and settings, as Dinero lists them; used to validate before sending.
public struct DineroChart: Sendable, Codable, Equatable {
    public struct Account: Sendable, Equatable, Codable {
        public var number: Int
        public var name: String
        public var vatCode: String?
        public var category: String?
        public var hidden: Bool
    }

    public struct Year: Sendable, Equatable, Codable {
        public var name: String
        public var from: String
        public var to: String
    }

    public var accounts: [Account]
    public var depositAccounts: [Account]
    public var vatCodes: [String]
    public var years: [Year]
}

/// A voucher's state at Dinero.
public struct RemoteVoucher: Sendable, Equatable {
    public var guid: String
    public var timestamp: String
    public var status: String
    public var voucherNumber: Int?
    public var externalReference: String?

    public var isBooked: Bool { status.lowercased() == "booked" }
}

/// A ledger item's state at Dinero.
public struct RemoteLedgerItem: Sendable, Equatable {
    public var id: String
    public var version: String
    public var status: String
    public var voucherNumber: Int?

    public var isBooked: Bool { status.lowercased() == "booked" }
    public var isDraft: Bool { status.lowercased() == "draft" }
}

extension DineroClient {
    // MARK: Organization

    public func organizations() async throws(TargetError) -> [DineroOrganization] {
        let reply = try await send(.GET, "/v1/organizations?fields=Id,Name,IsPro", step: .read)
        return reply.json?.array.compactMap { item in
            guard let id = item["Id"].int else { return nil }
            return DineroOrganization(id: id, name: item["Name"].string ?? "", isPro: item["IsPro"].bool ?? false)
        } ?? []
    }

    /// Checks, before any write, that the credentials reach the organization and that it has Pro.
    public func checkAccess() async throws(TargetError) -> TargetOrganization {
        let reachable = try await organizations()
        guard let found = reachable.first(where: { $0.id == organizationID }) else {
            let names = reachable.map { "\($0.id) \($0.name)" }.joined(separator: ", ")
            throw TargetError.forbidden(
                "these credentials do not reach organization \(organizationID)"
                    + (names.isEmpty ? "" : "; they reach \(names)"))
        }
        guard found.isPro else { throw TargetError.notPro }
        organizationName = found.name
        return TargetOrganization(id: String(found.id), name: found.name)
    }

    public func chart() async throws(TargetError) -> DineroChart {
        func accounts(_ kind: String) async throws(TargetError) -> [DineroChart.Account] {
            let reply = try await send(.GET, "\(base)/accounts/\(kind)", step: .read)
            return reply.json?.array.compactMap { item in
                guard let number = item["AccountNumber"].int else { return nil }
                return DineroChart.Account(
                    number: number, name: item["Name"].string ?? "", vatCode: item["VatCode"].string,
                    category: item["Category"].string, hidden: item["IsHidden"].bool ?? false)
            } ?? []
        }
        let entry = try await accounts("entry")
        let deposit = try await accounts("deposit")
        let vat = try await send(.GET, "\(base)/vatTypes", step: .read).json?.array.compactMap { $0["VatCode"].string }
        let years = try await send(.GET, "\(base)/accountingyears", step: .read).json?.array.compactMap { item in
            guard let from = item["FromDate"].string, let to = item["ToDate"].string else {
                return nil as DineroChart.Year?
            }
            return DineroChart.Year(
                name: item["Name"].string ?? "", from: String(from.prefix(10)), to: String(to.prefix(10)))
        }
        return DineroChart(accounts: entry, depositAccounts: deposit, vatCodes: vat ?? [], years: years ?? [])
    }

    // MARK: Ledger items

    /// Creates ledger items (drafts) from their wire bodies, each under the id derived from its
    /// reference. Answers each id's `Version`.
    func createLedgerItems(_ bodies: [Data]) async throws(TargetError) -> [String: String] {
        var body = ByteBuffer(integer: UInt8(ascii: "["))
        for (index, item) in bodies.enumerated() {
            if index > 0 { body.writeInteger(UInt8(ascii: ",")) }
            body.writeBytes(item)
        }
        body.writeInteger(UInt8(ascii: "]"))
        let reply = try await send(.POST, "/v1.2/\(organizationID)/ledgeritems", body: body, step: .write)
        return Self.versions(reply.json)
    }

    public func bookLedgerItems(_ items: [(id: String, version: String)]) async throws(TargetError) -> [String: String]
    {
        let body = try json(items.map { IDVersion(id: $0.id, version: $0.version) })
        return Self.versions(try await send(.POST, "\(base)/ledgeritems/book", body: body, step: .write).json)
    }

    /// The state of each item; ids Dinero does not know are absent from the answer.
    public func ledgerItemStatus(_ ids: [String]) async throws(TargetError) -> [String: RemoteLedgerItem] {
        guard !ids.isEmpty else { return [:] }
        do {
            let body = try json(ids.map { IDVersion(id: $0, version: nil) })
            let reply = try await send(.POST, "\(base)/ledgeritems/status", body: body, step: .read)
            var result: [String: RemoteLedgerItem] = [:]
            for item in reply.json?.array ?? [] {
                guard let id = item["Id"].string?.lowercased() else { continue }
                result[id] = RemoteLedgerItem(
                    id: id, version: item["Version"].string ?? "", status: item["Status"].string ?? "",
                    voucherNumber: item["VoucherNumber"].int)
            }
            return result
        } catch .rejected(_, _, let fields) where fields.keys.contains("ledgerItemNotFound") {
            // One unknown id fails the whole query: ask in halves until the unknown ones are isolated.
            guard ids.count > 1 else { return [:] }
            let middle = ids.count / 2
            var result = try await ledgerItemStatus(Array(ids[..<middle]))
            result.merge(try await ledgerItemStatus(Array(ids[middle...]))) { first, _ in first }
            return result
        }
    }

    static func versions(_ json: WireValue?) -> [String: String] {
        var result: [String: String] = [:]
        for item in json?.array ?? [] {
            if let id = item["Id"].string?.lowercased() { result[id] = item["Version"].string ?? "" }
        }
        return result
    }

    // MARK: Vouchers

    /// Creates a manual or purchase voucher as a draft from its wire body, which carries the
    /// document's reference as `ExternalReference`.
    func createVoucher(_ kind: DocumentKind, wire: Data) async throws(TargetError) -> RemoteVoucher {
        let path =
            kind == .purchaseVoucher ? "/v1.2/\(organizationID)/vouchers/purchase" : "\(base)/vouchers/manuel"
        let reply = try await send(.POST, path, body: ByteBuffer(bytes: wire), step: .write)
        return try Self.voucher(reply.json, fallbackReference: nil)
    }

    public func voucher(_ kind: DocumentKind, guid: String) async throws(TargetError) -> RemoteVoucher {
        try await voucher(kind: Self.path(kind), guid: guid)
    }

    public func bookVoucher(
        _ kind: DocumentKind, guid: String, timestamp: String
    ) async throws(TargetError)
        -> RemoteVoucher
    {
        try await bookVoucher(kind: Self.path(kind), guid: guid, timestamp: timestamp)
    }

    static func path(_ kind: DocumentKind) -> String { kind == .purchaseVoucher ? "purchase" : "manuel" }

    func voucher(kind: String, guid: String) async throws(TargetError) -> RemoteVoucher {
        let reply = try await send(.GET, "\(base)/vouchers/\(kind)/\(guid)", step: .read)
        return try Self.voucher(reply.json, fallbackReference: nil)
    }

    func bookVoucher(kind: String, guid: String, timestamp: String) async throws(TargetError) -> RemoteVoucher {
        let reply = try await send(
            .POST, "\(base)/vouchers/\(kind)/\(guid)/book", body: try json(TimestampBody(timestamp: timestamp)),
            step: .write)
        var booked = try Self.voucher(reply.json, fallbackReference: nil)
        if booked.status.isEmpty { booked.status = "Booked" }
        return booked
    }

    static func voucher(_ json: WireValue?, fallbackReference: String?) throws(TargetError) -> RemoteVoucher {
        guard let json, let guid = json["Guid"].string else {
            throw TargetError.protocolError("the answer has no Guid")
        }
        return RemoteVoucher(
            guid: guid, timestamp: json["Timestamp"].string ?? json["TimeStamp"].string ?? "",
            status: json["Status"].string ?? "Draft", voucherNumber: json["VoucherNumber"].int,
            externalReference: json["ExternalReference"].string ?? fallbackReference)
    }

    // MARK: Files

    static let maxFileSize = 6_000_000

    /// Uploads a receipt (PDF or image, at most 6 MB) and returns its `FileGuid`.
    public func uploadFile(path: String) async throws(TargetError) -> String {
        let name = (path as NSString).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TargetError.rejected(code: nil, message: "cannot read the attachment \(path)", fields: [:])
        }
        guard data.count <= Self.maxFileSize else { throw TargetError.tooLarge }
        let boundary = "ledgerlift-" + UUID().uuidString
        var body = ByteBuffer()
        body.writeString(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: \(Self.mediaType(name))\r\n\r\n"
        )
        body.writeBytes(data)
        body.writeString("\r\n--\(boundary)--\r\n")
        let reply = try await send(
            .POST, "\(base)/files?fileName=\(OAuthForm.encode(name))", body: body,
            contentType: "multipart/form-data; boundary=\(boundary)", step: .write)
        guard let guid = reply.json?["FileGuid"].string else { throw TargetError.protocolError("no FileGuid") }
        return guid
    }

    static func mediaType(_ name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "pdf": "application/pdf"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "gif": "image/gif"
        case "heic": "image/heic"
        case "tif", "tiff": "image/tiff"
        case "bmp": "image/bmp"
        default: "application/octet-stream"
        }
    }

    /// What each uploaded file is attached to (`Linked`), for finding a voucher whose create was
    /// answered by silence: its receipt names it.
    public func fileLinks() async throws(TargetError) -> [String: String] {
        var links: [String: String] = [:]
        var page = 0
        while true {
            let reply = try await send(
                .GET, "\(base)/files?fileStatus=Used&page=\(page)&pageSize=1000&fields=FileGuid,Linked", step: .read)
            let items = reply.json?["Collection"].array ?? []
            for item in items {
                if let guid = item["FileGuid"].string?.lowercased(), let linked = item["Linked"].string, !linked.isEmpty
                {
                    links[guid] = linked
                }
            }
            if items.count < 1000 { return links }
            page += 1
        }
    }
}

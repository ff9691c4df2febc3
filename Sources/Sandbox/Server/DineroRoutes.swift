import Foundation
import Hummingbird

/// What an API handler gets: the organization, the caller, the query (keys lower-cased, as
/// ASP.NET matches them) and the raw body.
struct APICall: Sendable {
    var organization: Int
    var caller: Caller
    var query: [String: String]
    var body: [UInt8]
    var contentType: String?
    var guid: String

    func json() throws(DineroError) -> JSON {
        guard !body.isEmpty else { return .null }
        do {
            return try JSON.parse(body)
        } catch {
            throw DineroError.validation("body", "The body is not valid JSON (byte \(error.offset): \(error.reason))")
        }
    }
}

/// What a handler answers with.
enum APIResult: Sendable {
    case json(JSON)
    case empty
}

extension DineroStore {
    /// Runs one operation and commits what it changed, whether it succeeded or not.
    func perform<T: Sendable>(_ operation: @Sendable (isolated DineroStore) throws -> T) throws -> T {
        completeDueBookings()
        do {
            let value = try operation(self)
            try commit()
            return value
        } catch {
            try? commit()
            throw error
        }
    }
}

/// The Dinero API's routes, at their exact versioned paths.
struct DineroRoutes: Sendable {
    let store: DineroStore

    typealias Handler = @Sendable (DineroStore, APICall) async throws -> APIResult

    func register(on router: Router<SandboxRequestContext>) {
        registerAuth(on: router)
        router.on("/v1/organizations", method: .get) { request, context in
            try await organizations(request, context)
        }
        router.on("/v1.1/organizations", method: .get) { request, context in
            try await organizations(request, context)
        }

        // Lookups
        api(router, .get, "/v1/:org/accounts/entry") { store, call in
            .json(
                try await store.perform {
                    try $0.accountList(organization: call.organization, kind: "entry", query: call.query)
                })
        }
        api(router, .get, "/v1/:org/accounts/purchase") { store, call in
            .json(
                try await store.perform {
                    try $0.accountList(organization: call.organization, kind: "purchase", query: call.query)
                })
        }
        api(router, .get, "/v1/:org/accounts/deposit") { store, call in
            .json(
                try await store.perform {
                    try $0.accountList(organization: call.organization, kind: "deposit", query: call.query)
                })
        }
        api(router, .get, "/v1/:org/vatTypes") { store, call in
            .json(try await store.perform { try $0.vatTypeList(organization: call.organization, query: call.query) })
        }
        api(router, .get, "/v1/:org/accountingyears") { store, call in
            .json(try await store.perform { try $0.accountingYearList(organization: call.organization) })
        }

        // Manual vouchers
        api(router, .post, "/v1/:org/vouchers/manuel", write: true) { store, call in
            let body = try call.json()
            return .json(
                try await store.perform { try $0.createManualVoucher(organization: call.organization, body: body) })
        }
        api(router, .get, "/v1/:org/vouchers/manuel/:guid") { store, call in
            .json(
                try await store.perform { try $0.readManualVoucher(organization: call.organization, guid: call.guid) })
        }
        api(router, .put, "/v1/:org/vouchers/manuel/:guid", write: true) { store, call in
            let body = try call.json()
            return .json(
                try await store.perform {
                    try $0.updateManualVoucher(organization: call.organization, guid: call.guid, body: body)
                })
        }
        api(router, .delete, "/v1/:org/vouchers/manuel/:guid", write: true) { store, call in
            let body = try call.json()
            try await store.perform {
                try $0.deleteManualVoucher(organization: call.organization, guid: call.guid, body: body)
            }
            return .empty
        }
        api(router, .post, "/v1/:org/vouchers/manuel/:guid/book", write: true) { store, call in
            let body = try call.json()
            return .json(
                try await store.perform {
                    try $0.bookManualVoucher(organization: call.organization, guid: call.guid, body: body)
                })
        }

        // Purchase vouchers
        // v1.1 is still served beside v1.2 (the same model); only v1 is deprecated.
        for version in ["v1.1", "v1.2"] {
            api(router, .post, "/\(version)/:org/vouchers/purchase", write: true) { store, call in
                let body = try call.json()
                return .json(
                    try await store.perform {
                        try $0.createPurchaseVoucher(organization: call.organization, body: body)
                    })
            }
        }
        api(router, .get, "/v1/:org/vouchers/purchase/:guid") { store, call in
            .json(
                try await store.perform { try $0.readPurchaseVoucher(organization: call.organization, guid: call.guid) }
            )
        }
        api(router, .put, "/v1.1/:org/vouchers/purchase/:guid", write: true) { store, call in
            let body = try call.json()
            return .json(
                try await store.perform {
                    try $0.updatePurchaseVoucher(organization: call.organization, guid: call.guid, body: body)
                })
        }
        api(router, .delete, "/v1/:org/vouchers/purchase/:guid", write: true) { store, call in
            let body = try call.json()
            try await store.perform {
                try $0.deletePurchaseVoucher(organization: call.organization, guid: call.guid, body: body)
            }
            return .empty
        }
        api(router, .post, "/v1/:org/vouchers/purchase/:guid/book", write: true) { store, call in
            let body = try call.json()
            return .json(
                try await store.perform {
                    try $0.bookPurchaseVoucher(organization: call.organization, guid: call.guid, body: body)
                })
        }

        // Ledger items
        api(router, .post, "/v1.2/:org/ledgeritems", write: true) { store, call in
            let body = try call.json()
            return .json(
                try await store.perform { try $0.createLedgerItems(organization: call.organization, body: body) })
        }
        api(router, .put, "/v1/:org/ledgeritems", write: true) { store, call in
            let body = try call.json()
            return .json(
                try await store.perform { try $0.updateLedgerItems(organization: call.organization, body: body) })
        }
        api(router, .post, "/v1/:org/ledgeritems/book", write: true) { store, call in
            let body = try call.json()
            return .json(
                try await store.perform { try $0.bookLedgerItems(organization: call.organization, body: body) })
        }
        api(router, .post, "/v1/:org/ledgeritems/status") { store, call in
            let body = try call.json()
            return .json(
                try await store.perform { try $0.ledgerItemStatus(organization: call.organization, body: body) })
        }
        api(router, .delete, "/v1/:org/ledgeritems/delete", write: true) { store, call in
            let body = try call.json()
            try await store.perform { try $0.deleteLedgerItems(organization: call.organization, body: body) }
            return .empty
        }
        api(router, .post, "/v1/:org/ledgeritems/ledgers") { store, call in
            let body = try call.json()
            return .json(
                try await store.perform { try $0.ledgerItemDetails(organization: call.organization, body: body) })
        }

        // Files
        api(router, .post, "/v1/:org/files", write: true) { store, call in
            guard let boundary = call.contentType.flatMap(Multipart.boundary(fromContentType:)),
                let parts = Multipart.parts(of: call.body, boundary: boundary)
            else {
                throw DineroError.validation("file", "Send the file as multipart/form-data")
            }
            guard let part = parts.first(where: { $0.filename != nil }) ?? parts.first else {
                throw DineroError.validation("file", "The multipart body holds no file")
            }
            let name = call.query["filename"]
            return .json(
                try await store.perform {
                    try $0.uploadFile(organization: call.organization, part: part, fileName: name)
                })
        }
        api(router, .get, "/v1/:org/files") { store, call in
            .json(try await store.perform { try $0.fileList(organization: call.organization, query: call.query) })
        }

        // Entries
        api(router, .get, "/v1/:org/entries") { store, call in
            .json(try await store.perform { try $0.entryList(organization: call.organization, query: call.query) })
        }
        api(router, .get, "/v1/:org/entries/changes") { store, call in
            .json(try await store.perform { try $0.entryChanges(organization: call.organization, query: call.query) })
        }

        // Contacts and invoices
        api(router, .get, "/v1/:org/contacts") { store, call in
            .json(try await store.perform { try $0.contactList(organization: call.organization, query: call.query) })
        }
        api(router, .post, "/v1/:org/contacts", write: true) { store, call in
            let body = try call.json()
            return .json(try await store.perform { try $0.createContact(organization: call.organization, body: body) })
        }
        api(router, .get, "/v1/:org/contacts/:guid") { store, call in
            .json(try await store.perform { try $0.readContact(organization: call.organization, guid: call.guid) })
        }
        api(router, .get, "/v1/:org/invoices") { store, call in
            .json(try await store.perform { try $0.invoiceList(organization: call.organization, query: call.query) })
        }
        api(router, .post, "/v1/:org/invoices", write: true) { store, call in
            let body = try call.json()
            return .json(try await store.perform { try $0.createInvoice(organization: call.organization, body: body) })
        }
        api(router, .get, "/v1/:org/invoices/:guid") { store, call in
            .json(try await store.perform { try $0.readInvoice(organization: call.organization, guid: call.guid) })
        }

        // Paths Dinero has deprecated: 480 Brownout while the fault is on, else gone (404).
        for (method, path) in [
            (HTTPRequest.Method.post, "/v1/:org/ledgeritems"), (.post, "/v1.1/:org/ledgeritems"),
            (.post, "/v1/:org/vouchers/purchase"), (.get, "/v1/:org/invoices/:guid/payments"),
        ] {
            router.on(RouterPath(path), method: method) { request, _ in
                let brownout = await store.brownout()
                await log(request, status: brownout ? 480 : 404, organization: nil, clientID: nil)
                if brownout {
                    return Answer.text(
                        480, "Brownout: this endpoint is deprecated and will be removed. Move to its newer version.")
                }
                throw HTTPError(.notFound)
            }
        }
    }

    private func log(
        _ request: Request, status: Int, organization: Int?, clientID: String?, dropped: Bool = false
    ) async {
        await store.log(
            LoggedRequest(
                method: request.method.rawValue, path: request.uri.path, status: status, organization: organization,
                clientID: clientID, at: store.now, dropped: dropped))
    }

    static func query(_ request: Request) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in FormEncoding.parse(request.uri.query ?? "") { result[key.lowercased()] = value }
        return result
    }

    static func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else { return nil }
        return String(header.dropFirst(7)).trimmingSpaces
    }

    private func organizations(_ request: Request, _ context: SandboxRequestContext) async throws -> Response {
        do {
            let caller = try await store.authorize(bearer: Self.bearer(request), organization: nil, write: false)
            let list = await store.organizationList(caller: caller, query: Self.query(request))
            await log(request, status: 200, organization: nil, clientID: caller.clientID)
            return Answer.json(200, list)
        } catch {
            await log(request, status: error.status, organization: nil, clientID: nil)
            return Answer.error(error)
        }
    }

    /// An organization's API route: sign-in, rate limit, faults, the handler, and the answer
    /// (or, for a write the dice pick, a dropped connection after the commit).
    private func api(
        _ router: Router<SandboxRequestContext>, _ method: HTTPRequest.Method, _ path: String, write: Bool = false,
        _ handler: @escaping Handler
    ) {
        let store = self.store
        router.on(RouterPath(path), method: method) {
            (request: Request, context: SandboxRequestContext) async throws -> Response in
            guard let organization = context.parameters.get("org").flatMap({ Int($0) }) else {
                throw HTTPError(.notFound)
            }
            let caller: Caller
            do throws(DineroError) {
                caller = try await store.authorize(
                    bearer: Self.bearer(request), organization: organization, write: write)
            } catch {
                await log(request, status: error.status, organization: organization, clientID: nil)
                return Answer.error(error)
            }
            if case .limited(let resetIn, let limit) = await store.admit(caller: caller, organization: organization) {
                await log(request, status: 429, organization: organization, clientID: caller.clientID)
                var headers: HTTPFields = [:]
                if store.options.sendRetryAfter { headers[.retryAfter] = String(resetIn) }
                let window = store.options.rateWindowSeconds
                return Answer.text(
                    429,
                    "API calls quota exceeded! maximum admitted \(limit) per \(window == 60 ? "1m" : "\(window)s").",
                    headers: headers)
            }
            let faults = await store.faultsBeforeRequest()
            if faults.latencyMilliseconds > 0 { try await Task.sleep(for: .milliseconds(faults.latencyMilliseconds)) }
            if faults.fail {
                await log(request, status: 500, organization: organization, clientID: caller.clientID)
                return Answer.json(
                    500, .object(["message": "An error has occurred.", "sandboxFault": "failRate or failNext"]))
            }
            let body: [UInt8]
            do {
                let buffer = try await request.body.collect(upTo: context.maxUploadSize)
                body = Array(buffer.readableBytesView)
            } catch {
                await log(request, status: 413, organization: organization, clientID: caller.clientID)
                return Answer.error(DineroError(status: 413, code: 43, message: "The request body is too large"))
            }
            let call = APICall(
                organization: organization, caller: caller, query: Self.query(request), body: body,
                contentType: request.headers[.contentType], guid: context.parameters.get("guid") ?? "")
            let response: Response
            do {
                switch try await handler(store, call) {
                case .json(let json): response = Answer.json(200, json)
                case .empty: response = Answer.empty(200)
                }
            } catch let error as DineroError {
                await log(request, status: error.status, organization: organization, clientID: caller.clientID)
                return Answer.error(error)
            }
            if write, await store.dropsAnswerToWrite() {
                await log(request, status: 200, organization: organization, clientID: caller.clientID, dropped: true)
                try await context.channel.close()
                throw ConnectionDropped()
            }
            await log(request, status: 200, organization: organization, clientID: caller.clientID)
            return response
        }
    }
}

/// Thrown after the sandbox closed a connection on purpose; there is nobody left to answer.
struct ConnectionDropped: Error {}

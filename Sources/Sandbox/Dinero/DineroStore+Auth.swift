import Crypto
import Foundation

/// Who is calling, once their bearer token checks out.
struct Caller: Sendable {
    var clientID: String
    var kind: TokenKind
    var organizations: [Int]
}

enum RateDecision: Sendable {
    case allowed
    /// Refused; the window resets this many seconds from now.
    case limited(resetIn: Int, limit: Int)
}

extension DineroStore {
    static let accessTokenLifetime: TimeInterval = 3600
    static let codeLifetime: TimeInterval = 300
    static let refreshTokenLifetime: TimeInterval = 30 * 24 * 3600
    static let connectScopes: Set<String> = [
        "dineropublicapi:read", "dineropublicapi:write", "offline_access", "openid", "email", "profile",
    ]

    func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64URLEncoded
    }

    // MARK: Personal integration: POST /dineroapi/oauth/token

    func personalToken(basic: (id: String, secret: String)?, form: [String: String]) throws(OAuthError) -> JSON {
        guard let basic, let client = clients[basic.id], client.kind == .personal, client.secret == basic.secret else {
            throw OAuthError.invalidClient()
        }
        guard form["grant_type"] == "password" else {
            throw OAuthError(error: "unsupported_grant_type", description: "Only the password grant is supported here")
        }
        guard let key = form["username"], !key.isEmpty, form["password"] == key,
            let organization = organizations.values.first(where: { $0.apiKey == key })
        else {
            throw OAuthError.invalidGrant("The API key is not valid")
        }
        let token = AccessToken(
            token: randomToken(), kind: .personal, clientID: client.id, organization: organization.id, user: nil,
            grant: nil, scopes: ["read", "write"], expiresAt: now.addingTimeInterval(Self.accessTokenLifetime))
        tokens[token.token] = token
        remember("token", token.token, token)
        return .object([
            "access_token": .string(token.token), "token_type": "Bearer", "expires_in": .int(3600),
            "refresh_token": .null,
        ])
    }

    // MARK: Visma Connect: GET /connect/authorize

    /// Checks an authorization request and issues a code for the sandbox user (who always consents).
    /// Errors about the client or the redirect URI are not redirected, as OAuth requires.
    func authorize(query: [String: String]) throws(OAuthError) -> (redirectURI: String, parameters: [(String, String)])
    {
        guard let clientID = query["client_id"], let client = clients[clientID], client.kind == .connect else {
            throw OAuthError.invalidRequest("Unknown client_id")
        }
        guard let redirectURI = query["redirect_uri"], Self.redirectAllowed(redirectURI, for: client) else {
            throw OAuthError.invalidRequest("redirect_uri is not registered for this client")
        }
        var parameters: [(String, String)] = []
        if let state = query["state"] { parameters.append(("state", state)) }
        func refuse(_ error: String, _ description: String) -> (String, [(String, String)]) {
            (redirectURI, [("error", error), ("error_description", description)] + parameters)
        }
        guard query["response_type"] == "code" else {
            return refuse("unsupported_response_type", "response_type must be code")
        }
        let scopes = (query["scope"] ?? "").split(whereSeparator: { $0 == " " || $0 == "+" }).map(String.init)
        guard !scopes.isEmpty, scopes.allSatisfy(Self.connectScopes.contains) else {
            return refuse("invalid_scope", "Ask for dineropublicapi:read, dineropublicapi:write and offline_access")
        }
        let challenge = query["code_challenge"]
        if challenge != nil || query["code_challenge_method"] != nil {
            guard query["code_challenge_method"] == "S256", let challenge, challenge.count >= 43 else {
                return refuse("invalid_request", "PKCE needs code_challenge_method=S256 and a code_challenge")
            }
        }
        let code = AuthorizationCode(
            code: randomToken(), clientID: client.id, redirectURI: redirectURI, user: Seed.userID, scopes: scopes,
            codeChallenge: challenge, expiresAt: now.addingTimeInterval(Self.codeLifetime))
        codes[code.code] = code
        remember("code", code.code, code)
        return (redirectURI, [("code", code.code), ("scope", scopes.joined(separator: " "))] + parameters)
    }

    /// Exact match, except that a loopback redirect matches on any port (RFC 8252 §7.3).
    static func redirectAllowed(_ uri: String, for client: APIClient) -> Bool {
        if client.redirectURIs.contains(uri) { return true }
        guard let components = URLComponents(string: uri), components.scheme == "http",
            let host = components.host, ["127.0.0.1", "localhost", "[::1]", "::1"].contains(host)
        else { return false }
        var portless = components
        portless.port = nil
        portless.query = nil
        return client.redirectURIs.contains(portless.string ?? "")
    }

    // MARK: Visma Connect: POST /connect/token

    func connectToken(basic: (id: String, secret: String)?, form: [String: String]) throws(OAuthError) -> JSON {
        let id = basic?.id ?? form["client_id"]
        let secret = basic?.secret ?? form["client_secret"]
        guard let id, let client = clients[id], client.kind == .connect, client.secret == secret else {
            throw OAuthError.invalidClient()
        }
        switch form["grant_type"] {
        case "authorization_code": return try redeemCode(client: client, form: form)
        case "refresh_token": return try refresh(client: client, form: form)
        default:
            throw OAuthError(
                error: "unsupported_grant_type",
                description: "Dinero supports authorization_code and refresh_token for web applications")
        }
    }

    private func redeemCode(client: APIClient, form: [String: String]) throws(OAuthError) -> JSON {
        guard let value = form["code"], var code = codes[value], code.clientID == client.id else {
            throw OAuthError.invalidGrant("Unknown authorization code")
        }
        if code.used {
            // A code presented twice: revoke what the first exchange issued (RFC 6749 §4.1.2).
            if let grant = code.grant { revokeGrant(grant) }
            try? commit()
            throw OAuthError.invalidGrant("The authorization code was already used")
        }
        guard code.expiresAt > now else { throw OAuthError.invalidGrant("The authorization code has expired") }
        guard form["redirect_uri"] == code.redirectURI else {
            throw OAuthError.invalidGrant("redirect_uri does not match the authorization request")
        }
        if let challenge = code.codeChallenge {
            guard let verifier = form["code_verifier"], !verifier.isEmpty else {
                throw OAuthError.invalidGrant("code_verifier is missing")
            }
            let digest = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded
            guard digest == challenge else { throw OAuthError.invalidGrant("code_verifier does not match") }
        }
        let grant = Grant(
            id: newGuid(), clientID: client.id, user: code.user, scopes: code.scopes, currentRefreshToken: nil,
            spentRefreshTokens: [], refreshExpiresAt: now.addingTimeInterval(Self.refreshTokenLifetime))
        code.used = true
        code.grant = grant.id
        codes[code.code] = code
        remember("code", code.code, code)
        return issue(grant: grant)
    }

    private func refresh(client: APIClient, form: [String: String]) throws(OAuthError) -> JSON {
        guard let presented = form["refresh_token"], let grantID = refreshTokens[presented],
            let grant = grants[grantID], grant.clientID == client.id
        else {
            throw OAuthError.invalidGrant("Unknown refresh token")
        }
        guard !grant.revoked else { throw OAuthError.invalidGrant("The grant was revoked; sign in again") }
        guard grant.currentRefreshToken == presented else {
            // Replay of a rotated-away token: someone else may hold the chain. Revoke it all.
            revokeGrant(grant.id)
            try? commit()
            throw OAuthError.invalidGrant("The refresh token was already used; the grant is revoked, sign in again")
        }
        guard grant.refreshExpiresAt > now else { throw OAuthError.invalidGrant("The refresh token has expired") }
        return issue(grant: grant)
    }

    /// New access token, and (with offline_access) a new refresh token that replaces the current one.
    private func issue(grant: Grant) -> JSON {
        var grant = grant
        let access = AccessToken(
            token: randomToken(), kind: .connect, clientID: grant.clientID, organization: nil, user: grant.user,
            grant: grant.id, scopes: grant.scopes, expiresAt: now.addingTimeInterval(Self.accessTokenLifetime))
        tokens[access.token] = access
        remember("token", access.token, access)
        var refresh: JSON = .null
        if grant.scopes.contains("offline_access") {
            if let spent = grant.currentRefreshToken { grant.spentRefreshTokens.append(spent) }
            let token = randomToken()
            grant.currentRefreshToken = token
            refreshTokens[token] = grant.id
            refresh = .string(token)
        }
        grants[grant.id] = grant
        remember("grant", grant.id, grant)
        return .object([
            "access_token": .string(access.token), "token_type": "Bearer", "expires_in": .int(3600),
            "refresh_token": refresh, "scope": .string(grant.scopes.joined(separator: " ")),
        ])
    }

    func revokeGrant(_ id: String) {
        guard var grant = grants[id] else { return }
        grant.revoked = true
        grants[id] = grant
        remember("grant", id, grant)
        for (token, access) in tokens where access.grant == id {
            tokens[token] = nil
            forget("token", token)
        }
    }

    /// Makes every access token expired now (the admin API's "expire tokens").
    func expireAllTokens() -> Int {
        let moment = now
        for (key, var token) in tokens where token.expiresAt > moment {
            token.expiresAt = moment
            tokens[key] = token
            remember("token", key, token)
        }
        try? commit()
        return tokens.count
    }

    // MARK: API calls

    /// Checks the bearer token, the organization and the scope. Does not count the request.
    func authorize(bearer: String?, organization: Int?, write: Bool) throws(DineroError) -> Caller {
        apiRequests += 1
        if faults.expireTokensEvery > 0 && apiRequests % faults.expireTokensEvery == 0 { _ = expireAllTokens() }
        guard let bearer, let token = tokens[bearer], token.expiresAt > now else { throw DineroError.unauthorized }
        let reachable: [Int]
        switch token.kind {
        case .personal:
            reachable = token.organization.map { [$0] } ?? []
            if write && !token.scopes.contains("write") { throw DineroError.forbidden("The token has no write scope") }
        case .connect:
            reachable = token.user.flatMap { users[$0]?.organizations } ?? []
            let needed = write ? "dineropublicapi:write" : "dineropublicapi:read"
            if !token.scopes.contains(needed) {
                throw DineroError.forbidden("The token was not granted \(needed)")
            }
        }
        if let organization {
            guard reachable.contains(organization), let found = organizations[organization] else {
                throw DineroError.forbidden("The token gives no access to organization \(organization)")
            }
            guard found.isPro else { throw DineroError.notPro }
        }
        return Caller(clientID: token.clientID, kind: token.kind, organizations: reachable)
    }

    /// Counts a request against its (organization, client id) window (60 seconds unless configured).
    func admit(caller: Caller, organization: Int) -> RateDecision {
        let limit = caller.kind == .personal ? options.personalRateLimit : options.rateLimit
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let length = Int64(max(1, options.rateWindowSeconds))
        let minute = seconds / length
        let key = "\(organization)/\(caller.clientID)"
        var window = rateWindows[key] ?? RateWindow(minute: minute, count: 0)
        if window.minute != minute { window = RateWindow(minute: minute, count: 0) }
        guard window.count < limit else {
            return .limited(resetIn: Int((minute + 1) * length - seconds), limit: limit)
        }
        window.count += 1
        rateWindows[key] = window
        return .allowed
    }
}

extension Data {
    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

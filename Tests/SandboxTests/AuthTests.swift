import Crypto
import Foundation
import NIOHTTP1
import Sandbox
import Testing

@Suite("Sign-in: personal tokens, Visma Connect with PKCE, refresh rotation, expiry, Pro")
struct AuthTests {
    @Test("a personal token is bound to its API key's organization")
    func personalTokenBoundToOrganization() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            let organizations = try await h.send(.GET, "/v1/organizations", token: token)
            #expect(organizations.status == 200)
            #expect(organizations.array.map { $0["id"] as? Int } == [SandboxCredentials.organizationID])
            #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: token).status == 200)
            let v11 = try await h.send(.GET, "/v1.1/organizations", token: token)
            #expect(v11.array.map { $0["id"] as? Int } == [SandboxCredentials.organizationID])
            let discovery = try await h.send(.GET, "/.well-known/openid-configuration")
            #expect((discovery.object["token_endpoint"] as? String)?.hasSuffix("/connect/token") == true)
            let other = try await h.send(.GET, "/v1/\(SandboxCredentials.basicOrganizationID)/vatTypes", token: token)
            #expect(other.status == 403)
            #expect(other.code == 41)
        }
    }

    @Test("the token endpoint answers 3600 seconds and no refresh token")
    func personalTokenShape() async throws {
        try await Harness.with { h in
            let reply = try await h.form(
                "/dineroapi/oauth/token",
                [
                    ("grant_type", "password"), ("username", SandboxCredentials.apiKey),
                    ("password", SandboxCredentials.apiKey),
                ],
                basic: (SandboxCredentials.personalClientID, SandboxCredentials.personalClientSecret))
            #expect(reply.status == 200)
            #expect(reply.object["expires_in"] as? Int == 3600)
            #expect(reply.object["token_type"] as? String == "Bearer")
            #expect(reply.object["refresh_token"] is NSNull)
        }
    }

    @Test("a wrong API key is invalid_grant; a wrong client secret is invalid_client")
    func wrongCredentials() async throws {
        try await Harness.with { h in
            let badKey = try await h.form(
                "/dineroapi/oauth/token",
                [("grant_type", "password"), ("username", "nope"), ("password", "nope")],
                basic: (SandboxCredentials.personalClientID, SandboxCredentials.personalClientSecret))
            #expect(badKey.status == 400)
            #expect(badKey.object["error"] as? String == "invalid_grant")
            let badSecret = try await h.form(
                "/dineroapi/oauth/token",
                [
                    ("grant_type", "password"), ("username", SandboxCredentials.apiKey),
                    ("password", SandboxCredentials.apiKey),
                ],
                basic: (SandboxCredentials.personalClientID, "wrong"))
            #expect(badSecret.status == 401)
            #expect(badSecret.object["error"] as? String == "invalid_client")
            #expect(!badSecret.text.contains("wrong"))
        }
    }

    @Test("tokens expire after an hour, and the admin API can expire them at once")
    func expiry() async throws {
        try await Harness.with { h in
            let token = try await h.personalToken()
            h.clock.advance(by: 3599)
            #expect(try await h.send(.GET, "/v1/\(h.org)/accountingyears", token: token).status == 200)
            h.clock.advance(by: 2)
            let expired = try await h.send(.GET, "/v1/\(h.org)/accountingyears", token: token)
            #expect(expired.status == 401)
            #expect(expired.headers.first(name: "WWW-Authenticate")?.contains("invalid_token") == true)

            let fresh = try await h.personalToken()
            #expect(try await h.send(.GET, "/v1/\(h.org)/accountingyears", token: fresh).status == 200)
            #expect(try await h.admin(.POST, "/tokens/expire").status == 200)
            #expect(try await h.send(.GET, "/v1/\(h.org)/accountingyears", token: fresh).status == 401)
            #expect(try await h.send(.GET, "/v1/\(h.org)/accountingyears", token: "made-up").status == 401)
            #expect(try await h.send(.GET, "/v1/\(h.org)/accountingyears").status == 401)
        }
    }

    // MARK: Visma Connect

    static let redirect = "http://127.0.0.1:49152/callback"

    static func pkce() -> (verifier: String, challenge: String) {
        let verifier = "a-verifier-that-is-long-enough-to-satisfy-rfc-7636-rules-0123456789"
        let digest = Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return (verifier, digest)
    }

    /// Runs /connect/authorize and returns the code from the redirect.
    static func authorize(
        _ h: Harness, challenge: String?, scope: String = "dineropublicapi:read dineropublicapi:write offline_access"
    ) async throws -> String {
        var query = [
            ("client_id", SandboxCredentials.connectClientID), ("response_type", "code"), ("scope", scope),
            ("redirect_uri", redirect), ("state", "xyz"),
        ]
        if let challenge { query += [("code_challenge", challenge), ("code_challenge_method", "S256")] }
        let path =
            "/connect/authorize?"
            + query.map { "\(Harness.encode($0.0))=\(Harness.encode($0.1))" }.joined(separator: "&")
        let reply = try await h.send(.GET, path)
        #expect(reply.status == 302)
        let location = try #require(reply.headers.first(name: "Location"))
        #expect(location.hasPrefix(redirect + "?"))
        let items = try #require(URLComponents(string: location)?.queryItems)
        #expect(items.first { $0.name == "state" }?.value == "xyz")
        return try #require(items.first { $0.name == "code" }?.value)
    }

    static func exchange(_ h: Harness, code: String, verifier: String?) async throws -> Harness.Reply {
        var fields = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect),
            ("client_id", SandboxCredentials.connectClientID),
            ("client_secret", SandboxCredentials.connectClientSecret),
        ]
        if let verifier { fields.append(("code_verifier", verifier)) }
        return try await h.form("/connect/token", fields)
    }

    static func refresh(_ h: Harness, _ token: String) async throws -> Harness.Reply {
        try await h.form(
            "/connect/token", [("grant_type", "refresh_token"), ("refresh_token", token)],
            basic: (SandboxCredentials.connectClientID, SandboxCredentials.connectClientSecret))
    }

    @Test("authorization code with PKCE: a wrong verifier fails, the right one gets tokens")
    func pkceFlow() async throws {
        try await Harness.with { h in
            let (verifier, challenge) = Self.pkce()
            let code = try await Self.authorize(h, challenge: challenge)
            let missing = try await Self.exchange(h, code: code, verifier: nil)
            #expect(missing.status == 400)
            #expect(missing.object["error"] as? String == "invalid_grant")
            let wrong = try await Self.exchange(h, code: code, verifier: verifier + "x")
            #expect(wrong.object["error"] as? String == "invalid_grant")
            let good = try await Self.exchange(h, code: code, verifier: verifier)
            #expect(good.status == 200, "\(good.text)")
            #expect(good.object["expires_in"] as? Int == 3600)
            let access = try #require(good.object["access_token"] as? String)
            #expect(good.object["refresh_token"] is String)
            // The user reaches both organizations; the one without Pro answers 403 code 90.
            let organizations = try await h.send(.GET, "/v1/organizations", token: access)
            #expect(organizations.array.count == 2)
            let basic = try await h.send(.GET, "/v1/\(SandboxCredentials.basicOrganizationID)/vatTypes", token: access)
            #expect(basic.status == 403)
            #expect(basic.code == 90)
            #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: access).status == 200)
        }
    }

    @Test("a code is good once; presenting it again revokes what it gave")
    func codeReplay() async throws {
        try await Harness.with { h in
            let (verifier, challenge) = Self.pkce()
            let code = try await Self.authorize(h, challenge: challenge)
            let first = try await Self.exchange(h, code: code, verifier: verifier)
            let access = try #require(first.object["access_token"] as? String)
            let again = try await Self.exchange(h, code: code, verifier: verifier)
            #expect(again.status == 400)
            #expect(again.object["error"] as? String == "invalid_grant")
            #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: access).status == 401)
        }
    }

    @Test("refresh tokens rotate; replaying a spent one revokes the whole grant")
    func refreshRotationAndReplay() async throws {
        try await Harness.with { h in
            let (verifier, challenge) = Self.pkce()
            let code = try await Self.authorize(h, challenge: challenge)
            let first = try await Self.exchange(h, code: code, verifier: verifier)
            let refresh1 = try #require(first.object["refresh_token"] as? String)

            let second = try await Self.refresh(h, refresh1)
            #expect(second.status == 200)
            let refresh2 = try #require(second.object["refresh_token"] as? String)
            let access2 = try #require(second.object["access_token"] as? String)
            #expect(refresh2 != refresh1)
            #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: access2).status == 200)

            let replay = try await Self.refresh(h, refresh1)
            #expect(replay.status == 400)
            #expect(replay.object["error"] as? String == "invalid_grant")
            // The grant is gone: the current refresh token and its access token no longer work.
            #expect(try await Self.refresh(h, refresh2).status == 400)
            #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: access2).status == 401)
        }
    }

    @Test("without offline_access there is no refresh token; without write scope writes are 403")
    func scopes() async throws {
        try await Harness.with { h in
            let (verifier, challenge) = Self.pkce()
            let code = try await Self.authorize(h, challenge: challenge, scope: "dineropublicapi:read")
            let tokens = try await Self.exchange(h, code: code, verifier: verifier)
            #expect(tokens.object["refresh_token"] is NSNull)
            let access = try #require(tokens.object["access_token"] as? String)
            #expect(try await h.send(.GET, "/v1/\(h.org)/vatTypes", token: access).status == 200)
            let write = try await h.send(
                .POST, "/v1/\(h.org)/vouchers/manuel", token: access, json: Harness.manualBody())
            #expect(write.status == 403)
        }
    }

    @Test("form_post answers with a self-submitting form; unregistered redirects are not followed")
    func authorizeModes() async throws {
        try await Harness.with { h in
            let formPost = try await h.send(
                .GET,
                "/connect/authorize?client_id=\(SandboxCredentials.connectClientID)&response_type=code&scope=dineropublicapi%3Aread&redirect_uri=http%3A%2F%2Flocalhost%3A8123%2Fcallback&response_mode=form_post&state=s1"
            )
            #expect(formPost.status == 200)
            #expect(formPost.text.contains("action=\"http://localhost:8123/callback\""))
            #expect(formPost.text.contains("name=\"code\""))
            #expect(formPost.text.contains("value=\"s1\""))

            let foreign = try await h.send(
                .GET,
                "/connect/authorize?client_id=\(SandboxCredentials.connectClientID)&response_type=code&scope=dineropublicapi%3Aread&redirect_uri=https%3A%2F%2Fevil.example%2Fcallback"
            )
            #expect(foreign.status == 400)
            #expect(foreign.headers.first(name: "Location") == nil)

            let plain = try await h.send(
                .GET,
                "/connect/authorize?client_id=\(SandboxCredentials.connectClientID)&response_type=code&scope=dineropublicapi%3Aread&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&code_challenge=abc&code_challenge_method=plain"
            )
            #expect(plain.status == 302)
            #expect(plain.headers.first(name: "Location")?.contains("error=invalid_request") == true)
        }
    }
}

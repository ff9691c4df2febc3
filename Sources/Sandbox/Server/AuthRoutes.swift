import Foundation
import Hummingbird

extension DineroRoutes {
    /// The personal-integration token endpoint and the Visma Connect authorize and token endpoints.
    func registerAuth(on router: Router<SandboxRequestContext>) {
        let store = self.store
        router.on("/dineroapi/oauth/token", method: .post) { request, _ in
            let form = try await Self.form(request)
            do {
                return Answer.json(
                    200, try await store.perform { try $0.personalToken(basic: Self.basic(request), form: form) },
                    headers: [.cacheControl: "no-store"])
            } catch let error as OAuthError {
                return Answer.oauth(error)
            }
        }
        router.on("/connect/token", method: .post) { request, _ in
            let form = try await Self.form(request)
            do {
                return Answer.json(
                    200, try await store.perform { try $0.connectToken(basic: Self.basic(request), form: form) },
                    headers: [.cacheControl: "no-store"])
            } catch let error as OAuthError {
                return Answer.oauth(error)
            }
        }
        router.on("/connect/authorize", method: .get) { request, _ in
            let query = FormEncoding.parse(request.uri.query ?? "")
            let outcome: (redirectURI: String, parameters: [(String, String)])
            do {
                outcome = try await store.perform { try $0.authorize(query: query) }
            } catch let error as OAuthError {
                return Answer.html(
                    400,
                    "<!DOCTYPE html><html><body><h1>Sign-in error</h1><p>\(Self.escape(error.error)): \(Self.escape(error.description))</p></body></html>"
                )
            }
            if query["response_mode"] == "form_post" {
                let inputs = outcome.parameters.map {
                    "<input type=\"hidden\" name=\"\(Self.escape($0.0))\" value=\"\(Self.escape($0.1))\">"
                }.joined()
                return Answer.html(
                    200,
                    "<!DOCTYPE html><html><body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"\(Self.escape(outcome.redirectURI))\">\(inputs)<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>"
                )
            }
            let separator = outcome.redirectURI.contains("?") ? "&" : "?"
            let location =
                outcome.redirectURI + separator
                + outcome.parameters.map { "\(FormEncoding.encode($0.0))=\(FormEncoding.encode($0.1))" }.joined(
                    separator: "&")
            return Response(status: .found, headers: [.location: location])
        }
        router.on("/.well-known/openid-configuration", method: .get) { request, _ in
            let base = "http://\(request.head.authority ?? "127.0.0.1")"
            return Answer.json(
                200,
                .object([
                    "issuer": .string(base), "authorization_endpoint": .string(base + "/connect/authorize"),
                    "token_endpoint": .string(base + "/connect/token"),
                    "grant_types_supported": .array(["authorization_code", "refresh_token"]),
                    "code_challenge_methods_supported": .array(["S256"]),
                    "response_modes_supported": .array(["query", "form_post"]),
                    "scopes_supported": .array(DineroStore.connectScopes.sorted().map { .string($0) }),
                ]))
        }
    }

    static func form(_ request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        return FormEncoding.parse(String(buffer: buffer))
    }

    /// `Authorization: Basic base64(id:secret)`, with both parts form-decoded as RFC 6749 §2.3.1 says.
    static func basic(_ request: Request) -> (id: String, secret: String)? {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("basic "),
            let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingSpaces),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (
            FormEncoding.decode(text[..<colon]), FormEncoding.decode(text[text.index(after: colon)...])
        )
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

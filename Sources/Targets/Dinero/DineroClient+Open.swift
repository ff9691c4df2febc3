public import AsyncHTTPClient
import Foundation

extension DineroClient {
    /// Dinero from settings: the organization, URLs and credentials from the settings, the
    /// credentials file and the environment (in that order), signed in with a personal
    /// integration's API key or through Visma Connect, over `http` and the organization's
    /// limiter of `limiters`. `personal` names the credentials outright (the built-in sandbox's).
    public static func open(
        _ settings: TargetSettings, http: HTTPClient, limiters: RateLimiters, personal: PersonalCredentials? = nil
    ) async throws -> (client: DineroClient, description: String) {
        var values = settings.environment
        if personal == nil, let file = settings.credentialsFile {
            values.merge(try Credentials.read(file)) { _, fromFile in fromFile }
        }
        guard let organization = settings.organization ?? values["DINERO_ORGANIZATION_ID"].flatMap({ Int($0) }) else {
            throw ConnectionError("name the organization: --org ID or DINERO_ORGANIZATION_ID (the firmaID in Dinero)")
        }
        let apiURL = settings.apiURL ?? values["DINERO_API_URL"] ?? "https://api.dinero.dk"
        let authURL = settings.authURL ?? values["DINERO_AUTH_URL"] ?? "https://authz.dinero.dk"
        let auth: any AccessTokenProvider
        let connect = personal == nil && settings.auth == "connect"
        var description = "Dinero at \(apiURL), organization \(organization)"
        if connect, let connectSettings = settings.connect {
            auth = ConnectTokenProvider(
                settings: connectSettings, store: TokenStore(path: settings.tokenStore), http: http,
                drill: settings.refreshDrill)
            description += ", signed in through Visma Connect"
        } else {
            func required(_ name: String) throws -> String {
                guard let value = values[name], !value.isEmpty else {
                    throw ConnectionError(
                        "\(name) is not set. Give the personal integration's client id, secret and API key as DINERO_CLIENT_ID, DINERO_CLIENT_SECRET and DINERO_API_KEY, in the environment or in --credentials FILE (mode 0600)."
                    )
                }
                return value
            }
            let credentials =
                try personal
                ?? PersonalCredentials(
                    clientID: try required("DINERO_CLIENT_ID"), clientSecret: try required("DINERO_CLIENT_SECRET"),
                    apiKey: try required("DINERO_API_KEY"))
            auth = PersonalTokenProvider(credentials: credentials, authBaseURL: authURL, http: http)
        }
        var policy = rateLimit(connect: connect)
        if let limit = settings.rateLimit { policy.limit = limit }
        if let window = settings.rateWindow { policy.window = .fixed(window) }
        let limiter = await limiters.limiter(
            organization: String(organization), clientID: auth.clientID, policy: policy)
        let client = DineroClient(
            apiBaseURL: apiURL, auth: auth, organization: organization, http: http, limiter: limiter,
            afterAnswer: settings.afterAnswer)
        return (client, description)
    }
}

import Hummingbird
import NIOCore

/// The request context of the sandbox: Hummingbird's basics plus the connection, so a fault can
/// drop it after a write has been committed.
struct SandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Room for a 6 MB file and its multipart framing; larger bodies get 413.
    var maxUploadSize: Int { 7 * 1024 * 1024 }
}

/// Unknown routes answer 404 with an HTML page, as Dinero's do (so clients must not parse them as JSON).
struct HTMLNotFound: RouterMiddleware {
    typealias Context = SandboxRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return Answer.html(
                404,
                "<!DOCTYPE html><html><head><title>404 - Not Found</title></head><body><h1>404 - File or directory not found.</h1><p>The resource you are looking for might have been removed, had its name changed, or is temporarily unavailable.</p></body></html>"
            )
        }
    }
}

/// Ways the sandbox answers.
enum Answer {
    static func json(_ status: Int, _ body: JSON, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(
            status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: body.serialized)))
    }

    static func text(_ status: Int, _ text: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "text/plain; charset=utf-8"
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func html(_ status: Int, _ html: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func empty(_ status: Int) -> Response { Response(status: .init(code: status)) }

    static func error(_ error: DineroError) -> Response {
        var headers: HTTPFields = [:]
        if error.status == 401 { headers[.wwwAuthenticate] = "Bearer error=\"invalid_token\"" }
        return json(error.status, error.body, headers: headers)
    }

    static func oauth(_ error: OAuthError) -> Response {
        var headers: HTTPFields = [:]
        headers[.cacheControl] = "no-store"
        if error.status == 401 { headers[.wwwAuthenticate] = "Basic realm=\"sandbox\"" }
        return json(error.status, error.body, headers: headers)
    }
}

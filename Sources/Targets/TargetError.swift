public import Foundation

/// Why a call to an accounting system did not do what was asked.
public enum TargetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The credentials were refused (401 after one fresh sign-in, or `invalid_grant`).
    case unauthorized(String)
    /// The user or token may not reach the organization (403).
    case forbidden(String)
    /// The organization has no active Pro subscription (Dinero 403, code 90).
    case notPro
    /// The target refused the request as invalid (400), with its code and the fields at fault.
    case rejected(code: Int?, message: String, fields: [String: String])
    /// The entity changed since it was read (Dinero code 58).
    case stale
    /// An entity with the same client-supplied id exists (409, code 72).
    case duplicate(message: String)
    case notFound(String)
    /// The file is larger than the target takes (413).
    case tooLarge
    /// The path is deprecated and browning out (480).
    case deprecated(String)
    /// The target answered 5xx, or the connection failed, on a step that is safe to retry,
    /// and retries ran out.
    case unavailable(String)
    /// A write was sent and no answer came back (5xx, timeout, dropped connection): it may or
    /// may not have happened. Look the document up before sending it again.
    case ambiguous(String)
    /// Rate limited for longer than the run waits; `resumeAt` is when it could go on, when known.
    case rateLimited(String, resumeAt: Date? = nil)
    /// The target refused to book because the document's period is closed (an accounting year
    /// closed, or the books locked): nothing in that period can be booked now.
    case closedPeriod(String)
    /// The target holds as many unsent drafts as it takes (Dinero code 43): not the documents'
    /// fault; the run stops and a later one goes on.
    case capacity(String)
    /// The answer could not be read.
    case protocolError(String)

    public var description: String {
        switch self {
        case .unauthorized(let message): "not authorized: \(message)"
        case .forbidden(let message): "forbidden: \(message)"
        case .notPro: "the organization has no active Dinero Pro subscription (code 90); Pro is needed for the API"
        case .rejected(let code, let message, let fields):
            (code.map { "code \($0): " } ?? "") + message
                + (fields.isEmpty
                    ? ""
                    : " ("
                        + fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                        .joined(separator: "; ") + ")")
        case .stale: "the document changed at the target since it was read (code 58)"
        case .duplicate(let message): "already exists: \(message)"
        case .notFound(let message): "not found: \(message)"
        case .tooLarge: "the file is larger than the target accepts (6 MB)"
        case .deprecated(let message): "deprecated endpoint (480 brownout): \(message)"
        case .unavailable(let message): "the target is unavailable: \(message)"
        case .ambiguous(let message): "no answer to a write, so its outcome is unknown: \(message)"
        case .rateLimited(let message, _): "rate limited: \(message)"
        case .capacity(let message): "the target is full: \(message)"
        case .closedPeriod(let message): message
        case .protocolError(let message): "unexpected answer: \(message)"
        }
    }

    /// A short stable code for reports.
    public var code: String {
        switch self {
        case .unauthorized: "T401"
        case .forbidden: "T403"
        case .notPro: "T090"
        case .rejected(let code, _, _): code.map { "D\($0)" } ?? "T400"
        case .stale: "D58"
        case .duplicate: "D72"
        case .notFound: "T404"
        case .tooLarge: "T413"
        case .deprecated: "T480"
        case .unavailable: "T503"
        case .ambiguous: "T598"
        case .rateLimited: "T429"
        case .capacity: "D43"
        case .closedPeriod: "D42"
        case .protocolError: "T599"
        }
    }
}

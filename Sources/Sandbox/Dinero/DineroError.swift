/// An error answer from the emulated Dinero API:
/// `{code, message, validationErrors, languageSpecificMessages, errorMessageList}`.
struct DineroError: Error, Sendable {
    var status: Int
    var code: Int
    var message: String
    var validationErrors: [(String, String)] = []

    var body: JSON {
        let validation: JSON =
            validationErrors.isEmpty
            ? .null : .object(validationErrors.map { JSON.Member(key: $0.0, value: .string($0.1)) })
        let language: JSON = .array(
            (validationErrors.isEmpty ? [("", message)] : validationErrors).map { property, text in
                .object(["property": .string(property), "message": .string(text)])
            })
        // Dinero's newer answers also list each problem as `{Code, Message}` (research notes §10.2).
        let list: JSON = .array(
            (validationErrors.isEmpty ? [(String(code), message)] : validationErrors).map { key, text in
                .object(["Code": .string(key), "Message": .string(text)])
            })
        return .object([
            "code": .int(code), "message": .string(message), "validationErrors": validation,
            "languageSpecificMessages": language, "errorMessageList": list,
        ])
    }

    static func validation(_ errors: [(String, String)], message: String = "Validation failed") -> DineroError {
        DineroError(status: 400, code: 42, message: message, validationErrors: errors)
    }

    static func validation(_ field: String, _ text: String) -> DineroError {
        validation([(field, text)], message: text)
    }

    static func notFound(_ what: String) -> DineroError {
        DineroError(status: 404, code: 40, message: "\(what) was not found")
    }

    static let staleTimestamp = DineroError(
        status: 400, code: 58,
        message: "The timestamp is outdated. Get the entity again and retry with its current Timestamp.")

    static let unauthorized = DineroError(
        status: 401, code: 41, message: "Authorization has been denied for this request.")

    static let notPro = DineroError(
        status: 403, code: 90, message: "The organization does not have an active Pro subscription.")

    static func forbidden(_ message: String) -> DineroError { DineroError(status: 403, code: 41, message: message) }

    static func duplicate(_ ids: [String]) -> DineroError {
        DineroError(
            status: 409, code: 72, message: "Duplicated entity",
            validationErrors: ids.map { ("guidMustBeUnique", "An entity with id \($0) already exists") })
    }

    static func limit(_ message: String) -> DineroError { DineroError(status: 400, code: 43, message: message) }
}

/// An OAuth error from a token endpoint: `{"error": …, "error_description": …}`.
struct OAuthError: Error, Sendable {
    var status: Int = 400
    var error: String
    var description: String

    var body: JSON { .object(["error": .string(error), "error_description": .string(description)]) }

    static func invalidGrant(_ description: String) -> OAuthError {
        OAuthError(error: "invalid_grant", description: description)
    }

    static func invalidClient(_ description: String = "Client authentication failed") -> OAuthError {
        OAuthError(status: 401, error: "invalid_client", description: description)
    }

    static func invalidRequest(_ description: String) -> OAuthError {
        OAuthError(error: "invalid_request", description: description)
    }
}

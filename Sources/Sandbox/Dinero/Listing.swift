import Foundation

/// `fields`, `page`/`pageSize` and `queryFilter`, as Dinero's list endpoints take them.
enum Listing {
    static let maxPageSize = 1000
    static let defaultPageSize = 100

    /// Keeps only the requested keys, named in the casing they were asked for. `fields` empty or
    /// absent gives `defaults` (or everything when there are none).
    static func project(_ items: [JSON], fields: String?, defaults: String? = nil) -> [JSON] {
        guard let wanted = (fields?.isEmpty == false ? fields : defaults) else { return items }
        let names = wanted.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
        // A field asked for is there even when it has no value, as null.
        return items.map { item in .object(names.map { name in JSON.Member(key: name, value: item[name] ?? .null) }) }
    }

    /// The list filters Dinero's endpoints take, in the lower case queries are kept in.
    static let filters: Set<String> = [
        "queryfilter", "changessince", "deletedonly", "statusfilter", "freetextsearch", "categoryfilter", "startdate",
        "enddate",
    ]

    /// A filter is applied or refused, never ignored: one the endpoint does not apply is a 400.
    static func refuseOthers(_ query: [String: String], applied: Set<String>) throws(DineroError) {
        if let other = query.keys.filter({ filters.contains($0) && !applied.contains($0) }).sorted().first {
            throw DineroError.validation(other, "\(other) is not a filter of this list")
        }
    }

    /// `changesSince`: the items changed at or after the instant.
    static func changedSince(_ query: [String: String]) throws(DineroError) -> Date? {
        guard let text = query["changessince"] else { return nil }
        guard let instant = DineroTime.instant(text) else {
            throw DineroError.validation("changesSince", "changesSince is a date-time like 2026-03-01T12:00:00Z")
        }
        return instant
    }

    /// `deletedOnly=true` lists deleted items, which the sandbox keeps none of.
    static func deletedOnly(_ query: [String: String]) throws(DineroError) -> Bool {
        switch query["deletedonly"]?.lowercased() {
        case nil, "false"?: return false
        case "true"?: return true
        case let other?: throw DineroError.validation("deletedOnly", "deletedOnly is true or false, not \(other)")
        }
    }

    /// The `{Collection, Pagination}` wrapper; `pageSize` above 1000 is refused with code 43.
    static func page(
        _ filtered: [JSON], totalWithoutFilter: Int, query: [String: String], fields: String?, defaults: String?
    ) throws(DineroError) -> JSON {
        let page = Int(query["page"] ?? "0") ?? -1
        let size = Int(query["pagesize"] ?? String(defaultPageSize)) ?? -1
        guard page >= 0 else { throw DineroError.validation("page", "page must be 0 or more") }
        guard size >= 1 && size <= maxPageSize else {
            throw DineroError.limit("pageSize must be between 1 and \(maxPageSize), not \(query["pagesize"] ?? "")")
        }
        let start = min(filtered.count, page * size)
        let slice = Array(filtered[start..<min(filtered.count, start + size)])
        return .object([
            "Collection": .array(project(slice, fields: fields, defaults: defaults)),
            "Pagination": .object([
                "MaxPageSizeAllowed": .int(maxPageSize), "PageSize": .int(size), "Result": .int(filtered.count),
                "ResultWithoutFilter": .int(totalWithoutFilter), "Page": .int(page),
            ]),
        ])
    }

    struct Condition {
        var field: String
        var op: String
        var value: String

        func matches(_ item: JSON) -> Bool {
            let actual: String
            switch item[field] {
            case .string(let text)?: actual = text
            case .number(let text)?: actual = text
            case .bool(let flag)?: actual = flag ? "true" : "false"
            default: actual = ""
            }
            switch op {
            case "eq": return actual.caseInsensitiveCompare(value) == .orderedSame
            default: return actual.lowercased().contains(value.lowercased())
            }
        }
    }

    /// `ExternalReference eq 'x';Name contains 'y'`: conditions on the given fields, all of which must hold.
    static func filter(_ text: String?, allowed: [String]) throws(DineroError) -> [Condition] {
        guard let text, !text.isEmpty else { return [] }
        var conditions: [Condition] = []
        for clause in text.split(separator: ";") {
            let trimmed = clause.trimmingSpaces
            let parts = trimmed.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, parts[2].hasPrefix("'"), parts[2].hasSuffix("'"), parts[2].count >= 2 else {
                throw DineroError.validation(
                    "queryFilter", "Cannot read the filter '\(trimmed)'; write Field eq 'value'")
            }
            let op = parts[1].lowercased()
            guard op == "eq" || op == "contains" else {
                throw DineroError.validation(
                    "queryFilter", "The filter operator '\(parts[1])' is not supported; use eq or contains")
            }
            guard let field = allowed.first(where: { $0.caseInsensitiveCompare(parts[0]) == .orderedSame }) else {
                throw DineroError.validation(
                    "queryFilter", "Cannot filter on '\(parts[0])'; filterable: \(allowed.joined(separator: ", "))")
            }
            conditions.append(Condition(field: field, op: op, value: String(parts[2].dropFirst().dropLast())))
        }
        return conditions
    }
}

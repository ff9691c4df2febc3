import Foundation
import Yams

/// An inbox's configuration (`INBOX/ledgerlift.yaml`, `version: 1`): which files go where.
///
/// ```yaml
/// version: 1
/// settle_seconds: 5
/// routes:
///   - match: "sales-*.csv"
///     mapping: ../mappings/daily-sales.yaml
///     target: dinero
///     org: 123456
///     credentials: /etc/ledgerlift/shop.env
/// ```
public struct InboxConfig: Sendable, Equatable {
    /// A file is taken when its size and modification time have not changed for this long.
    public var settleSeconds: Double = 5
    /// How often the folder is looked at when no change notice comes (and with no inotify).
    public var pollSeconds: Double = 10
    /// How long a route waits after its target could not be reached before it tries again.
    public var retrySeconds: Double = 300
    /// Where the built-in sandbox keeps its books (for `target: sandbox`).
    public var sandboxData: String?
    public var routes: [Route]

    public struct Route: Sendable, Equatable {
        /// Names the route in logs; by default its mapping's file name.
        public var name: String
        /// Glob patterns on the file name (`*`, `?`, `[abc]`); the first route that matches takes a file.
        public var patterns: [String]
        /// The mapping, as an absolute path (the config gives it relative to itself).
        public var mapping: String
        /// `sandbox` (the built-in one) or `dinero`.
        public var target: String
        public var organization: Int?
        public var credentials: String?
        public var apiURL: String?
        public var authURL: String?
        /// `personal` (API key) or `connect` (the tokens of `ledgerlift auth login`).
        public var auth: String
        public var tokenStore: String?
        public var rateLimit: Int?
        public var batchSize: Int
        /// The config line the route starts on, for messages.
        public var line: Int
        /// No `name:` was given; the name was made from the mapping's.
        var unnamed = false

        /// True when one of the route's patterns matches the file name.
        public func matches(_ name: String) -> Bool {
            patterns.contains { Glob.matches($0, name) }
        }
    }

    /// The first route that takes a file of this name.
    public func route(for name: String) -> Route? {
        routes.first { $0.matches(name) }
    }

    /// The targets a route may name when the caller does not say.
    public static let defaultTargets = ["sandbox", "dinero"]

    /// Reads and checks a config file. Every problem is reported at once, with its line.
    /// `targets`: the names a route's `target` may have.
    public static func load(
        path: String, targets: [String] = defaultTargets
    ) throws(InboxConfigError) -> InboxConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw InboxConfigError(
                path: path,
                problems: [
                    .init(
                        line: nil,
                        message:
                            "cannot read the inbox configuration; create it (see `ledgerlift watch --help` and the README's example)"
                    )
                ])
        }
        return try parse(text, path: path, targets: targets)
    }

    static let topKeys = ["version", "settle_seconds", "poll_seconds", "retry_seconds", "sandbox_data", "routes"]
    static let routeKeys = [
        "name", "match", "mapping", "target", "org", "credentials", "api_url", "auth_url", "auth", "token_store",
        "rate_limit", "batch_size",
    ]

    public static func parse(
        _ text: String, path: String, targets: [String] = defaultTargets
    ) throws(InboxConfigError) -> InboxConfig {
        var problems: [InboxConfigError.Problem] = []
        func problem(_ node: Node?, _ message: String) {
            problems.append(.init(line: node?.mark.map { $0.line }, message: message))
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw InboxConfigError(path: path, problems: [.init(line: Self.line(of: error), message: "\(error)")])
        } catch {
            throw InboxConfigError(path: path, problems: [.init(line: nil, message: "\(error)")])
        }
        guard let root, case .mapping(let top) = root else {
            throw InboxConfigError(
                path: path, problems: [.init(line: 1, message: "the configuration must be a mapping with `version: 1`")]
            )
        }
        let folder = (Self.absolute(path) as NSString).deletingLastPathComponent
        func resolve(_ file: String) -> String {
            file.hasPrefix("/") ? file : URL(fileURLWithPath: folder).appendingPathComponent(file).standardized.path
        }
        func number(_ node: Node, _ key: String, positive: Bool = true) -> Double? {
            guard let value = node.scalar.flatMap({ Double($0.string) }), value >= 0, !positive || value > 0 else {
                problem(node, "`\(key)` must be a \(positive ? "positive " : "")number of seconds")
                return nil
            }
            return value
        }

        var config = InboxConfig(routes: [])
        var sawVersion = false
        for (keyNode, value) in top {
            let key = keyNode.string ?? ""
            switch key {
            case "version":
                sawVersion = true
                if value.int != 1 { problem(value, "`version` must be 1") }
            case "settle_seconds":
                if let seconds = number(value, key, positive: false) { config.settleSeconds = seconds }
            case "poll_seconds":
                if let seconds = number(value, key) { config.pollSeconds = seconds }
            case "retry_seconds":
                if let seconds = number(value, key) { config.retrySeconds = seconds }
            case "sandbox_data":
                if let text = value.string {
                    config.sandboxData = resolve(text)
                } else {
                    problem(value, "`sandbox_data` is a folder")
                }
            case "routes":
                guard case .sequence(let items) = value, !items.isEmpty else {
                    problem(value, "`routes` is a list of routes, each with `match` and `mapping`")
                    continue
                }
                for item in items {
                    if let route = parseRoute(item, targets: targets, resolve: resolve, problem: problem) {
                        config.routes.append(route)
                    }
                }
            default:
                problem(keyNode, "unknown key `\(key)`; the keys are \(topKeys.joined(separator: ", "))")
            }
        }
        if !sawVersion { problem(root, "`version: 1` is missing") }
        if config.routes.isEmpty && problems.isEmpty { problem(root, "there are no `routes`") }
        var taken = Set(config.routes.filter { !$0.unnamed }.map(\.name))
        for index in config.routes.indices where config.routes[index].unnamed {
            var route = config.routes[index]
            if taken.contains(route.name) {
                let base = route.name + (route.organization.map { "-\($0)" } ?? "")
                route.name = base
                var number = 2
                while taken.contains(route.name) {
                    route.name = "\(base)-\(number)"
                    number += 1
                }
            }
            taken.insert(route.name)
            config.routes[index] = route
        }
        let names = Dictionary(grouping: config.routes, by: \.name)
        for (name, routes) in names where routes.count > 1 {
            problems.append(
                .init(
                    line: routes[1].line,
                    message:
                        "two routes are named `\(name)` (lines \(routes.map { String($0.line) }.joined(separator: ", "))); give each its own `name`"
                ))
        }
        guard problems.isEmpty else { throw InboxConfigError(path: path, problems: problems) }
        return config
    }

    private static func parseRoute(
        _ node: Node, targets: [String], resolve: (String) -> String, problem: (Node?, String) -> Void
    ) -> Route? {
        guard case .mapping(let fields) = node else {
            problem(node, "a route is a mapping with `match` and `mapping`")
            return nil
        }
        var patterns: [String] = []
        var mapping: String?
        var route = Route(
            name: "", patterns: [], mapping: "", target: "sandbox", auth: "personal", batchSize: 100,
            line: node.mark?.line ?? 0)
        var named = false
        for (keyNode, value) in fields {
            let key = keyNode.string ?? ""
            func text() -> String? {
                guard let text = value.scalar?.string, !text.isEmpty else {
                    problem(value, "`\(key)` needs a value")
                    return nil
                }
                return text
            }
            func positive() -> Int? {
                guard let number = value.int, number > 0 else {
                    problem(value, "`\(key)` must be a positive whole number")
                    return nil
                }
                return number
            }
            switch key {
            case "name":
                if let name = text() {
                    route.name = name
                    named = true
                }
            case "match":
                if case .sequence(let items) = value {
                    patterns = items.compactMap { $0.scalar?.string }
                    if patterns.count != items.count || patterns.isEmpty {
                        problem(value, "`match` is a file-name pattern or a list of them")
                    }
                } else if let pattern = text() {
                    patterns = [pattern]
                }
                for pattern in patterns where pattern.contains("/") {
                    problem(value, "`match` patterns match file names, not paths: `\(pattern)`")
                }
            case "mapping": mapping = text().map(resolve)
            case "target":
                if let target = text() {
                    guard targets.contains(target) else {
                        problem(value, "`target` is \(targets.joined(separator: " or ")), not `\(target)`")
                        continue
                    }
                    route.target = target
                }
            case "org":
                route.organization = positive()
            case "credentials": route.credentials = text().map(resolve)
            case "api_url": route.apiURL = text()
            case "auth_url": route.authURL = text()
            case "auth":
                if let auth = text() {
                    guard ["personal", "connect"].contains(auth) else {
                        problem(value, "`auth` is personal or connect, not `\(auth)`")
                        continue
                    }
                    route.auth = auth
                }
            case "token_store": route.tokenStore = text().map(resolve)
            case "rate_limit": route.rateLimit = positive()
            case "batch_size":
                if let size = positive() {
                    if size > 1000 { problem(value, "`batch_size` is at most 1000") } else { route.batchSize = size }
                }
            default:
                problem(keyNode, "unknown route key `\(key)`; the keys are \(routeKeys.joined(separator: ", "))")
            }
        }
        guard !patterns.isEmpty else {
            problem(node, "the route has no `match` (a file-name pattern such as \"sales-*.csv\")")
            return nil
        }
        guard let mapping else {
            problem(node, "the route has no `mapping` (the mapping file, relative to this configuration)")
            return nil
        }
        if route.auth == "connect" && route.target == "sandbox" {
            problem(node, "`auth: connect` needs `target: dinero`")
        }
        route.patterns = patterns
        route.mapping = mapping
        if !named {
            // The mapping's name, and the organization's when one mapping serves several.
            route.name = ((mapping as NSString).lastPathComponent as NSString).deletingPathExtension
            route.unnamed = true
        }
        return route
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

/// A configuration that cannot be used: every problem, with its line.
public struct InboxConfigError: Error, Sendable, CustomStringConvertible {
    public struct Problem: Sendable {
        public var line: Int?
        public var message: String
    }

    public var path: String
    public var problems: [Problem]

    public var description: String {
        problems.map { "\(path)\($0.line.map { ":\($0)" } ?? ""): error: \($0.message)" }.joined(separator: "\n")
    }
}

/// Shell-style file-name patterns: `*` (any run of characters), `?` (one), `[abc]`, `[a-z]`,
/// `[!abc]`. Case-sensitive, like the file system.
public enum Glob {
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        match(Array(pattern.unicodeScalars), 0, Array(name.unicodeScalars), 0)
    }

    private static func match(_ p: [Unicode.Scalar], _ pi: Int, _ n: [Unicode.Scalar], _ ni: Int) -> Bool {
        var pi = pi
        var ni = ni
        while pi < p.count {
            switch p[pi] {
            case "*":
                // Collapse runs of stars; then try every split.
                while pi < p.count && p[pi] == "*" { pi += 1 }
                if pi == p.count { return true }
                for start in ni...n.count where match(p, pi, n, start) { return true }
                return false
            case "?":
                guard ni < n.count else { return false }
                pi += 1
                ni += 1
            case "[":
                guard ni < n.count, let (matched, next) = bracket(p, pi, n[ni]) else {
                    // An unclosed `[` is an ordinary character.
                    guard ni < n.count, n[ni] == "[" else { return false }
                    pi += 1
                    ni += 1
                    continue
                }
                guard matched else { return false }
                pi = next
                ni += 1
            default:
                guard ni < n.count, n[ni] == p[pi] else { return false }
                pi += 1
                ni += 1
            }
        }
        return ni == n.count
    }

    /// Whether `c` is in the class starting at `p[start]` (`[`), and where the class ends; nil if unclosed.
    private static func bracket(_ p: [Unicode.Scalar], _ start: Int, _ c: Unicode.Scalar) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < p.count, p[i] == "!" || p[i] == "^" {
            negate = true
            i += 1
        }
        var matched = false
        var first = true
        while i < p.count {
            if p[i] == "]" && !first { return (matched != negate, i + 1) }
            first = false
            if i + 2 < p.count, p[i + 1] == "-", p[i + 2] != "]" {
                if p[i].value <= c.value && c.value <= p[i + 2].value { matched = true }
                i += 3
            } else {
                if p[i] == c { matched = true }
                i += 1
            }
        }
        return nil
    }
}

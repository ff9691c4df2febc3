import Foundation
import Logging

/// swift-log to stderr, one line per message: readable text, or JSON objects for journald and
/// log collectors (`--log-format json`). Metadata comes out as `key=value` or as JSON fields.
struct LineLogHandler: LogHandler {
    enum Format: String, CaseIterable, Sendable {
        case text, json
    }

    let label: String
    let format: Format
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        Console.err(Self.line(event.level, event.message.description, merged, format: format, at: Date()))
    }

    static func line(
        _ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata, format: Format, at date: Date
    ) -> String {
        let time = date.formatted(.iso8601)
        switch format {
        case .text:
            let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\(textValue($0.value))" }
            return "\(time) \(level.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(message)"
                + (fields.isEmpty ? "" : "  " + fields.joined(separator: " "))
        case .json:
            var object: [String: Any] = ["time": time, "level": level.rawValue, "message": message]
            for (key, value) in metadata where object[key] == nil { object[key] = jsonValue(value) }
            let data =
                (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
                ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    private static func textValue(_ value: Logger.Metadata.Value) -> String {
        let text = value.description
        return text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) || text.isEmpty
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : text
    }

    private static func jsonValue(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible):
            if let number = convertible as? Int { return number }
            return convertible.description
        case .array(let items): return items.map(jsonValue)
        case .dictionary(let entries): return entries.mapValues(jsonValue)
        }
    }
}

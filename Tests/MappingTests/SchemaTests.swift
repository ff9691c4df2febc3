import Foundation
import Testing
import Yams

@testable import Mapping

/// `mappings/schema.json` must describe exactly what the compiler accepts, and every sample
/// mapping must validate against it.
@Suite("Mapping JSON Schema")
struct SchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func schema() throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent("mappings/schema.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func keys(_ schema: [String: Any], _ definition: String?) throws -> Set<String> {
        let node =
            try definition.map {
                try #require(($0 == "" ? schema : (schema["$defs"] as? [String: Any])?[$0]) as? [String: Any])
            }
            ?? schema
        return Set(try #require(node["properties"] as? [String: Any]).keys)
    }

    @Test(
        "the schema's keys are the compiler's keys",
        arguments: [
            ("", Compiler.rootKeys), ("source", Compiler.sourceKeys), ("locale", Compiler.localeKeys),
            ("document", Compiler.documentKeys), ("purchase", Compiler.purchaseKeys), ("line", Compiler.lineKeys),
            ("lookup", Compiler.lookupKeys), ("test", Compiler.testKeys), ("validation", Compiler.validationKeys),
        ])
    func inSync(definition: String, compiled: [String]) throws {
        let schema = try Self.schema()
        if definition == "test" {
            let test = try #require((schema["$defs"] as? [String: Any])?["test"] as? [String: Any])
            let object = try #require((test["anyOf"] as? [[String: Any]])?.last)
            #expect(Set(try #require(object["properties"] as? [String: Any]).keys) == Set(compiled))
            return
        }
        #expect(try Self.keys(schema, definition == "" ? nil : definition) == Set(compiled))
    }

    @Test("every function the compiler knows is in the schema, with its options")
    func functions() throws {
        let keys = try Self.keys(try Self.schema(), "function")
        #expect(Set(Compiler.operators).isSubset(of: keys))
        let options: Set<String> = [
            "pattern", "with", "ignore_case", "key", "default", "then", "else", "decimal_mark", "thousands_separator",
            "format", "by", "round", "both", "separator",
        ]
        #expect(keys == Set(Compiler.operators).union(options))
    }

    static let mappings = ["bank-statement", "daily-sales", "expenses", "payroll", "journal"]

    @Test("every sample mapping validates against the schema", arguments: Self.mappings)
    func samplesValidate(name: String) throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("mappings/\(name).yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text))
        let problems = SchemaValidator(root: try Self.schema()).validate(document)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("the validator is not a rubber stamp")
    func validatorCatches() throws {
        let validator = SchemaValidator(root: try Self.schema())
        let bad: [String: Any] = [
            "version": 1,
            "document": ["kind": "ledger", "date": "x", "lines": [["account": 1, "amount": ["sumn": [1]]]]],
        ]
        let problems = validator.validate(bad)
        #expect(problems.contains { $0.contains("document.kind") })
        #expect(problems.contains { $0.hasPrefix("document.lines[0].amount") })
        #expect(!validator.validate(["version": 1]).isEmpty)
    }
}

/// Enough of JSON Schema for `mappings/schema.json`: type, const, enum, properties, required,
/// additionalProperties, items, min/max items and properties, minimum, pattern, anyOf, $ref.
struct SchemaValidator {
    let root: [String: Any]

    func validate(_ value: Any) -> [String] {
        var problems: [String] = []
        check(value, root, path: "", into: &problems)
        return problems
    }

    private func resolve(_ schema: [String: Any]) -> [String: Any] {
        guard let ref = schema["$ref"] as? String, ref.hasPrefix("#/$defs/") else { return schema }
        let name = String(ref.dropFirst("#/$defs/".count))
        return ((root["$defs"] as? [String: Any])?[name] as? [String: Any]) ?? [:]
    }

    private func typeName(_ value: Any) -> String {
        switch value {
        case is NSNull: "null"
        case is Bool: "boolean"
        case is Int: "integer"
        case is Double, is Float: "number"
        case is String: "string"
        case is [Any]: "array"
        case is [String: Any], is [AnyHashable: Any]: "object"
        default: "unknown"
        }
    }

    private func check(_ value: Any, _ rawSchema: [String: Any], path: String, into problems: inout [String]) {
        let schema = resolve(rawSchema)
        if let anyOf = schema["anyOf"] as? [[String: Any]] {
            let ok = anyOf.contains { option in
                var inner: [String] = []
                check(value, option, path: path, into: &inner)
                return inner.isEmpty
            }
            if !ok { problems.append("\(path): matches none of the allowed forms") }
            return
        }
        let actual = typeName(value)
        if let type = schema["type"] {
            let allowed = (type as? [String]) ?? [(type as? String) ?? ""]
            let fits = allowed.contains(actual) || (actual == "integer" && allowed.contains("number"))
            if !fits {
                problems.append("\(path): is \(actual), expected \(allowed.joined(separator: " or "))")
                return
            }
        }
        if let constant = schema["const"], "\(constant)" != "\(value)" {
            problems.append("\(path): must be \(constant)")
        }
        if let options = schema["enum"] as? [Any] {
            if !options.contains(where: { "\($0)" == "\(value)" || ($0 is NSNull && value is NSNull) }) {
                problems.append("\(path): `\(value)` is not one of \(options)")
            }
        }
        if let pattern = schema["pattern"] as? String, let text = value as? String,
            (try? Regex(pattern).wholeMatch(in: text)) == nil
        {
            problems.append("\(path): does not match \(pattern)")
        }
        if let minimum = schema["minimum"] as? Int, let number = value as? Int, number < minimum {
            problems.append("\(path): below \(minimum)")
        }
        if let array = value as? [Any] {
            if let min = schema["minItems"] as? Int, array.count < min {
                problems.append("\(path): fewer than \(min) items")
            }
            if let max = schema["maxItems"] as? Int, array.count > max {
                problems.append("\(path): more than \(max) items")
            }
            if let items = schema["items"] as? [String: Any] {
                for (i, item) in array.enumerated() { check(item, items, path: "\(path)[\(i)]", into: &problems) }
            }
        }
        if let object = (value as? [String: Any]) ?? (value as? [AnyHashable: Any]).map(stringKeys) {
            if let min = schema["minProperties"] as? Int, object.count < min { problems.append("\(path): empty") }
            for key in (schema["required"] as? [String]) ?? [] where object[key] == nil {
                problems.append("\(path): missing `\(key)`")
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, child) in object {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                if let childSchema = properties[key] as? [String: Any] {
                    check(child, childSchema, path: childPath, into: &problems)
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    check(child, additional, path: childPath, into: &problems)
                } else if schema["additionalProperties"] as? Bool == false {
                    problems.append("\(childPath): unknown key")
                }
            }
        }
    }

    private func stringKeys(_ object: [AnyHashable: Any]) -> [String: Any] {
        Dictionary(uniqueKeysWithValues: object.map { ("\($0.key)", $0.value) })
    }
}

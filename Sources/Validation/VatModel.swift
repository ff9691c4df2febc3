import Foundation
public import LedgerModel
import Yams

/// A target's VAT rules as data: which code (or which VAT ids) a zone, a category and a
/// direction come to, and what each code means.
///
/// Two shapes, one per kind of target:
/// - **codes** (Dinero): a list of VAT codes, each with its direction, region, rate and the
///   zone/category pairs it is the code for (`mappings/vat/dk-dinero.yaml`);
/// - **zones and categories** (Visma.net): VAT ids with their type; zones list the VAT ids
///   that apply to a counterparty; categories list VAT ids and may exclude them
///   (`excludeListedTaxes`). A line's VAT ids are zone ∩ category (zone − category when the
///   category excludes), of the line's direction.
public struct VatModel: Sendable {
    public typealias Shape = VatScheme

    /// One VAT code of a codes model.
    public struct Code: Sendable, Hashable {
        public var code: String
        public var name: String
        public var meaning: String?
        /// nil: either direction (`none`).
        public var direction: VatDirection?
        /// nil: any region.
        public var region: Region?
        /// The VAT on the net amount (a quarter of 25 % for representation: 0.0625).
        public var rate: ExactDecimal
    }

    public struct Zone: Sendable, Hashable {
        public var id: String
        public var description: String?
        /// Codes model: where such a counterparty is.
        public var region: Region?
        /// Zones-and-categories model: the VAT ids that apply to such a counterparty.
        public var vatIds: [String]
    }

    public struct Category: Sendable, Hashable {
        public var id: String
        public var description: String?
        public var vatIds: [String]
        /// The VAT ids listed are the ones that do *not* apply.
        public var excludeListed: Bool
    }

    /// A VAT id of a zones-and-categories model.
    public struct VatId: Sendable, Hashable {
        public var id: String
        public var description: String?
        public var direction: VatDirection
        public var rate: ExactDecimal
    }

    public let name: String
    public let path: String
    public let shape: Shape
    /// By upper-cased code.
    public let codes: [String: Code]
    /// By upper-cased id.
    public let zones: [String: Zone]
    public let categories: [String: Category]
    public let vatIds: [String: VatId]
    /// Codes model: (zone, category, direction) → code, upper-cased ids.
    private let pairs: [PairKey: String]

    struct PairKey: Hashable, Sendable {
        var zone: String
        var category: String
        var direction: VatDirection
    }

    /// What a zone and a category come to in one direction.
    public enum Resolution: Sendable, Equatable {
        /// Codes model: the code to send.
        case code(Code)
        /// Zones-and-categories model: the VAT ids that apply.
        case vatIds([VatId])
        case unknownZone
        case unknownCategory
        /// The pair exists but gives nothing in this direction.
        case nothing
    }

    public func code(_ text: String) -> Code? { codes[text.uppercased()] }

    public func resolve(zone: String, category: String, direction: VatDirection) -> Resolution {
        let zoneKey = zone.uppercased()
        let categoryKey = category.uppercased()
        guard let zone = zones[zoneKey] else { return .unknownZone }
        guard let category = categories[categoryKey] else { return .unknownCategory }
        switch shape {
        case .codes:
            guard let code = pairs[PairKey(zone: zoneKey, category: categoryKey, direction: direction)] else {
                return .nothing
            }
            return .code(codes[code]!)
        case .zonesAndCategories:
            let zoneIds = Set(zone.vatIds.map { $0.uppercased() })
            let categoryIds = Set(category.vatIds.map { $0.uppercased() })
            let applied = category.excludeListed ? zoneIds.subtracting(categoryIds) : zoneIds.intersection(categoryIds)
            // A category that excludes every VAT id of the zone is deliberately "no VAT".
            if category.excludeListed && applied.isEmpty { return .vatIds([]) }
            let found = applied.compactMap { vatIds[$0] }.filter { $0.direction == direction }.sorted { $0.id < $1.id }
            return found.isEmpty ? .nothing : .vatIds(found)
        }
    }

    // MARK: Loading

    /// Reads a VAT model file (YAML or JSON). Throws ``ValidationSetupError`` naming the file and
    /// the entry that is wrong.
    public static func load(path: String) throws(ValidationSetupError) -> VatModel {
        let file: File = try SetupFile.decode(path: path, what: "VAT model")
        return try build(file, path: path)
    }

    /// The built-in model: Dinero's Danish codes (the same as `mappings/vat/dk-dinero.yaml`).
    public static let dineroDenmark: VatModel = {
        do {
            let file: File = try SetupFile.decode(
                text: BuiltInVatModels.dineroDenmark, path: "(built in)", what: "VAT model")
            return try build(file, path: "(built in: mappings/vat/dk-dinero.yaml)")
        } catch {
            preconditionFailure("the built-in VAT model does not load: \(error)")
        }
    }()

    struct File: Decodable {
        var version: Int
        var model: Shape
        var name: String?
        var zones: [ZoneEntry]
        var categories: [CategoryEntry]
        var codes: [CodeEntry]?
        var vats: [VatEntry]?

        struct ZoneEntry: Decodable {
            var id: String
            var description: String?
            var region: Region?
            var vats: [String]?
        }

        struct CategoryEntry: Decodable {
            var id: String
            var description: String?
            var vats: [String]?
            var excludeListed: Bool?

            enum CodingKeys: String, CodingKey {
                case id, description, vats
                case excludeListed = "exclude_listed"
            }
        }

        struct CodeEntry: Decodable {
            var code: String
            var name: String
            var meaning: String?
            var direction: VatDirection?
            var region: Region?
            var rate: ExactDecimal
            /// The zone/category pairs this code is for, as `zone/category`.
            var `for`: [String]?
        }

        struct VatEntry: Decodable {
            var id: String
            var description: String?
            var type: VatDirection
            var rate: ExactDecimal
        }
    }

    static func build(_ file: File, path: String) throws(ValidationSetupError) -> VatModel {
        func fail(_ message: String, _ hint: String? = nil) -> ValidationSetupError {
            ValidationSetupError(.error(ValidationCode.setupFile, message, hint: hint, at: SourceLocation(file: path)))
        }
        guard file.version == 1 else {
            throw fail("unsupported VAT model version \(file.version)", "write `version: 1`")
        }
        var zones: [String: Zone] = [:]
        for entry in file.zones {
            zones[entry.id.uppercased()] = Zone(
                id: entry.id, description: entry.description, region: entry.region, vatIds: entry.vats ?? [])
        }
        var categories: [String: Category] = [:]
        for entry in file.categories {
            categories[entry.id.uppercased()] = Category(
                id: entry.id, description: entry.description, vatIds: entry.vats ?? [],
                excludeListed: entry.excludeListed ?? false)
        }
        var codes: [String: Code] = [:]
        var pairs: [PairKey: String] = [:]
        for entry in file.codes ?? [] {
            let key = entry.code.uppercased()
            guard codes[key] == nil else { throw fail("VAT code \(entry.code) is listed twice") }
            codes[key] = Code(
                code: entry.code, name: entry.name, meaning: entry.meaning, direction: entry.direction,
                region: entry.region, rate: entry.rate)
            for pair in entry.for ?? [] {
                let parts = pair.split(separator: "/").map { String($0).trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, zones[parts[0].uppercased()] != nil, categories[parts[1].uppercased()] != nil
                else {
                    throw fail(
                        "VAT code \(entry.code): `\(pair)` is not a known zone/category pair",
                        "list the zone under `zones:` and the category under `categories:`")
                }
                for direction in entry.direction.map({ [$0] }) ?? VatDirection.allCases {
                    let pairKey = PairKey(
                        zone: parts[0].uppercased(), category: parts[1].uppercased(), direction: direction)
                    if let other = pairs[pairKey] {
                        throw fail(
                            "zone/category \(pair) (\(direction.rawValue)) is the pair of both \(codes[other]!.code) and \(entry.code)",
                            "a pair must give one code; split the category")
                    }
                    pairs[pairKey] = key
                }
            }
        }
        var vatIds: [String: VatId] = [:]
        for entry in file.vats ?? [] {
            vatIds[entry.id.uppercased()] = VatId(
                id: entry.id, description: entry.description, direction: entry.type, rate: entry.rate)
        }
        if file.model == .zonesAndCategories {
            for zone in zones.values {
                for id in zone.vatIds where vatIds[id.uppercased()] == nil {
                    throw fail("zone \(zone.id) lists VAT id \(id), which is not under `vats:`")
                }
            }
        }
        return VatModel(
            name: file.name ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent, path: path,
            shape: file.model, codes: codes, zones: zones, categories: categories, vatIds: vatIds, pairs: pairs)
    }
}

/// A VAT model or reference-data file that cannot be used.
public struct ValidationSetupError: Error, Sendable, CustomStringConvertible {
    public var diagnostic: Diagnostic
    public init(_ diagnostic: Diagnostic) { self.diagnostic = diagnostic }
    public var description: String { diagnostic.description }
}

/// Reading the setup files (YAML, of which JSON is a subset) with errors that name the entry.
enum SetupFile {
    static func decode<T: Decodable>(path: String, what: String) throws(ValidationSetupError) -> T {
        let location = SourceLocation(file: path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationSetupError(
                .error(ValidationCode.setupFile, "cannot read the \(what) file", hint: "check the path", at: location))
        }
        return try decode(text: String(decoding: data, as: UTF8.self), path: path, what: what)
    }

    static func decode<T: Decodable>(text: String, path: String, what: String) throws(ValidationSetupError) -> T {
        let location = SourceLocation(file: path)
        do {
            return try YAMLDecoder().decode(T.self, from: text)
        } catch let error as DecodingError {
            throw ValidationSetupError(
                .error(ValidationCode.setupFile, "the \(what) file is not valid: \(describe(error))", at: location))
        } catch {
            throw ValidationSetupError(
                .error(ValidationCode.setupFile, "the \(what) file is not valid YAML or JSON: \(error)", at: location))
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : " at \(keys.hasPrefix(".") ? String(keys.dropFirst()) : keys)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "`\(key.stringValue)` is missing\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(context.debugDescription)\(path(context))"
        @unknown default: return "\(error)"
        }
    }
}

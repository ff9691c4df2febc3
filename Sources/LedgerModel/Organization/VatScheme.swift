/// How a target names a line's VAT: by a code per line (Dinero: `I25`, `U25`), or by the
/// counterparty's zone and the line's category, whose VAT ids meet (Visma.net). A VAT model for
/// validation is of one scheme, and suits only targets of that scheme.
public enum VatScheme: String, Sendable, Hashable, Codable {
    case codes
    case zonesAndCategories = "zones_and_categories"

    /// For messages.
    public var name: String {
        switch self {
        case .codes: "VAT codes"
        case .zonesAndCategories: "VAT zones and categories"
        }
    }
}

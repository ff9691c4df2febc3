import Foundation
import LedgerModel
import Validation

/// An organization's reference data (chart, deposit accounts, VAT codes, years) kept on disk
/// for a while, so runs close together spend the calls that read it once. It wraps
/// ``Targets/Target/referenceData()`` visibly: `--refresh-chart` reads it again. The file is a
/// reference snapshot, so `plan --reference` takes it too.
struct ReferenceCache {
    let path: String

    /// The cached copy, when there is one younger than `maxAge` seconds.
    func load(maxAge: TimeInterval) -> ReferenceData? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let modified = attributes[.modificationDate] as? Date, Date().timeIntervalSince(modified) < maxAge
        else { return nil }
        return try? ReferenceData.load(path: path)
    }

    /// Best effort: a cache that cannot be written is read from the target next time.
    func save(_ reference: ReferenceData) {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? reference.snapshot().write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

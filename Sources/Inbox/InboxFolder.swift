import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An inbox folder and its lifecycle:
///
/// ```
/// INBOX/
///   ledgerlift.yaml        the configuration
///   sales-2026-11-21.csv   dropped by an accountant; taken once it is complete
///   processing/            a file being booked (left here by a run that stopped; taken up again first)
///   done/                  booked files, each with its report (and its rejected rows, to fix and drop back in)
///   failed/                files that could not be used, each with <name>.error.txt saying what to do
///   .ledgerlift/           state files, the lock, the sandbox's books
/// ```
///
/// Files are moved with `rename(2)`, so a file is in exactly one place at any moment.
public struct InboxFolder: Sendable {
    public let root: String
    public var processing: String { root + "/processing" }
    public var done: String { root + "/done" }
    public var failed: String { root + "/failed" }
    /// State files, the inbox lock, caches.
    public var work: String { root + "/.ledgerlift" }
    public let configName: String

    public init(root: String, configName: String = "ledgerlift.yaml") {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
        self.configName = configName
    }

    /// Creates the sub-folders (processing, done, failed, .ledgerlift) when missing.
    public func prepare() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InboxError("\(root) is not a folder; create it, or name the inbox folder")
        }
        for folder in [processing, done, failed] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        try FileManager.default.createDirectory(
            atPath: work, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// A file in a folder as seen at one moment.
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var size: Int64
        /// Modification time in nanoseconds since 1970.
        public var modified: Int64
    }

    /// The files waiting in the inbox itself: regular files, not hidden, not the configuration,
    /// and not still being written under a temporary name (`*.part`, `*.tmp`, `*.partial`,
    /// `*.crdownload`, `*~`). Sub-folders are never looked into (keep receipts there).
    public func waiting() -> [Entry] {
        entries(in: root).filter { !Self.isTemporary($0.name) && $0.name != configName }
    }

    /// Files a stopped run left in `processing/`.
    public func leftInProcessing() -> [Entry] {
        entries(in: processing)
    }

    public static func isTemporary(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasPrefix(".") || lower.hasSuffix("~")
            || [".part", ".tmp", ".partial", ".crdownload", ".swp"].contains { lower.hasSuffix($0) }
    }

    private func entries(in folder: String) -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var entries: [Entry] = []
        for name in names where !name.hasPrefix(".") {
            var info = stat()
            guard lstat(folder + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            #if canImport(Darwin)
                let modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
            #else
                let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            #endif
            entries.append(Entry(name: name, size: Int64(info.st_size), modified: modified))
        }
        return entries.sorted { ($0.modified, $0.name) < ($1.modified, $1.name) }
    }

    /// Takes a waiting file: moves it into `processing/` in one `rename(2)`. Nil when it is gone
    /// (another process took it, or its owner removed it).
    public func claim(_ name: String) throws -> String? {
        let target = processing + "/" + name
        guard !FileManager.default.fileExists(atPath: target) else {
            throw InboxError(
                "processing/\(name) is already there (a file of that name is being booked); \(name) waits until it is done"
            )
        }
        guard rename(root + "/" + name, target) == 0 else {
            if errno == ENOENT { return nil }
            throw InboxError("cannot move \(name) into processing/: \(String(cString: strerror(errno)))")
        }
        return target
    }

    /// Where a finished file goes.
    public enum Outcome: Sendable {
        case done, failed

        var folderName: String { self == .done ? "done" : "failed" }
    }

    /// Files written beside a finished file, named from its stem: `report.csv`, `error.txt`, ….
    public struct Companion: Sendable {
        /// What follows the stem and a dot: `report.csv`, `rejected.csv`, `error.txt`.
        public var suffix: String
        public var write: @Sendable (_ path: String) throws -> Void

        public init(suffix: String, write: @escaping @Sendable (_ path: String) throws -> Void) {
            self.suffix = suffix
            self.write = write
        }
    }

    /// Moves a file from `processing/` to `done/` or `failed/` with its companions beside it. A
    /// name already taken there gets `-2`, `-3`, …, so nothing is overwritten. The companions are
    /// written first and the file moved last: a run that stops in between finds the file still
    /// in `processing/` and does it again. Answers the file's new path.
    public func finish(_ name: String, as outcome: Outcome, companions: [Companion]) throws -> String {
        let folder = outcome == .done ? done : failed
        let (stem, fileExtension) = Self.split(name)
        let suffixes = [fileExtension.isEmpty ? "" : "." + fileExtension] + companions.map { "." + $0.suffix }
        var chosen = stem
        var number = 1
        while suffixes.contains(where: { FileManager.default.fileExists(atPath: folder + "/" + chosen + $0) }) {
            number += 1
            chosen = "\(stem)-\(number)"
        }
        for companion in companions {
            let path = folder + "/" + chosen + "." + companion.suffix
            let temporary = folder + "/." + chosen + "." + companion.suffix + ".tmp"
            try companion.write(temporary)
            guard rename(temporary, path) == 0 else {
                throw InboxError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
        }
        let destination = folder + "/" + chosen + suffixes[0]
        guard rename(processing + "/" + name, destination) == 0 else {
            throw InboxError(
                "cannot move processing/\(name) to \(outcome.folderName)/: \(String(cString: strerror(errno)))")
        }
        return destination
    }

    /// `sales.2026.csv` → (`sales.2026`, `csv`); `README` → (`README`, ``).
    public static func split(_ name: String) -> (stem: String, fileExtension: String) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return (name, "") }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }
}

/// Decides when a waiting file is complete: its size and modification time have not changed
/// for `settle` seconds of the injected clock. A file moved in whole (renamed from `*.part`)
/// reports itself through `arrivedWhole`, and is taken at once.
public struct SettleTracker: Sendable {
    public let settle: Double
    private var seen: [String: (entry: InboxFolder.Entry, since: Double)] = [:]
    private var whole: Set<String> = []

    public init(settle: Double) {
        self.settle = settle
    }

    /// A change notice said the file was renamed into the folder complete.
    public mutating func arrivedWhole(_ name: String) {
        whole.insert(name)
    }

    /// Looks at the waiting files at `now` (seconds of any monotonic clock). Answers the ones
    /// complete, in arrival order, and the time at which the next one may become complete.
    ///
    /// `wallClock` (seconds since 1970), when given, lets a file seen for the first time count
    /// the time since its last modification as time already waited: a file that sat in the
    /// inbox all night is taken by the morning's cron run at once, while one still being written
    /// (its modification time moving) waits.
    public mutating func observe(
        _ entries: [InboxFolder.Entry], now: Double, wallClock: Double? = nil
    ) -> (ready: [String], nextCheck: Double?) {
        var ready: [String] = []
        var next: Double?
        var current: [String: (entry: InboxFolder.Entry, since: Double)] = [:]
        for entry in entries {
            let since: Double
            if let previous = seen[entry.name], previous.entry == entry {
                since = previous.since
            } else if seen[entry.name] == nil, let wallClock {
                since = now - max(0, wallClock - Double(entry.modified) / 1e9)
            } else {
                since = now
                // A changed file is no longer known to be whole.
                if seen[entry.name] != nil { whole.remove(entry.name) }
            }
            current[entry.name] = (entry, since)
            if whole.contains(entry.name) || now - since >= settle {
                ready.append(entry.name)
            } else {
                next = min(next ?? .infinity, since + settle)
            }
        }
        seen = current
        whole.formIntersection(current.keys)
        return (ready, next)
    }

    /// Forgets a file (taken, or moved away).
    public mutating func forget(_ name: String) {
        seen[name] = nil
        whole.remove(name)
    }
}

public struct InboxError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

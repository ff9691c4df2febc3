import Foundation
import Testing

@testable import Inbox

@Suite("Inbox folder lifecycle")
struct InboxFolderTests {
    /// A fresh inbox in a temporary folder.
    static func inbox() throws -> InboxFolder {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("inbox-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let inbox = InboxFolder(root: root)
        try inbox.prepare()
        return inbox
    }

    static func write(_ path: String, _ text: String = "a;b\n1;2\n") throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test("only complete, visible files in the inbox itself are waiting")
    func waiting() throws {
        let inbox = try Self.inbox()
        defer { try? FileManager.default.removeItem(atPath: inbox.root) }
        for name in ["sales.csv", "bank.csv.part", "x.tmp", ".hidden.csv", "ledgerlift.yaml", "draft.csv~"] {
            try Self.write(inbox.root + "/" + name)
        }
        try FileManager.default.createDirectory(atPath: inbox.root + "/receipts", withIntermediateDirectories: true)
        try Self.write(inbox.root + "/receipts/r.csv")
        #expect(inbox.waiting().map(\.name) == ["sales.csv"])
    }

    @Test("claim moves a file into processing/; a file gone already is nil; a name in processing waits")
    func claim() throws {
        let inbox = try Self.inbox()
        defer { try? FileManager.default.removeItem(atPath: inbox.root) }
        try Self.write(inbox.root + "/a.csv")
        #expect(try inbox.claim("a.csv") == inbox.processing + "/a.csv")
        #expect(!FileManager.default.fileExists(atPath: inbox.root + "/a.csv"))
        #expect(inbox.leftInProcessing().map(\.name) == ["a.csv"])
        #expect(try inbox.claim("gone.csv") == nil)
        try Self.write(inbox.root + "/a.csv", "newer")
        #expect(throws: InboxError.self) { try inbox.claim("a.csv") }
        #expect(FileManager.default.fileExists(atPath: inbox.root + "/a.csv"))
    }

    @Test("finish writes the companions and never overwrites an earlier file of the same name")
    func finish() throws {
        let inbox = try Self.inbox()
        defer { try? FileManager.default.removeItem(atPath: inbox.root) }
        var moved: [String] = []
        for round in 1...3 {
            try Self.write(inbox.root + "/sales.csv", "round \(round)")
            _ = try inbox.claim("sales.csv")
            let report = InboxFolder.Companion(suffix: "report.csv") { path in
                try Data("report \(round)".utf8).write(to: URL(fileURLWithPath: path))
            }
            moved.append(try inbox.finish("sales.csv", as: .done, companions: [report]))
        }
        #expect(moved == [inbox.done + "/sales.csv", inbox.done + "/sales-2.csv", inbox.done + "/sales-3.csv"])
        #expect(try String(contentsOfFile: inbox.done + "/sales-2.csv", encoding: .utf8) == "round 2")
        #expect(try String(contentsOfFile: inbox.done + "/sales-2.report.csv", encoding: .utf8) == "report 2")
        #expect(inbox.leftInProcessing().isEmpty)
        // A companion's name taken is as good as the file's name taken.
        try Self.write(inbox.failed + "/bad.error.txt", "older")
        try Self.write(inbox.root + "/bad.csv")
        _ = try inbox.claim("bad.csv")
        let error = InboxFolder.Companion(suffix: "error.txt") { path in
            try Data("newer".utf8).write(to: URL(fileURLWithPath: path))
        }
        #expect(try inbox.finish("bad.csv", as: .failed, companions: [error]) == inbox.failed + "/bad-2.csv")
        #expect(try String(contentsOfFile: inbox.failed + "/bad.error.txt", encoding: .utf8) == "older")
    }

    @Test("a companion that cannot be written leaves the file in processing/")
    func companionFails() throws {
        let inbox = try Self.inbox()
        defer { try? FileManager.default.removeItem(atPath: inbox.root) }
        try Self.write(inbox.root + "/a.csv")
        _ = try inbox.claim("a.csv")
        struct Broken: Error {}
        let broken = InboxFolder.Companion(suffix: "report.csv") { _ in throw Broken() }
        #expect(throws: Broken.self) { try inbox.finish("a.csv", as: .done, companions: [broken]) }
        #expect(inbox.leftInProcessing().map(\.name) == ["a.csv"])
    }
}

@Suite("When a file is complete")
struct SettleTrackerTests {
    typealias Entry = InboxFolder.Entry

    @Test("a file is taken only after its size and time have stood still for the settle time")
    func settles() {
        var tracker = SettleTracker(settle: 5)
        let growing1 = Entry(name: "a.csv", size: 100, modified: 1)
        let growing2 = Entry(name: "a.csv", size: 200, modified: 2)
        var (ready, next) = tracker.observe([growing1], now: 0)
        #expect(ready.isEmpty)
        #expect(next == 5)
        (ready, next) = tracker.observe([growing2], now: 4)
        #expect(ready.isEmpty)
        #expect(next == 9)
        (ready, next) = tracker.observe([growing2], now: 8.9)
        #expect(ready.isEmpty)
        (ready, next) = tracker.observe([growing2], now: 9)
        #expect(ready == ["a.csv"])
        #expect(next == nil)
    }

    @Test("a file last modified longer ago than the settle time is taken when first seen; a fresh one waits")
    func oldFiles() {
        var tracker = SettleTracker(settle: 5)
        let wallClock = 1_000_000.0
        let overnight = Entry(name: "old.csv", size: 10, modified: Int64((wallClock - 3600) * 1e9))
        let fresh = Entry(name: "new.csv", size: 10, modified: Int64((wallClock - 1) * 1e9))
        let (ready, next) = tracker.observe([overnight, fresh], now: 100, wallClock: wallClock)
        #expect(ready == ["old.csv"])
        #expect(next == 104)
        // Seen again unchanged at the right time: taken.
        #expect(tracker.observe([fresh], now: 104, wallClock: wallClock + 4).ready == ["new.csv"])
    }

    @Test("a same-size rewrite (new modification time) starts the wait again")
    func touched() {
        var tracker = SettleTracker(settle: 5)
        _ = tracker.observe([Entry(name: "a.csv", size: 100, modified: 1)], now: 0)
        let (ready, next) = tracker.observe([Entry(name: "a.csv", size: 100, modified: 2)], now: 6)
        #expect(ready.isEmpty)
        #expect(next == 11)
    }

    @Test("a file renamed into the folder whole is taken at once, until it changes")
    func arrivedWhole() {
        var tracker = SettleTracker(settle: 60)
        tracker.arrivedWhole("b.csv")
        let entry = Entry(name: "b.csv", size: 10, modified: 1)
        #expect(tracker.observe([entry], now: 0).ready == ["b.csv"])
        // Written to after the rename: no longer known whole.
        let (ready, next) = tracker.observe([Entry(name: "b.csv", size: 20, modified: 2)], now: 1)
        #expect(ready.isEmpty)
        #expect(next == 61)
    }

    @Test("with no settle time a file is taken when first seen; a forgotten file starts afresh")
    func immediate() {
        var tracker = SettleTracker(settle: 0)
        let entry = Entry(name: "c.csv", size: 1, modified: 1)
        #expect(tracker.observe([entry], now: 0).ready == ["c.csv"])
        tracker.forget("c.csv")
        var slow = SettleTracker(settle: 3)
        _ = slow.observe([entry], now: 0)
        slow.forget("c.csv")
        #expect(slow.observe([entry], now: 2).ready.isEmpty)
    }
}

import Foundation
import LedgerModel
import Testing

@testable import Readers

@Suite("Files that cannot be read")
struct FileInputTests {
    @Test("a missing file")
    func missing() {
        let error = readError("/nonexistent/ledgerlift/none.csv")
        #expect(error?.diagnostic.code == ReaderCode.fileNotFound)
        #expect(
            error?.description
                == "/nonexistent/ledgerlift/none.csv: error: [R001] no such file; check the path and the working directory"
        )
    }

    @Test("a directory")
    func directory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let error = readError(directory.url.path)
        #expect(error?.diagnostic.code == ReaderCode.notARegularFile)
        #expect(error?.diagnostic.hint?.contains("ledgerlift watch") == true)
    }

    @Test("an empty file")
    func empty() {
        #expect(readError(Fixture.path("csv/empty.csv"))?.diagnostic.code == ReaderCode.emptyFile)
    }

    @Test("a file without read permission")
    func unreadable() throws {
        guard getuid() != 0 else { return }  // root reads everything
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = try directory.write("secret.csv", Array("a\n1\n".utf8))
        chmod(path, 0)
        #expect(readError(path)?.diagnostic.code == ReaderCode.cannotOpen)
    }

    @Test("a file that grows while it is read", arguments: [SourceFormat.csv, .jsonLines, .xml])
    func changedWhileReading(format: SourceFormat) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let (name, header, row, footer): (String, String, (Int) -> String, String) =
            switch format {
            case .csv: ("f.csv", "a;b\n", { "\($0);some text to make the file larger than one chunk\n" }, "")
            case .jsonLines, .json: ("f.jsonl", "", { "{\"a\": \($0), \"b\": \"some text to make it larger\"}\n" }, "")
            case .xml: ("f.xml", "<r>\n", { "<t><a>\($0)</a><b>some text to make it larger</b></t>\n" }, "</r>\n")
            }
        var text = header
        for i in 0..<20_000 { text += row(i) }
        text += footer
        let path = try directory.write(name, Array(text.utf8))
        let reader = try Readers.open(
            path, options: ReaderOptions(recordPath: format == .xml ? "r/t" : nil, chunkSize: 4096))
        _ = try reader.next()
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(row(99).utf8))
        try handle.close()
        var caught: ReadError?
        do {
            while try reader.next() != nil {}
        } catch let error as ReadError {
            caught = error
        }
        #expect(caught?.diagnostic.code == ReaderCode.fileChanged)
        #expect(caught?.diagnostic.hint?.contains("wait until") == true)
    }

    @Test(
        "format detection by extension and by content",
        arguments: [
            ("x.csv", "a,b\n", SourceFormat.csv), ("x.json", "[{}]", .json),
            ("x.json", "{\"a\":1}\n{\"a\":2}\n", .jsonLines),
            ("x.ndjson", "{\"a\":1}", .jsonLines), ("x.xml", "<a/>", .xml), ("x.dat", "  <a/>", .xml),
            ("x.dat", "[1]", .json),
            ("x.dat", "a;b", .csv), ("x", "\u{FEFF}{\"a\":1}\n{\"a\":2}\n", .jsonLines),
        ])
    func formatDetection(name: String, content: String, expected: SourceFormat) {
        #expect(Readers.detectFormat(path: "dir.v2/" + name, sample: Array(content.utf8)) == expected)
    }
}

import Foundation
import Testing

@testable import LedgerModel

@Suite("Calendar dates")
struct DateTests {
    @Test(
        "formats",
        arguments: [
            ("dd-mm-yyyy", "01-03-2026", "2026-03-01"), ("dd-mm-yyyy", "1-3-2026", "2026-03-01"),
            ("dd.mm.yyyy", "31.12.2025", "2025-12-31"),
            ("yyyy-mm-dd", "2026-02-28", "2026-02-28"), ("d/m/yy", "5/7/26", "2026-07-05"),
            ("%d-%m-%Y", "09-11-2026", "2026-11-09"),
            ("iso", "2026-03-01T10:15:00Z", "2026-03-01"), ("iso", "2026-03-01", "2026-03-01"),
            ("yyyymmdd", "20260301", "2026-03-01"),
            ("DD-MM-YYYY", " 02-03-2026 ", "2026-03-02"), ("mm/dd/yyyy", "12/31/2026", "2026-12-31"),
            ("yy-mm-dd", "99-01-01", "1999-01-01"),
            // Month names, as hledger's tests and Danish exports write them.
            ("%b %d, %Y", "Jul 29, 2012", "2012-07-29"), ("mmm d, yyyy", "jul 9, 2012", "2012-07-09"),
            ("d. mmm yyyy", "29. jul. 2012", "2012-07-29"), ("d. mmm. yyyy", "29. jul. 2012", "2012-07-29"),
            ("dd-mmm-yyyy", "03-OKT-2026", "2026-10-03"), ("d mmmm yyyy", "3 september 2026", "2026-09-03"),
            ("d mmmm yyyy", "3 sept 2026", "2026-09-03"), ("%d %B %Y", "24 Dezember 2026", "2026-12-24"),
            ("dd-mmm-yy", "01-maj-26", "2026-05-01"), ("%e %h %Y", "1 Mar 2026", "2026-03-01"),
            // %F and %T, and ISO dates with a zone.
            ("%F", "2026-03-01", "2026-03-01"), ("%F %T", "2026-03-01 10:15:00", "2026-03-01"),
            ("dd-mm-yyyy %T", "01-03-2026 9:05", "2026-03-01"),
            ("iso", "2017-04-01+02:00", "2017-04-01"), ("iso", "2017-04-01Z", "2017-04-01"),
            ("iso", "2017-04-01-05:00", "2017-04-01"),
        ])
    func parse(pattern: String, text: String, expected: String) throws {
        let format = try DateFormat(pattern)
        #expect(format.parse(text)?.description == expected)
    }

    @Test(
        "text that is not a date in the format",
        arguments: [
            ("dd-mm-yyyy", "2026-03-01"), ("dd-mm-yyyy", "30-02-2026"), ("dd-mm-yyyy", "01-03-2026 10:00"),
            ("dd-mm-yyyy", ""),
            ("yyyy-mm-dd", "2026-13-01"), ("iso", "2026-03-01X"), ("dd-mm-yyyy", "29-02-2025"),
            ("dd-mmm-yyyy", "03-ju-2026"), ("dd-mmm-yyyy", "03-jux-2026"), ("dd-mmm-yyyy", "03-10-2026"),
            ("%F %T", "2026-03-01 10"), ("%F %T", "2026-03-01"),
        ])
    func reject(pattern: String, text: String) throws {
        #expect(try DateFormat(pattern).parse(text) == nil)
    }

    @Test(
        "patterns that cannot work are refused with a reason",
        arguments: ["dd-mm", "dd-mmmmm-yyyy", "%q %d %Y", "dd-mm-yyy", "qq", "mmm yyyy"])
    func badPatterns(pattern: String) {
        #expect(throws: DateFormat.PatternError.self) { try DateFormat(pattern) }
    }

    @Test("a format's own copy is the same format", arguments: ["dd-mm-yyyy", "%Y/%m/%d", "iso", "d.m.yy"])
    func ownCopy(pattern: String) throws {
        let format = try DateFormat(pattern)
        let copy = format.ownCopy()
        #expect(copy == format && copy.description == pattern)
        for text in ["01-03-2026", "2026/03/01", "2026-03-01T12:00", "1.3.26", "31-02-2026", ""] {
            #expect(copy.parse(text) == format.parse(text), "\(text)")
        }
    }

    @Test(
        "a date read at full width is the date read part by part",
        arguments: ["dd-mm-yyyy", "yyyymmdd", "iso", "mm/dd/yyyy", "%Y-%m-%d", "dd. mm. yyyy", "yyyy - mm - dd"])
    func fullWidthAgreesWithParts(pattern: String) throws {
        let format = try DateFormat(pattern)
        // Texts near the full width from digits and separators, and real dates written out.
        let alphabet = Array("0123456789-./ T".utf8)
        var random = Seeded(0x9E37_79B9_7F4A_7C15)
        func next() -> Int { random.next() }
        var (fast, agreed) = (0, 0)
        for n in 0..<40_000 {
            var text: [UInt8]
            if n % 2 == 0 {
                text = (0..<(8 + next() % 5)).map { _ in alphabet[next() % alphabet.count] }
            } else {
                let date = LocalDate(dayNumber: next() % 40_000 - 5_000)
                let full = String(format: "%02d", date.day)
                let text2 = pattern.replacingOccurrences(of: "dd", with: full)
                    .replacingOccurrences(of: "d.", with: "\(date.day).")
                    .replacingOccurrences(of: "mm", with: String(format: "%02d", date.month))
                    .replacingOccurrences(of: "m.", with: "\(date.month).")
                    .replacingOccurrences(of: "yyyy", with: String(date.year))
                    .replacingOccurrences(of: "yy", with: String(format: "%02d", date.year % 100))
                    .replacingOccurrences(of: "%Y", with: String(date.year))
                    .replacingOccurrences(of: "%m", with: String(format: "%02d", date.month))
                    .replacingOccurrences(of: "%d", with: full)
                text = Array((pattern == "iso" ? date.description + (n % 4 == 1 ? "T10:00" : "") : text2).utf8)
                // Sometimes a digit or separator changed, to land just beside a date.
                if n % 3 == 0 { text[next() % text.count] = alphabet[next() % alphabet.count] }
            }
            text.withUnsafeBufferPointer { bytes in
                let byParts = format.parseByParts(bytes)
                if let layout = format.layout, bytes.count == layout.width, let full = layout.parse(bytes) {
                    fast += 1
                    if full == byParts { agreed += 1 }
                }
                #expect(format.parse(bytes) == byParts, "\(String(decoding: text, as: UTF8.self))")
            }
        }
        #expect(fast > 2_000 && agreed == fast, "\(fast) dates read at full width")
    }

    @Test("a string's own copy is equal, in storage of its own when it has storage")
    func stringOwnCopy() {
        for text in ["", "5500", "Dankort-køb Netto Østerbro 1177 18.04", String(repeating: "æ", count: 100)] {
            let copy = text.ownCopy()
            #expect(copy == text && Array(copy.utf8) == Array(text.utf8))
            var original = text
            var mine = copy
            let shared = original.withUTF8 { a in mine.withUTF8 { b in a.baseAddress == b.baseAddress } }
            // Up to 15 bytes are stored inline, so there is no storage to share.
            #expect(!shared || text.utf8.count <= 15, "\(text)")
        }
    }

    @Test("leap years and day numbers")
    func calendar() throws {
        #expect(LocalDate(year: 2024, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 2100, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2000, month: 2, day: 29) != nil)
        let date = try #require(LocalDate(iso: "2026-03-01"))
        #expect(date.dayNumber == 20_513)
        #expect(LocalDate(dayNumber: date.dayNumber) == date)
        #expect(date.adding(days: -1).description == "2026-02-28")
        #expect(LocalDate(dayNumber: 0).description == "1970-01-01")
        #expect(LocalDate(iso: "2026-3-1") == nil)
    }
}

/// A date format compiled once and applied to UTF-8 bytes.
///
/// Patterns use `yyyy` (four-digit year), `yy` (two digits: 00–69 → 2000s, 70–99 → 1900s),
/// `mm`/`m` and `dd`/`d` (one or two digits), `mmm` or `mmmm` (the month's name, full or cut
/// short, in English, Danish, Norwegian, Swedish or German, any case, a `.` after it allowed:
/// `Jul`, `july`, `jul.`, `okt`, `Dezember`), and literal separators. strftime spellings are
/// accepted too: `%Y %y %m %d %-m %-d %e`, `%b %B %h` (the month's name), `%F` (`%Y-%m-%d`)
/// and `%T` (a time, `10:15` or `10:15:00`, read and not kept). `iso` means `yyyy-mm-dd`,
/// ignoring a time or a zone that follows (`2026-03-01T10:15:00Z`, `2017-04-01+02:00`).
public struct DateFormat: Sendable, Hashable, CustomStringConvertible {
    enum Token: Sendable, Hashable {
        case year4, year2, month, day
        /// The month's name (``MonthNames``).
        case monthName
        /// A time of day, `hh:mm` or `hh:mm:ss`, read and not kept.
        case time
        case literal(UInt8)
    }

    /// The compiled pattern, in one object: a format is two references, whatever it holds, so
    /// binding one out of a compiled expression stays cheap.
    private final class Compiled: Sendable {
        let tokens: [Token]
        /// Ignore anything after the date (a time).
        let ignoresRest: Bool
        /// Where each part is in a date written at full width; nil with a two-digit year.
        let layout: FullWidth?

        init(_ tokens: [Token], ignoresRest: Bool) {
            self.tokens = tokens
            self.ignoresRest = ignoresRest
            layout = FullWidth(tokens)
        }
    }

    private let compiled: Compiled
    public let description: String

    var tokens: [Token] { compiled.tokens }
    var ignoresRest: Bool { compiled.ignoresRest }
    var layout: FullWidth? { compiled.layout }

    public struct PatternError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    private init(tokens: [Token], ignoresRest: Bool, description: String) {
        compiled = Compiled(tokens, ignoresRest: ignoresRest)
        self.description = description
    }

    /// The same format in storage of its own: a thread that parses dates all day with its own
    /// copy counts no references on storage other threads share.
    public func ownCopy() -> DateFormat {
        DateFormat(
            tokens: tokens.map { $0 }, ignoresRest: ignoresRest, description: description.ownCopy())
    }

    public init(_ pattern: String) throws {
        description = pattern
        if pattern.lowercased() == "iso" {
            compiled = Compiled(
                [.year4, .literal(UInt8(ascii: "-")), .month, .literal(UInt8(ascii: "-")), .day], ignoresRest: true)
            return
        }
        var tokens: [Token] = []
        let bytes = Array(pattern.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            func run(_ letter: UInt8) -> Int {
                var n = 0
                while i + n < bytes.count, bytes[i + n] | 0x20 == letter { n += 1 }
                return n
            }
            if b == UInt8(ascii: "%"), i + 1 < bytes.count {
                var j = i + 1
                if bytes[j] == UInt8(ascii: "-") { j += 1 }
                guard j < bytes.count else { throw PatternError(description: "`\(pattern)` ends in the middle of %") }
                switch bytes[j] {
                case UInt8(ascii: "Y"): tokens.append(.year4)
                case UInt8(ascii: "y"): tokens.append(.year2)
                case UInt8(ascii: "m"): tokens.append(.month)
                case UInt8(ascii: "d"), UInt8(ascii: "e"): tokens.append(.day)
                case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "h"): tokens.append(.monthName)
                case UInt8(ascii: "F"):
                    tokens += [.year4, .literal(UInt8(ascii: "-")), .month, .literal(UInt8(ascii: "-")), .day]
                case UInt8(ascii: "T"): tokens.append(.time)
                default:
                    throw PatternError(
                        description:
                            "`\(pattern)`: %\(Character(Unicode.Scalar(bytes[j]))) is not supported; use %Y %y %m %d %b %F %T"
                    )
                }
                i = j + 1
            } else if b | 0x20 == UInt8(ascii: "y") {
                let n = run(UInt8(ascii: "y"))
                guard n == 4 || n == 2 else {
                    throw PatternError(description: "`\(pattern)`: write the year as yyyy or yy")
                }
                tokens.append(n == 4 ? .year4 : .year2)
                i += n
            } else if b | 0x20 == UInt8(ascii: "m") {
                let n = run(UInt8(ascii: "m"))
                guard n <= 4 else {
                    throw PatternError(description: "`\(pattern)`: write the month as mm, or mmm for its name")
                }
                tokens.append(n <= 2 ? .month : .monthName)
                i += n
            } else if b | 0x20 == UInt8(ascii: "d") {
                let n = run(UInt8(ascii: "d"))
                guard n <= 2 else { throw PatternError(description: "`\(pattern)`: write the day as dd or d") }
                tokens.append(.day)
                i += n
            } else if (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) {
                throw PatternError(
                    description:
                        "`\(pattern)`: `\(Character(Unicode.Scalar(b)))` is not a date part; use yyyy, yy, mm, mmm, dd")
            } else {
                tokens.append(.literal(b))
                i += 1
            }
        }
        guard tokens.contains(.day), tokens.contains(.month) || tokens.contains(.monthName),
            tokens.contains(.year4) || tokens.contains(.year2)
        else {
            throw PatternError(description: "`\(pattern)` needs a day, a month and a year (e.g. dd-mm-yyyy)")
        }
        compiled = Compiled(tokens, ignoresRest: false)
    }

    public static func == (lhs: DateFormat, rhs: DateFormat) -> Bool { lhs.description == rhs.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    public func parse(_ text: String) -> LocalDate? {
        var copy = text
        return copy.withUTF8 { parse($0) }
    }

    /// The date, or nil when the text does not follow the format or is not a real date.
    public func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> LocalDate? {
        // Most dates are written at full width (`07-03-2026` for dd-mm-yyyy): every part is then
        // at a known place. Anything else is read part by part.
        if let layout = compiled.layout, bytes.count == layout.width, let date = layout.parse(bytes) { return date }
        return parseByParts(bytes)
    }

    /// The date read one part after the other, each part as wide as its digits go.
    func parseByParts(_ bytes: UnsafeBufferPointer<UInt8>) -> LocalDate? {
        var i = 0
        var end = bytes.count
        while i < end && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
        while end > i && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        var year = 0
        var month = 0
        var day = 0
        func digits(min: Int, max: Int) -> Int? {
            var value = 0
            var n = 0
            while n < max, i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                value = value * 10 + Int(bytes[i] - 0x30)
                i += 1
                n += 1
            }
            return n >= min ? value : nil
        }
        for (position, token) in tokens.enumerated() {
            switch token {
            case .monthName:
                let start = i
                while i < end, (bytes[i] | 0x20) >= 0x61, (bytes[i] | 0x20) <= 0x7A { i += 1 }
                guard let m = MonthNames.month(UnsafeBufferPointer(rebasing: bytes[start..<i])) else { return nil }
                month = m
                // `jul.`: the abbreviation's full stop, unless the format writes one itself.
                if i < end, bytes[i] == UInt8(ascii: "."),
                    tokens.dropFirst(position + 1).first != .literal(UInt8(ascii: "."))
                {
                    i += 1
                }
            case .time:
                guard digits(min: 1, max: 2) != nil, i < end, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                guard digits(min: 2, max: 2) != nil else { return nil }
                if i < end, bytes[i] == UInt8(ascii: ":") {
                    i += 1
                    guard digits(min: 2, max: 2) != nil else { return nil }
                }
            case .year4:
                guard let y = digits(min: 4, max: 4) else { return nil }
                year = y
            case .year2:
                guard let y = digits(min: 2, max: 2) else { return nil }
                year = y < 70 ? 2000 + y : 1900 + y
            case .month:
                guard let m = digits(min: 1, max: 2) else { return nil }
                month = m
            case .day:
                guard let d = digits(min: 1, max: 2) else { return nil }
                day = d
            case .literal(let byte):
                guard i < end, bytes[i] == byte else { return nil }
                i += 1
            }
        }
        if i != end && !ignoresRest { return nil }
        // A time (`T10:15`, ` 10:15`) or a zone (`Z`, `+02:00`, `-05:00`) may follow an ISO date.
        if ignoresRest && i != end && !Self.mayFollowISO(bytes[i]) { return nil }
        return LocalDate(year: year, month: month, day: day)
    }

    @inline(__always)
    static func mayFollowISO(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "T") || byte == 0x20 || byte == UInt8(ascii: "Z") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: "-")
    }

    /// A format with a four-digit year, read at full width: the day, the month and the year at
    /// fixed places, and the separators checked two words at a time against the format's.
    /// All values, no storage: a format is copied without counting references.
    struct FullWidth: Sendable {
        /// 8 to 16 bytes.
        let width: Int
        let day: Int
        let month: Int
        let year: Int
        /// The separators where they are in the first 8 bytes and in the last 8 (which may
        /// overlap), and masks of those places.
        let first: UInt64
        let firstMask: UInt64
        let last: UInt64
        let lastMask: UInt64

        init?(_ tokens: [Token]) {
            var (at, day, month, year) = (0, -1, -1, -1)
            var separators: [(at: Int, byte: UInt8)] = []
            for token in tokens {
                switch token {
                case .year4: (year, at) = (at, at + 4)
                case .year2, .monthName, .time: return nil
                case .month: (month, at) = (at, at + 2)
                case .day: (day, at) = (at, at + 2)
                case .literal(let byte): (separators, at) = (separators + [(at, byte)], at + 1)
                }
            }
            guard day >= 0, month >= 0, year >= 0, (8...16).contains(at) else { return nil }
            var (first, firstMask, last, lastMask): (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            for (position, byte) in separators {
                if position < 8 {
                    first |= UInt64(byte) << (8 * UInt64(position))
                    firstMask |= 0xFF << (8 * UInt64(position))
                }
                if position >= at - 8 {
                    last |= UInt64(byte) << (8 * UInt64(position - (at - 8)))
                    lastMask |= 0xFF << (8 * UInt64(position - (at - 8)))
                }
            }
            (width, self.day, self.month, self.year) = (at, day, month, year)
            (self.first, self.firstMask, self.last, self.lastMask) = (first, firstMask, last, lastMask)
        }

        /// The date, or nil when the text is not this layout's digits and separators, or not a
        /// real date. `bytes` holds `width` bytes.
        @inline(__always)
        func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> LocalDate? {
            guard let base = bytes.baseAddress else { return nil }
            let raw = UnsafeRawPointer(base)
            guard raw.loadUnaligned(as: UInt64.self) & firstMask == first,
                raw.loadUnaligned(fromByteOffset: width - 8, as: UInt64.self) & lastMask == last
            else { return nil }
            @inline(__always) func two(_ at: Int) -> Int? {
                let (a, b) = (base[at] &- 0x30, base[at + 1] &- 0x30)
                return a < 10 && b < 10 ? Int(a) * 10 + Int(b) : nil
            }
            guard let d = two(day), let m = two(month), let high = two(year), let low = two(year + 2) else {
                return nil
            }
            return LocalDate(year: high * 100 + low, month: m, day: d)
        }
    }
}

/// Month names as people write them in the exports ledgerlift reads: English, Danish, Norwegian,
/// Swedish and German, full or cut short to three letters or more (`sept`, `okt`), any case.
enum MonthNames {
    static let full: [(name: [UInt8], month: Int)] = [
        ("january february march april may june july august september october november december", 0),
        ("januar februar marts april maj juni juli august september oktober november december", 0),
        ("januar februar mars april mai juni juli august september oktober november desember", 0),
        ("januari februari mars april maj juni juli augusti september oktober november december", 0),
        ("januar februar marz april mai juni juli august september oktober november dezember", 0),
    ].flatMap { list, _ in list.split(separator: " ").enumerated().map { (Array($1.utf8), $0 + 1) } }

    /// The month a name or its beginning (three letters or more) names; nil when it names none,
    /// or two (no such beginning exists in these languages, but the rule holds).
    static func month(_ letters: UnsafeBufferPointer<UInt8>) -> Int? {
        guard letters.count >= 3 else { return nil }
        var found: Int?
        for (name, month) in full where name.count >= letters.count {
            guard zip(name, letters).allSatisfy({ $0 == $1 | 0x20 }) else { continue }
            if let found, found != month { return nil }
            found = month
        }
        return found
    }
}

/// A date format compiled once and applied to UTF-8 bytes.
///
/// Patterns use `yyyy` (four-digit year), `yy` (two digits: 00–69 → 2000s, 70–99 → 1900s),
/// `mm`/`m` and `dd`/`d` (one or two digits), and literal separators; strftime spellings
/// `%Y %y %m %d %-m %-d %e` are accepted too. `iso` means `yyyy-mm-dd`, ignoring a time that
/// follows (`2026-03-01T10:15:00Z`).
public struct DateFormat: Sendable, Hashable, CustomStringConvertible {
    enum Token: Sendable, Hashable {
        case year4, year2, month, day
        case literal(UInt8)
    }

    let tokens: [Token]
    /// Ignore anything after the date (a time).
    let ignoresRest: Bool
    public let description: String

    public struct PatternError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    private init(tokens: [Token], ignoresRest: Bool, description: String) {
        self.tokens = tokens
        self.ignoresRest = ignoresRest
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
            tokens = [.year4, .literal(UInt8(ascii: "-")), .month, .literal(UInt8(ascii: "-")), .day]
            ignoresRest = true
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
                default:
                    throw PatternError(
                        description:
                            "`\(pattern)`: %\(Character(Unicode.Scalar(bytes[j]))) is not supported; use %Y %y %m %d")
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
                guard n <= 2 else {
                    throw PatternError(description: "`\(pattern)`: month names are not supported; write mm")
                }
                tokens.append(.month)
                i += n
            } else if b | 0x20 == UInt8(ascii: "d") {
                let n = run(UInt8(ascii: "d"))
                guard n <= 2 else { throw PatternError(description: "`\(pattern)`: write the day as dd or d") }
                tokens.append(.day)
                i += n
            } else if (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) {
                throw PatternError(
                    description:
                        "`\(pattern)`: `\(Character(Unicode.Scalar(b)))` is not a date part; use yyyy, yy, mm, dd")
            } else {
                tokens.append(.literal(b))
                i += 1
            }
        }
        guard tokens.contains(.day), tokens.contains(.month), tokens.contains(.year4) || tokens.contains(.year2) else {
            throw PatternError(description: "`\(pattern)` needs a day, a month and a year (e.g. dd-mm-yyyy)")
        }
        self.tokens = tokens
        ignoresRest = false
    }

    public static func == (lhs: DateFormat, rhs: DateFormat) -> Bool { lhs.description == rhs.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    public func parse(_ text: String) -> LocalDate? {
        var copy = text
        return copy.withUTF8 { parse($0) }
    }

    /// The date, or nil when the text does not follow the format or is not a real date.
    public func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> LocalDate? {
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
        for token in tokens {
            switch token {
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
        if ignoresRest && i != end && bytes[i] != UInt8(ascii: "T") && bytes[i] != 0x20 { return nil }
        return LocalDate(year: year, month: month, day: day)
    }
}

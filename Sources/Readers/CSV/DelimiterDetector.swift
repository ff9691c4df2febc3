/// Picks the CSV delimiter among `,` `;` TAB `|` from the first lines of a file.
///
/// The rule: count each candidate outside quotes on the header and the next lines (up to 20).
/// A candidate is consistent when the header has it at least once and at least 80 % of the
/// other lines have the same count. The consistent candidate with the highest count wins; with
/// none consistent, the one seen most in the header; with none at all, `,`.
enum DelimiterDetector {
    static let candidates: [UInt8] = [0x3B, 0x2C, 0x09, 0x7C]  // ; , TAB |

    static func detect(_ sample: [UInt8], skipLines: Int) -> (delimiter: UInt8, reason: String) {
        let lines = logicalLines(sample, skipping: skipLines, limit: 21)
        guard let header = lines.first else { return (0x2C, "default (nothing to detect from)") }
        var best: (delimiter: UInt8, count: Int)?
        for candidate in candidates {
            let headerCount = header[candidate, default: 0]
            guard headerCount > 0 else { continue }
            let rest = lines.dropFirst()
            let agreeing = rest.filter { $0[candidate, default: 0] == headerCount }.count
            guard rest.isEmpty || agreeing * 10 >= rest.count * 8 else { continue }
            if best == nil || headerCount > best!.count { best = (candidate, headerCount) }
        }
        if let best {
            return (best.delimiter, "detected: \(best.count + 1) columns on every line")
        }
        if let most = candidates.max(by: { header[$0, default: 0] < header[$1, default: 0] }),
            header[most, default: 0] > 0
        {
            return (most, "detected: most frequent in the header (lines disagree)")
        }
        return (0x2C, "default (no candidate found; the file may have one column)")
    }

    /// Candidate counts per logical line (line breaks inside quotes do not end a line).
    private static func logicalLines(_ bytes: [UInt8], skipping: Int, limit: Int) -> [[UInt8: Int]] {
        var lines: [[UInt8: Int]] = []
        var counts: [UInt8: Int] = [:]
        var inQuotes = false
        var skipped = 0
        var i = 0
        var lineHasContent = false
        while i < bytes.count && lines.count < limit {
            let byte = bytes[i]
            i += 1
            if skipped < skipping {
                if byte == 0x0A || (byte == 0x0D && (i == bytes.count || bytes[i] != 0x0A)) { skipped += 1 }
                continue
            }
            if byte == 0x22 {
                inQuotes.toggle()
                lineHasContent = true
            } else if !inQuotes && (byte == 0x0A || byte == 0x0D) {
                if lineHasContent { lines.append(counts) }
                counts = [:]
                lineHasContent = false
            } else {
                lineHasContent = true
                if !inQuotes && candidates.contains(byte) { counts[byte, default: 0] += 1 }
            }
        }
        // The last line counts only if the sample holds the whole file's end of it.
        if lineHasContent && lines.count < limit && bytes.count < EncodingDetector.sampleSize { lines.append(counts) }
        return lines
    }
}

import Foundation
import Submission
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Progress of a run on stderr: one line rewritten in place on a terminal (documents, calls, the
/// organization's rate budget, time left), or a plain line every `interval` seconds otherwise.
final class ProgressLine: Sendable {
    private struct State {
        var lastPrint: Date = .distantPast
        var started = Date()
        var printed = false
        var printedFinished = false
    }

    private let state = Mutex(State())
    let isTerminal: Bool
    let interval: TimeInterval
    let rateLimit: Int

    init(rateLimit: Int, interval: TimeInterval = 10) {
        self.isTerminal = isatty(STDERR_FILENO) == 1 && getenv("TERM").map { String(cString: $0) } != "dumb"
        self.interval = interval
        self.rateLimit = rateLimit
    }

    func report(_ progress: SubmissionProgress, calls: Int) {
        let now = Date()
        let line: String? = state.withLock { state in
            let every = isTerminal ? 0.25 : interval
            let finished = progress.done >= progress.total
            guard !state.printedFinished,
                now.timeIntervalSince(state.lastPrint) >= every || (finished && !isTerminal && state.printed)
            else { return nil }
            if finished { state.printedFinished = true }
            state.lastPrint = now
            state.printed = true
            let elapsed = now.timeIntervalSince(state.started)
            // Within the first minute the limiter lets a window's worth through at once, so
            // say how much of that window is used rather than extrapolate a rate.
            let pace =
                elapsed < 60
                ? "\(calls) of \(rateLimit) calls in the first minute"
                : "\(Int(Double(calls) / elapsed * 60))/min of \(rateLimit)"
            var text =
                "\(progress.done)/\(progress.total) documents (\(progress.booked) booked, \(progress.rejected) rejected, \(progress.failed) failed)"
                + " · \(calls) calls · \(pace)"
            if progress.done > 0, progress.done < progress.total, elapsed > 2 {
                let left = elapsed / Double(progress.done) * Double(progress.total - progress.done)
                text += " · about \(Self.duration(left)) left"
            }
            return text
        }
        guard let line else { return }
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        } else {
            Console.err(line)
        }
    }

    /// Ends the line in place on a terminal.
    func finish() {
        if isTerminal && state.withLock({ $0.printed }) { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func duration(_ seconds: TimeInterval) -> String {
        if seconds < 90 { return "\(Int(seconds.rounded())) s" }
        if seconds < 5400 { return "\(Int((seconds / 60).rounded())) min" }
        return String(format: "%.1f h", seconds / 3600)
    }
}

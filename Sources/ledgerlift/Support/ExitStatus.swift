import ArgumentParser
import Foundation
import Pipeline

/// The exit codes of ARCHITECTURE.md, in one place.
enum ExitStatus {
    /// Everything done.
    static let ok = ExitCode(0)
    /// Some rows were rejected or failed; the report says which.
    static let rowsFailed = ExitCode(1)
    /// Usage error, invalid mapping, or input that cannot be read at all.
    static let usage = ExitCode(2)
    /// The target cannot be reached or authorized.
    static let target = ExitCode(3)
    /// Another run holds the job's (or inbox's) lock; nothing was done (EX_TEMPFAIL's neighbour, EX_CANTCREAT).
    static let locked = ExitCode(73)
    /// Stopped early but safe to re-run (rate window exhausted, target down, interrupted).
    static let resumeLater = ExitCode(75)

    /// The exit code for how a job ended.
    static func of(_ outcome: JobOutcome) -> ExitCode {
        switch outcome {
        case .done: ok
        case .rowsFailed: rowsFailed
        case .unusable: usage
        case .targetRefused: target
        case .locked: locked
        case .resumeLater: resumeLater
        }
    }

    /// "resume after 14:05" (local time), for a run stopped by a far rate window.
    static func resumeHint(_ outcome: JobOutcome) -> String? {
        guard case .resumeLater(let at?) = outcome else { return nil }
        let formatter = DateFormatter()
        formatter.dateFormat = Calendar.current.isDateInToday(at) ? "HH:mm" : "yyyy-MM-dd HH:mm"
        return "resume after \(formatter.string(from: at))"
    }
}

public import Foundation

/// How a job, or an inbox run, ended. The command line turns it into an exit code; nothing
/// below it knows exit codes.
public enum JobOutcome: Sendable, Equatable {
    /// Everything done: every row booked or skipped by a rule.
    case done
    /// Some rows were rejected or failed; the report says which.
    case rowsFailed
    /// The mapping, the input or the job cannot be used as given (a usage error).
    case unusable
    /// The target cannot be reached or refused the credentials.
    case targetRefused
    /// Another run holds the job or the inbox; nothing was done.
    case locked
    /// Stopped early, safe to run again: interrupted, the target down or its rate window far
    /// away (`resumeAt`, when known).
    case resumeLater(at: Date?)
}

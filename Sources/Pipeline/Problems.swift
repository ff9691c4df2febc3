public import LedgerModel
public import Mapping

/// Where a job's problems and notes go: the terminal for `import`, `check` and `plan`; the log
/// (and a failed file's error text) for `watch`. The pipeline never prints.
public protocol ProblemSink: Sendable {
    /// A diagnostic about a row, the mapping or the input.
    func report(_ diagnostic: Diagnostic)
    /// Something that stops the job or a file, in words that say what to do.
    func error(_ text: String)
    /// What the job is doing.
    func note(_ text: String)
}

/// Passes rejected rows' diagnostics on up to a limit, so a file with thousands of bad rows
/// stays readable, and counts the rest.
public struct ProblemPrinter<Sink: ProblemSink> {
    let limit: Int
    let sink: Sink
    public private(set) var shown = 0
    public private(set) var hidden = 0

    public init(limit: Int, sink: Sink) {
        self.limit = limit
        self.sink = sink
    }

    /// At most three diagnostics a row.
    public mutating func report(_ outcome: RowOutcome) {
        for diagnostic in outcome.diagnostics.prefix(3) {
            if shown < limit {
                sink.report(diagnostic)
                shown += 1
            } else {
                hidden += 1
            }
        }
    }

    /// Says how many were not passed on, and where to find them.
    public func finish(_ whereToLook: String) {
        if hidden > 0 { sink.note("… and \(hidden) more row problems (\(whereToLook))") }
    }
}

/// A mistake in how the pipeline was asked to run (an option's value): said to the user, exit 2.
public struct UsageError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

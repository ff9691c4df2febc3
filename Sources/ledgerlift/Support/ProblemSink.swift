import LedgerModel

/// Where a job's problems and notes go: the terminal for `import`, `check` and `plan`; the log
/// (and a failed file's error text) for `watch`.
protocol ProblemSink: Sendable {
    /// A diagnostic about a row, the mapping or the input.
    func report(_ diagnostic: Diagnostic)
    /// Something that stops the job or a file, in words that say what to do.
    func error(_ text: String)
    /// What the job is doing.
    func note(_ text: String)
}

/// The terminal: diagnostics in the compiler style on stderr.
struct TerminalSink: ProblemSink {
    func report(_ diagnostic: Diagnostic) { Console.report(diagnostic) }
    func error(_ text: String) { Console.err("error: \(text)") }
    func note(_ text: String) { Console.err(text) }
}

import LedgerModel
import Pipeline

/// The terminal: diagnostics in the compiler style on stderr.
struct TerminalSink: ProblemSink {
    func report(_ diagnostic: Diagnostic) { Console.report(diagnostic) }
    func error(_ text: String) { Console.err("error: \(text)") }
    func note(_ text: String) { Console.err(text) }
}

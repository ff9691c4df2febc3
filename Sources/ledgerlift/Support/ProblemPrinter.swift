import LedgerModel
import Mapping

/// Passes rejected rows' diagnostics on up to a limit, so a file with thousands of bad
/// rows stays readable, and counts the rest.
struct ProblemPrinter<Sink: ProblemSink> {
    let limit: Int
    let sink: Sink
    private(set) var shown = 0
    private(set) var hidden = 0

    init(limit: Int, sink: Sink) {
        self.limit = limit
        self.sink = sink
    }

    /// At most three diagnostics a row.
    mutating func report(_ outcome: RowOutcome) {
        for diagnostic in outcome.diagnostics.prefix(3) {
            if shown < limit {
                sink.report(diagnostic)
                shown += 1
            } else {
                hidden += 1
            }
        }
    }

    /// Says how many were not printed, and where to find them.
    func finish(_ whereToLook: String) {
        if hidden > 0 { sink.note("… and \(hidden) more row problems (\(whereToLook))") }
    }
}

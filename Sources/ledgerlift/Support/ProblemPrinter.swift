import LedgerModel
import Mapping

/// Prints rejected rows' diagnostics on stderr up to a limit, so a file with thousands of bad
/// rows stays readable, and counts the rest.
struct ProblemPrinter {
    let limit: Int
    private(set) var shown = 0
    private(set) var hidden = 0

    init(limit: Int) { self.limit = limit }

    /// At most three diagnostics a row.
    mutating func report(_ outcome: RowOutcome) {
        for diagnostic in outcome.diagnostics.prefix(3) {
            if shown < limit {
                Console.report(diagnostic)
                shown += 1
            } else {
                hidden += 1
            }
        }
    }

    /// Says how many were not printed, and where to find them.
    func finish(_ whereToLook: String) {
        if hidden > 0 { Console.err("… and \(hidden) more row problems (\(whereToLook))") }
    }
}

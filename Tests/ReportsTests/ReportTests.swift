import Foundation
import Reports
import Testing

@Suite("The per-row report's files")
struct ReportTests {
    @Test("report cells that a spreadsheet would run as formulas are defused; separators are quoted")
    func csvCells() {
        #expect(Report.csvCell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(Report.csvCell("+45 1234") == "'+45 1234")
        #expect(Report.csvCell("-12") == "'-12")
        #expect(Report.csvCell("@SUM(A1)") == "'@SUM(A1)")
        #expect(Report.csvCell("a,b") == "\"a,b\"")
        #expect(Report.csvCell("line\nbreak") == "\"line\nbreak\"")
        #expect(Report.csvCell("plain") == "plain")
    }
}

import Foundation
import Testing

@testable import Inbox

@Suite("Inbox configuration")
struct InboxConfigTests {
    @Test("routes resolve mappings beside the configuration and take their defaults")
    func routes() throws {
        let config = try InboxConfig.parse(
            """
            version: 1
            settle_seconds: 2.5
            routes:
              - match: "sales-*.csv"
                mapping: ../mappings/daily-sales.yaml
              - name: bank
                match: ["bank-*.csv", "*.bank.csv"]
                mapping: /etc/ledgerlift/bank.yaml
                target: dinero
                org: 123456
                credentials: secrets/dinero.env
                rate_limit: 90
                batch_size: 50
            """, path: "/srv/inbox/ledgerlift.yaml")
        #expect(config.settleSeconds == 2.5)
        #expect(config.pollSeconds == 10)
        #expect(config.routes.count == 2)
        let sales = config.routes[0]
        #expect(sales.name == "daily-sales")
        #expect(sales.mapping == "/srv/mappings/daily-sales.yaml")
        #expect(sales.target == "sandbox")
        #expect(sales.batchSize == 100)
        let bank = config.routes[1]
        #expect(bank.organization == 123456)
        #expect(bank.credentials == "/srv/inbox/secrets/dinero.env")
        #expect(bank.rateLimit == 90)
        #expect(bank.batchSize == 50)
        #expect(config.route(for: "sales-2026-11-21.csv")?.name == "daily-sales")
        #expect(config.route(for: "march.bank.csv")?.name == "bank")
        #expect(config.route(for: "notes.txt") == nil)
    }

    @Test("every problem is reported at once, with its line")
    func problems() {
        let text = """
            version: 2
            settle: 5
            routes:
              - match: "a*.csv"
                mapping: a.yaml
                target: visma
              - mapping: b.yaml
              - name: x
                match: "c/*.csv"
                mapping: c.yaml
                batch_size: 5000
                colour: blue
            """
        #expect {
            try InboxConfig.parse(text, path: "/in/ledgerlift.yaml")
        } throws: { error in
            guard let error = error as? InboxConfigError else { return false }
            let lines = error.problems.map(\.line)
            let messages = error.problems.map(\.message).joined(separator: "\n")
            return lines.contains(1) && messages.contains("`version` must be 1")
                && lines.contains(2) && messages.contains("unknown key `settle`")
                && lines.contains(6) && messages.contains("`target` is sandbox or dinero, not `visma`")
                && lines.contains(7) && messages.contains("the route has no `match`")
                && messages.contains("match file names, not paths") && messages.contains("`batch_size` is at most 1000")
                && lines.contains(12) && messages.contains("unknown route key `colour`")
                && error.description.contains("/in/ledgerlift.yaml:2: error:")
        }
    }

    @Test(
        "routes left unnamed are named after their mapping, and after their organization when one mapping serves several"
    )
    func defaultNames() throws {
        let config = try InboxConfig.parse(
            """
            version: 1
            routes:
              - { match: "a*", mapping: sales.yaml, org: 11 }
              - { match: "b*", mapping: sales.yaml, org: 22 }
              - { match: "c*", mapping: sales.yaml, org: 22 }
              - { match: "d*", mapping: bank.yaml }
            """, path: "/in/ledgerlift.yaml")
        #expect(config.routes.map(\.name) == ["sales", "sales-22", "sales-22-2", "bank"])
    }

    @Test("two routes of one name are refused")
    func duplicateNames() {
        #expect(throws: InboxConfigError.self) {
            try InboxConfig.parse(
                """
                version: 1
                routes:
                  - { name: x, match: "a*", mapping: x.yaml }
                  - { name: x, match: "b*", mapping: other/x.yaml }
                """, path: "/in/ledgerlift.yaml")
        }
    }

    @Test(
        "file-name patterns",
        arguments: [
            ("*.csv", "sales.csv", true), ("*.csv", "sales.csv.part", false), ("sales-??.csv", "sales-01.csv", true),
            ("sales-??.csv", "sales-1.csv", false), ("bank-[0-9]*.csv", "bank-2026.csv", true),
            ("bank-[0-9]*.csv", "bank-x.csv", false), ("[!.]*", "visible", true), ("[!.]*", ".hidden", false),
            ("*", "", true), ("a*b*c", "aXXbYYc", true), ("a*b*c", "aXXbYY", false), ("[abc", "[abc", true),
        ])
    func glob(pattern: String, name: String, matches: Bool) {
        #expect(Glob.matches(pattern, name) == matches)
    }
}

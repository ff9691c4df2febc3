import ArgumentParser

/// The `ledgerlift` command line: parses options, wires the stages, prints.
@main
struct LedgerLift: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledgerlift",
        abstract: "Move bookkeeping data between files and Dinero or Visma.net, exactly once.",
        discussion: """
            Exit codes: 0 all done; 1 some rows rejected or failed; 2 usage, mapping or unreadable input;
            3 cannot reach or authorize the target; 73 another run holds the job; 75 stopped early but safe to re-run.
            """,
        version: "0.1.0",
        subcommands: [
            Inspect.self, Check.self, Plan.self, Import.self, Watch.self, Status.self, Reference.self, Auth.self,
            SandboxCommand.self,
        ]
    )
}

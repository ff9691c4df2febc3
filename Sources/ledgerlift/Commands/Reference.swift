import ArgumentParser
import Foundation
import Pipeline
import Targets
import Validation

/// `ledgerlift reference …`: an organization's reference data as a file.
struct Reference: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "An organization's chart, VAT codes, accounting years and contacts as a --reference file.",
        subcommands: [ReferencePull.self]
    )
}

/// `ledgerlift reference pull`: reads the organization's reference data from the target and
/// writes it in the `--reference` format, so `plan` and `check` validate against it offline.
struct ReferencePull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract:
            "Write the organization's chart, deposit accounts, VAT codes, years and contacts as a --reference file.",
        discussion:
            "Exit codes: 0 written; 2 usage or the file cannot be written; 3 cannot reach or authorize the target."
    )

    @OptionGroup(title: "Target") var targetOptions: TargetOptionGroup

    @Option(name: .shortAndLong, help: "Where to write it (default: standard output).")
    var output: String?

    func run() async throws {
        let connection: TargetConnection
        do {
            connection = try await TargetConnection.open(try targetOptions.settings(), sandbox: .dinero)
        } catch let error as ConnectionError {
            Console.err("error: \(error)")
            throw ExitStatus.usage
        }
        Console.err("Target: \(connection.description)")
        let snapshot: Data
        do {
            snapshot = try await connection.referenceSnapshot().snapshot()
        } catch let error as TargetError {
            await connection.close()
            Console.err("error: cannot read the organization: \(error)")
            throw ExitStatus.target
        }
        await connection.close()
        guard let output else {
            Console.out(String(decoding: snapshot, as: UTF8.self).trimmingCharacters(in: .newlines))
            return
        }
        do {
            try snapshot.write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            Console.err("error: cannot write \(output): \(error)")
            throw ExitStatus.usage
        }
        Console.err("wrote \(output); use it with --reference \(output)")
    }
}

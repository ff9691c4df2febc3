import ArgumentParser
import Checkpoint
import Crypto
import Foundation
import LedgerModel
import Mapping
import Readers
import Reports
import Submission
import Targets
import Validation

/// The import pipeline, once: map and validate the files into the job's state file, book what
/// is open exactly once, and write the report. `import` runs it for the files it is given;
/// `watch` for each file an inbox takes, against the inbox route's state file.
///
/// The caller holds the state file's lock and owns the connection.
struct ImportJob {
    /// A file to import, and the key the state file keeps it under: its path for `import`; for
    /// an inbox, its name and content digest, so the same name dropped again tomorrow is a new file.
    struct Input {
        var path: String
        var key: String
        /// Where its relative attachment paths start (default: the file's folder).
        var attachmentFolder: String?
        /// Its size and digest, when the caller has read them already.
        var fingerprint: Fingerprint?
    }

    typealias Fingerprint = (size: Int64, sha256: String)

    struct UnreadableFile: Error, CustomStringConvertible {
        var description: String { "the file cannot be opened" }
    }

    var mapping: MappingSession
    var mappingPath: String
    var inputs: [Input]
    var target: String
    var statePath: String
    var batchSize = 100
    var refreshChart = false
    var reader: ReaderOptionGroup
    var validation: ValidationOptionGroup
    /// Requests a window, for the progress line's pace.
    var rateLimit = 60
    /// Show the progress line (on the terminal, or a line every ten seconds).
    var showProgress = true

    struct Result {
        /// 0 done; 1 rows rejected or failed; 2 unusable input or job; 3 target refused; 75 stopped early.
        var status: ExitCode
        var organization: DineroOrganization?
        var progress = SubmissionProgress()
        var calls = 0
        var state: StateFile?
        /// The inputs the job had mapped completely before this run (the same file again).
        var alreadyMapped: Set<String> = []

        static func stopped(_ status: ExitCode) -> Result { Result(status: status) }
    }

    func run(
        connection: DineroConnection, sink: some ProblemSink, stop: @escaping @Sendable () -> Bool
    )
        async throws -> Result
    {
        let organization: DineroOrganization
        let chart: DineroChart
        let cache = ChartCache(
            path: (statePath as NSString).deletingLastPathComponent
                + "/cache/\(target)-\(connection.client.organization).json")
        do {
            organization = try await connection.client.checkAccess()
            if !refreshChart, let cached = cache.load(maxAge: 3600) {
                chart = cached
            } else {
                chart = try await connection.client.chart()
                cache.save(chart)
            }
        } catch {
            sink.error("cannot use the organization: \(error)")
            return .stopped(ExitStatus.target)
        }
        let stateFile = try StateFile(path: statePath)
        let jobRecord = JobRecord(
            mapping: Self.absolute(mappingPath), target: target, organization: String(organization.id))
        if let existing = try stateFile.job() {
            guard existing == jobRecord else {
                sink.error(
                    "\(statePath) belongs to another job (mapping \(existing.mapping), \(existing.target) organization \(existing.organization)). Name another --state, or --restart."
                )
                return .stopped(ExitStatus.usage)
            }
            sink.note("Resuming the job in \(statePath)")
        } else {
            try stateFile.start(jobRecord)
        }

        let alreadyMapped = Set(try inputs.map(\.key).filter { try stateFile.sourceFile($0)?.mapped == true })
        guard
            try mapAndValidate(
                into: stateFile, reference: DineroConnection.reference(from: chart, name: organization.name),
                sink: sink)
        else { return Result(status: ExitStatus.usage, organization: organization, state: stateFile) }

        // Submit.
        var options = DineroSubmitter.Options()
        options.batchSize = batchSize
        let progressLine = showProgress ? ProgressLine(rateLimit: rateLimit) : nil
        options.onProgress = { progress, calls in progressLine?.report(progress, calls: calls) }
        let submitter = DineroSubmitter(client: connection.client, state: stateFile, options: options, stop: stop)
        let (end, progress) = try await submitter.run()
        let calls = await connection.client.calls
        progressLine?.report(progress, calls: calls)
        progressLine?.finish()

        var result = Result(
            status: ExitStatus.ok, organization: organization, progress: progress, calls: calls, state: stateFile,
            alreadyMapped: alreadyMapped)
        switch end {
        case .targetRefused(let error):
            sink.error("the target refused: \(error)")
            result.status = ExitStatus.target
        case .stoppedEarly(let reason):
            sink.note("stopped early (\(reason)); run the same command again to resume")
            result.status = ExitStatus.resumeLater
        case .finished:
            break
        }
        return result
    }

    /// Maps and validates each file once into the state file; a file that changed since is refused.
    /// False when a file (or the job) cannot be used.
    private func mapAndValidate(
        into stateFile: StateFile, reference: ReferenceData, sink: some ProblemSink
    ) throws
        -> Bool
    {
        let validator = try validation.makeValidator(mapping: mapping.mapping.validation, fromTarget: reference)
        var problems = ProblemPrinter(limit: 20, sink: sink)
        var usable = true
        for input in inputs {
            let fingerprint: Fingerprint
            do {
                fingerprint = try input.fingerprint ?? Self.fingerprint(input.path)
            } catch {
                sink.error("cannot read \(input.path): \(error)")
                usable = false
                continue
            }
            if let known = try stateFile.sourceFile(input.key) {
                guard known.size == fingerprint.size, known.sha256 == fingerprint.sha256 else {
                    sink.error(
                        "\(input.path) changed since this job first read it (was \(known.size) bytes, sha256 \(known.sha256.prefix(12))…; now \(fingerprint.size) bytes, \(fingerprint.sha256.prefix(12))…). Booking it now could book rows twice or miss some. Put new rows in a new file, or start over with --restart."
                    )
                    return false
                }
                if known.mapped { continue }
            } else {
                try stateFile.record(
                    SourceFileRecord(path: input.key, size: fingerprint.size, sha256: fingerprint.sha256))
            }
            var step = ValidationStep(validator)
            guard
                let (builder, _) = try mapping.open(
                    input.path, overrides: reader, attachmentFolder: input.attachmentFolder,
                    makeCheck: step.makeCheck, sink: sink)
            else {
                usable = false
                continue
            }
            var documents: [DocumentRecord] = []
            var rows: [RowRecord] = []
            // Stored a chunk at a time, so memory stays bounded whatever the file's size.
            var sequence = try stateFile.phaseCounts().values.reduce(0, +)
            var stored = 0
            var skippedOrRejected = 0
            do {
                while let (mapped, checked) = try builder.nextChecked() {
                    let (event, warnings) = step.apply(
                        mapped, checked: checked, distinct: builder.referencesAreDistinct)
                    if let warnings { problems.report(warnings) }
                    switch event {
                    case .document(let document):
                        do {
                            try DineroClient.check(document)
                            documents.append(DocumentRecord(document: document, sequence: sequence, file: input.key))
                            sequence += 1
                        } catch {
                            let outcome = RowOutcome(
                                file: document.provenance.file, rows: document.provenance.rows,
                                reason: error.description)
                            problems.report(outcome)
                            rows += Self.rowRecords(outcome, key: input.key, status: .rejected, code: error.code)
                        }
                    case .rejected(let outcome):
                        problems.report(outcome)
                        rows += Self.rowRecords(
                            outcome, key: input.key, status: .rejected, code: outcome.diagnostics.first?.code.rawValue)
                    case .skipped(let outcome):
                        rows += Self.rowRecords(outcome, key: input.key, status: .skipped, code: nil)
                    }
                    if documents.count + rows.count >= 1_000 {
                        try stateFile.storeMapped(file: input.key, documents: documents, rows: rows, complete: false)
                        stored += documents.count
                        skippedOrRejected += rows.count
                        documents.removeAll(keepingCapacity: true)
                        rows.removeAll(keepingCapacity: true)
                    }
                }
            } catch {
                try MappingSession.reportStop(error, sink: sink)
                usable = false
                continue
            }
            try stateFile.storeMapped(file: input.key, documents: documents, rows: rows)
            sink.note(
                "\(input.path): \(stored + documents.count) documents to book, \(skippedOrRejected + rows.count) rows rejected or skipped"
            )
        }
        problems.finish("see the report")
        return usable
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// A file's size and SHA-256, read a megabyte at a time.
    static func fingerprint(_ path: String) throws -> Fingerprint {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw UnreadableFile() }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        return (size, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    static func rowRecords(_ outcome: RowOutcome, key: String, status: RowRecord.Status, code: String?) -> [RowRecord] {
        outcome.rows.map { RowRecord(file: key, row: $0, status: status, code: code, message: outcome.reason) }
    }
}

/// The organization's chart (accounts, deposit accounts, VAT codes, years) kept for an hour, so
/// runs close together spend four calls less. `--refresh-chart` reads it again.
struct ChartCache {
    let path: String

    func load(maxAge: TimeInterval) -> DineroChart? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let modified = attributes[.modificationDate] as? Date, Date().timeIntervalSince(modified) < maxAge,
            let data = FileManager.default.contents(atPath: path)
        else { return nil }
        return try? JSONDecoder().decode(DineroChart.self, from: data)
    }

    func save(_ chart: DineroChart) {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? JSONEncoder().encode(chart).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

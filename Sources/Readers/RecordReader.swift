public import LedgerModel

/// A streaming reader of records from one file. Memory stays bounded by the largest record,
/// whatever the file's size.
public protocol RecordReader: AnyObject {
    /// The file, with what was detected about it.
    var source: SourceFile { get }
    /// File-level warnings found so far (duplicate header names, blank lines skipped, …).
    var diagnostics: [Diagnostic] { get }
    /// The next record, or nil at the end. Throws ``ReadError`` when the file cannot be read on.
    func next() throws -> Record?
    /// The next record, written over `record`; false at the end. The record gets `source`
    /// instead of the reader's own ``source`` when one is given.
    ///
    /// For callers that refill the same records batch after batch: a reader that can, hands the
    /// row's buffers over and takes the record's old ones to read the next row into, so no
    /// byte is copied twice and nothing is allocated.
    func next(into record: inout Record, source: SourceFile?) throws -> Bool
    /// How far into its file the reader is, for estimates (how many records a file holds); nil
    /// when it cannot tell. Asked between records, on the thread that reads them.
    var progress: ReadProgress? { get }
}

/// Bytes read from a file so far (they run ahead of the records by at most a chunk), and its size.
public struct ReadProgress: Sendable, Equatable {
    public var bytesRead: Int64
    public var fileSize: Int64

    public init(bytesRead: Int64, fileSize: Int64) {
        self.bytesRead = bytesRead
        self.fileSize = fileSize
    }

    /// About how many records the file holds, when `records` came from the bytes read so far;
    /// nil before enough is read to tell (`minimumBytes`).
    public func estimatedRecords(after records: Int, minimumBytes: Int64) -> Int? {
        guard bytesRead >= minimumBytes, bytesRead > 0, fileSize >= bytesRead, records > 0 else { return nil }
        return Int((Double(records) * Double(fileSize) / Double(bytesRead)).rounded(.up))
    }
}

extension RecordReader {
    public var progress: ReadProgress? { nil }

    public func next(into record: inout Record, source: SourceFile?) throws -> Bool {
        guard let next = try next() else { return false }
        next.detach(into: &record, source: source)
        return true
    }
}

/// A file that changes while it is read usually breaks its syntax somewhere (a cut quote, extra
/// content after the end); the honest report is then that it changed, not the symptom.
final class ChangeAwareReader: RecordReader {
    private let base: any RecordReader
    private let file: FileInput

    init(_ base: any RecordReader, file: FileInput) {
        self.base = base
        self.file = file
    }

    var source: SourceFile { base.source }
    var diagnostics: [Diagnostic] { base.diagnostics }
    var progress: ReadProgress? { ReadProgress(bytesRead: file.bytesRead, fileSize: file.size) }

    func next() throws -> Record? {
        try reading { try base.next() }
    }

    func next(into record: inout Record, source: SourceFile?) throws -> Bool {
        try reading { try base.next(into: &record, source: source) }
    }

    /// A read error, or the file's change when it has changed since it was opened.
    private func reading<T>(_ read: () throws -> T) throws -> T {
        do {
            return try read()
        } catch let error as ReadError where error.diagnostic.code != ReaderCode.fileChanged && file.hasChanged() {
            throw file.changedError
        }
    }
}

/// Opens readers, detecting format, encoding and layout where the options leave them open.
public enum Readers {
    /// Opens `path` for reading. Throws ``ReadError`` when the file cannot be read at all.
    public static func open(_ path: String, options: ReaderOptions = ReaderOptions()) throws -> any RecordReader {
        let file = try FileInput(path: path)
        if file.size == 0 {
            throw ReadError(
                ReaderCode.emptyFile, "the file is empty", hint: "check that the export finished writing",
                at: SourceLocation(file: path))
        }
        let sample = try file.prefix(EncodingDetector.sampleSize)
        let format = options.format ?? detectFormat(path: path, sample: sample)
        let reader: any RecordReader
        switch format {
        case .csv:
            reader = try CSVReader(file: file, sample: sample, options: options)
        case .json, .jsonLines:
            reader = try JSONReader(file: file, sample: sample, format: format, options: options)
        case .xml:
            reader = try XMLReader(file: file, sample: sample, options: options)
        }
        return ChangeAwareReader(reader, file: file)
    }

    /// The format by file extension, else by the first non-blank character.
    static func detectFormat(path: String, sample: [UInt8]) -> SourceFormat {
        let ext = path.split(separator: "/").last?.split(separator: ".").dropFirst().last.map(String.init) ?? ""
        if let byExtension = SourceFormat(name: ext) {
            if byExtension == .json, JSONReader.looksLikeJSONLines(sample) { return .jsonLines }
            return byExtension
        }
        let decision = EncodingDetector.decide(sample: sample, override: nil)
        let text = TranscodingInput.decodeSample(sample[...].dropFirst(decision.bomLength), encoding: decision.encoding)
        switch text.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) {
        case UInt8(ascii: "<"): return .xml
        case UInt8(ascii: "["): return .json
        case UInt8(ascii: "{"): return JSONReader.looksLikeJSONLines(text) ? .jsonLines : .json
        default: return .csv
        }
    }

    /// Opens the input through the encoding decision: UTF-8 is read directly, everything else
    /// is transcoded to UTF-8.
    static func decodedInput(_ file: FileInput, _ decision: EncodingDecision) -> any ByteInput {
        file.skipPrefix(decision.bomLength)
        if decision.encoding == .utf8 { return file }
        return TranscodingInput(base: file, encoding: decision.encoding, path: file.path)
    }
}

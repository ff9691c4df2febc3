import LedgerModel

/// Remembers every document reference of a run and where it first came from, so the same
/// reference a second time is caught before anything is sent.
///
/// A reference is kept as its 64-bit ``DocumentReference/key`` (a false match among a million references has odds of
/// about one in 10¹⁰) with its file and line packed in 32 bits (the 255th file, or lines past
/// 16 million, go to a small side table): 12 bytes a slot in flat tables that grow 256 shards at
/// a time; 16 to 25 MB per million documents.
///
/// References the caller vouches are distinct from each other (derived ones, from one file) need
/// no lookup while they are the only ones: they are appended to a log, in order, and go into the
/// table only when a reference that does need a lookup comes (another file's, or a written one).
/// A log entry is 9 bytes: the key, and the line as its step from the line before (documents come
/// in file order, so the step is small; a step past 254 goes to a side table). A run of one file,
/// the usual nightly case, then never pays for a table lookup that misses the cache, and holds
/// less than half the memory.
struct ReferenceRegistry {
    /// Per shard, 3 words a slot: the key's low and high halves, then the packed file and line
    /// (the key is 0 in an empty slot). Key and place share a slot, so a lookup in a table too
    /// large for the cache misses it once, not twice.
    private var slots = [[UInt32]](repeating: [UInt32](repeating: 0, count: 8 * 3), count: 256)
    /// Where references are whose file and line do not fit in a slot's 32 bits.
    private var unpacked: [UInt64: (file: Int, line: Int)] = [:]
    private static let unpackedMark = UInt32.max
    private var used = [Int32](repeating: 0, count: 256)
    /// How many references the table holds.
    private var count = 0
    /// Distinct references not yet in the table, all of `logFile`: their keys, and each line's
    /// step from the one before (`bigStep`: the line is in `logLines`, by position in the log).
    /// In chunks, so growing never copies the whole log: the full ones, and the one being
    /// filled (apart, so appending to it is not an append inside an array of arrays).
    private var logKeys: [[UInt64]] = []
    private var logSteps: [[UInt8]] = []
    private var currentKeys: [UInt64] = []
    private var currentSteps: [UInt8] = []
    private var logLines: [Int: Int] = [:]
    private var logCount = 0
    private var logLastLine = 0
    private static let logChunk = 65_536
    private static let bigStep = UInt8.max
    private var logFile = -1
    private(set) var files: [String] = []
    private var fileIndex: [String: Int] = [:]

    /// Records `reference`; returns where it was seen first when it was seen before.
    mutating func register(_ reference: DocumentReference, file: String, line: Int) -> (file: String, line: Int)? {
        if logCount > 0 { flushLog() }
        let key = reference.key
        let shard = Int(truncatingIfNeeded: key >> 56)
        let found = slots[shard].withUnsafeBufferPointer { Self.probe(key, $0) }
        if found.hit {
            let value = slots[shard][found.index + 2]
            if value == Self.unpackedMark, let place = unpacked[key] { return (files[place.file], place.line) }
            return (files[Int(value >> 24)], Int(value & 0xFF_FFFF))
        }
        insert(key, at: found.index, in: shard, place: place(file, line, key))
        return nil
    }

    /// Records `reference`, which the caller knows differs from every other reference it gives
    /// this way for `file` (references derived from content and counted are). Returns where it
    /// was seen first when it was seen before, as ``register(_:file:line:)``; while the run has
    /// had only this file's distinct references, that is never, and nothing is looked up.
    mutating func registerDistinct(
        _ reference: DocumentReference, file: String, line: Int
    ) -> (
        file: String, line: Int
    )? {
        let index = fileNumber(file)
        guard count == 0, logFile == -1 || logFile == index else {
            return register(reference, file: file, line: line)
        }
        logFile = index
        let key = reference.key
        if currentKeys.count == Self.logChunk {
            logKeys.append(currentKeys)
            logSteps.append(currentSteps)
            currentKeys = []
            currentSteps = []
        }
        if currentKeys.capacity == 0 {
            currentKeys.reserveCapacity(Self.logChunk)
            currentSteps.reserveCapacity(Self.logChunk)
        }
        currentKeys.append(key)
        let step = line - logLastLine
        if step >= 0 && step < Int(Self.bigStep) {
            currentSteps.append(UInt8(step))
        } else {
            currentSteps.append(Self.bigStep)
            logLines[logCount] = line
        }
        logLastLine = line
        logCount += 1
        return nil
    }

    /// Moves the log into the table.
    private mutating func flushLog() {
        let (keys, steps, lines, file) = (logKeys + [currentKeys], logSteps + [currentSteps], logLines, logFile)
        (logKeys, logSteps, logLines, logCount, logLastLine, logFile) = ([], [], [:], 0, 0, -1)
        (currentKeys, currentSteps) = ([], [])
        var position = 0
        var line = 0
        for chunk in keys.indices {
            for (key, step) in zip(keys[chunk], steps[chunk]) {
                line = step == Self.bigStep ? lines[position]! : line + Int(step)
                position += 1
                let shard = Int(truncatingIfNeeded: key >> 56)
                let found = slots[shard].withUnsafeBufferPointer { Self.probe(key, $0) }
                // Distinct by the caller's word: a hit can only be two references with one hash.
                if !found.hit { insert(key, at: found.index, in: shard, place: place(fileNumber: file, line, key)) }
            }
        }
    }

    /// The file's number in `files`, adding it the first time.
    private mutating func fileNumber(_ file: String) -> Int {
        // Documents come file by file: the usual case needs no lookup.
        if let last = files.last, last == file { return files.count - 1 }
        if let known = fileIndex[file] { return known }
        files.append(file)
        fileIndex[file] = files.count - 1
        return files.count - 1
    }

    /// The file and line packed in a slot's word, or the mark for the side table.
    private mutating func place(_ file: String, _ line: Int, _ key: UInt64) -> UInt32 {
        place(fileNumber: fileNumber(file), line, key)
    }

    /// ``place(_:_:_:)`` for a file by its number in `files`.
    private mutating func place(fileNumber index: Int, _ line: Int, _ key: UInt64) -> UInt32 {
        if let packed = Self.pack(index, line) { return packed }
        unpacked[key] = (index, line)
        return Self.unpackedMark
    }

    /// File number and line in 8 and 24 bits, when they fit (the mark's 255 is never a file).
    private static func pack(_ file: Int, _ line: Int) -> UInt32? {
        guard file < 255, line >= 0, line < 1 << 24 else { return nil }
        return UInt32(file) << 24 | UInt32(line)
    }

    private mutating func insert(_ key: UInt64, at word: Int, in shard: Int, place: UInt32) {
        slots[shard].withUnsafeMutableBufferPointer { slots in
            slots[word] = UInt32(truncatingIfNeeded: key)
            slots[word + 1] = UInt32(truncatingIfNeeded: key >> 32)
            slots[word + 2] = place
        }
        used[shard] += 1
        count += 1
        if Int(used[shard]) * 4 > slots[shard].count / 3 * 3 { grow(shard) }  // over 3/4 of the slots
    }

    /// The word index of `key`'s slot, or of the empty slot where it would go.
    @inline(__always)
    private static func probe(_ key: UInt64, _ slots: UnsafeBufferPointer<UInt32>) -> (hit: Bool, index: Int) {
        let mask = slots.count / 3 - 1
        let low = UInt32(truncatingIfNeeded: key)
        let high = UInt32(truncatingIfNeeded: key >> 32)
        var i = Int(truncatingIfNeeded: key) & mask
        while true {
            let word = i * 3
            if slots[word] == low && slots[word + 1] == high { return (true, word) }
            if slots[word] == 0 && slots[word + 1] == 0 { return (false, word) }
            i = (i + 1) & mask
        }
    }

    private mutating func grow(_ shard: Int) {
        let old = slots[shard]
        var new = [UInt32](repeating: 0, count: old.count * 2)
        new.withUnsafeMutableBufferPointer { new in
            for word in stride(from: 0, to: old.count, by: 3) where old[word] != 0 || old[word + 1] != 0 {
                let key = UInt64(old[word]) | UInt64(old[word + 1]) << 32
                let (_, at) = Self.probe(key, UnsafeBufferPointer(new))
                new[at] = old[word]
                new[at + 1] = old[word + 1]
                new[at + 2] = old[word + 2]
            }
        }
        slots[shard] = new
    }
}

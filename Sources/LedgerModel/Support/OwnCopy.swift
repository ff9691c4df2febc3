extension String {
    /// An equal string in storage of its own. A string that several threads read all day counts
    /// references on one buffer, whose cache line then bounces between their cores; each thread
    /// keeps its own copy instead. (Short strings are stored inline and copy as they are.)
    public func ownCopy() -> String {
        String(decoding: Array(utf8), as: UTF8.self)
    }
}

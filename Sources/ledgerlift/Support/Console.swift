import Foundation
import LedgerModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// stdout for results, stderr for diagnostics and progress (CONVENTIONS.md habit 8).
enum Console {
    static func out(_ text: String) {
        write(text + "\n", to: STDOUT_FILENO)
    }

    static func err(_ text: String) {
        write(text + "\n", to: STDERR_FILENO)
    }

    /// Prints a diagnostic in the compiler style, coloured when stderr is a terminal.
    static func report(_ diagnostic: Diagnostic) {
        guard useColor else {
            err(diagnostic.description)
            return
        }
        let colour = diagnostic.severity == .error ? "\u{1B}[31m" : diagnostic.severity == .warning ? "\u{1B}[33m" : ""
        let text = diagnostic.description.replacingFirst(
            "\(diagnostic.severity.rawValue):", with: "\(colour)\(diagnostic.severity.rawValue):\u{1B}[0m")
        err(text)
    }

    /// Colour only on a terminal, with `TERM` not `dumb` and `NO_COLOR` unset.
    static let useColor: Bool = {
        guard isatty(STDERR_FILENO) == 1, getenv("NO_COLOR") == nil else { return false }
        if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
        return true
    }()

    private static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }
}

@inline(__always)
private func systemWrite(_ fd: Int32, _ pointer: UnsafePointer<UInt8>, _ count: Int) -> Int {
    #if canImport(Darwin)
        Darwin.write(fd, pointer, count)
    #elseif canImport(Musl)
        Musl.write(fd, pointer, count)
    #else
        Glibc.write(fd, pointer, count)
    #endif
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}

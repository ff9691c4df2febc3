import Foundation
import Synchronization

/// Where the sandbox reads the time: token lifetimes, rate-limit windows, `entries/changes`.
///
/// Tests pass a ``ManualClock`` and move it, so expiry and window resets need no sleeping.
public protocol SandboxClock: Sendable {
    func now() -> Date
}

/// The machine's clock.
public struct SystemClock: SandboxClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that stands still until it is moved.
public final class ManualClock: SandboxClock {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_795_000_000)) {
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}

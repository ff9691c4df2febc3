import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Wakes a waiting loop: rung by change notices and signals, or gives up after a timeout.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiter, or the next one if none waits now.
    public func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when rung, or after `seconds`.
    public func wait(upTo seconds: Double) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let generation = state.withLock { state -> Int? in
                if state.rung {
                    state.rung = false
                    return nil
                }
                state.generation += 1
                state.waiter = continuation
                return state.generation
            }
            guard let generation else {
                continuation.resume()
                return
            }
            Task {
                try? await Task.sleep(for: .seconds(max(0, seconds)))
                let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                    guard state.generation == generation, let waiter = state.waiter else { return nil }
                    state.waiter = nil
                    return waiter
                }
                waiter?.resume()
            }
        }
    }
}

/// Change notices for one folder through inotify: every change rings the doorbell, and a file
/// renamed into the folder is remembered as having arrived whole. Where inotify is missing (or
/// the folder is on a file system without it), `start` answers nil and the caller polls.
public final class FolderEvents: Sendable {
    private let descriptor: Int32
    private let wakeup: (read: Int32, write: Int32)
    private let arrivals = Mutex<[String]>([])
    private let doorbell: Doorbell

    #if os(Linux)
        public static func start(folder: String, doorbell: Doorbell) -> FolderEvents? {
            let descriptor = inotify_init1(Int32(IN_CLOEXEC))
            guard descriptor >= 0 else { return nil }
            let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_DELETE | IN_MOVED_FROM)
            guard inotify_add_watch(descriptor, folder, mask) >= 0 else {
                close(descriptor)
                return nil
            }
            var pipeEnds: [Int32] = [0, 0]
            guard pipe(&pipeEnds) == 0 else {
                close(descriptor)
                return nil
            }
            let events = FolderEvents(descriptor: descriptor, wakeup: (pipeEnds[0], pipeEnds[1]), doorbell: doorbell)
            let thread = Thread { events.readLoop() }
            thread.name = "ledgerlift inotify"
            thread.start()
            return events
        }
    #else
        public static func start(folder: String, doorbell: Doorbell) -> FolderEvents? { nil }
    #endif

    private init(descriptor: Int32, wakeup: (read: Int32, write: Int32), doorbell: Doorbell) {
        self.descriptor = descriptor
        self.wakeup = wakeup
        self.doorbell = doorbell
    }

    /// Names renamed into the folder since the last call.
    public func takeArrivals() -> [String] {
        arrivals.withLock { names in
            defer { names.removeAll() }
            return names
        }
    }

    /// Stops reading and closes the descriptors.
    public func stop() {
        var byte: UInt8 = 1
        _ = write(wakeup.write, &byte, 1)
    }

    #if os(Linux)
        private func readLoop() {
            defer {
                close(descriptor)
                close(wakeup.read)
                close(wakeup.write)
            }
            let capacity = 64 * 1024
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
            defer { buffer.deallocate() }
            var fds = [
                pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeup.read, events: Int16(POLLIN), revents: 0),
            ]
            while true {
                fds[0].revents = 0
                fds[1].revents = 0
                let ready = poll(&fds, 2, -1)
                if ready < 0 {
                    if errno == EINTR { continue }
                    return
                }
                if fds[1].revents != 0 { return }
                let count = read(descriptor, buffer, capacity)
                guard count > 0 else { continue }
                var offset = 0
                var names: [String] = []
                // struct inotify_event { int wd; uint32_t mask; uint32_t cookie; uint32_t len; char name[]; }
                while offset + 16 <= count {
                    let mask = buffer.load(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(buffer.load(fromByteOffset: offset + 12, as: UInt32.self))
                    if mask & UInt32(IN_MOVED_TO) != 0 && length > 0 {
                        let name = (buffer + offset + 16).assumingMemoryBound(to: CChar.self)
                        names.append(String(cString: name))
                    }
                    offset += 16 + length
                }
                if !names.isEmpty { arrivals.withLock { $0 += names } }
                doorbell.ring()
            }
        }
    #endif
}

import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// A running sandbox: the Dinero emulator on a local port.
///
/// ```swift
/// let sandbox = try await SandboxServer.start()
/// defer { Task { await sandbox.stop() } }
/// print(sandbox.baseURL)   // http://127.0.0.1:53187
/// ```
///
/// `ledgerlift sandbox` runs one until interrupted; tests and `import` start one in-process on
/// an ephemeral port.
public final class SandboxServer: Sendable {
    /// `http://host:port`, the base URL for both the API and the token endpoints.
    public let baseURL: String
    public let port: Int
    let store: DineroStore
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    private init(baseURL: String, port: Int, store: DineroStore, group: ServiceGroup, running: Task<Void, any Error>) {
        self.baseURL = baseURL
        self.port = port
        self.store = store
        self.group = group
        self.running = running
    }

    /// Starts the sandbox and returns once it listens. With `stopOnInterrupt`, SIGINT and SIGTERM
    /// shut it down gracefully (for `ledgerlift sandbox`).
    public static func start(
        options: SandboxOptions = SandboxOptions(), clock: any SandboxClock = SystemClock(),
        stopOnInterrupt: Bool = false,
        logger: Logger = Logger(label: "ledgerlift.sandbox", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> SandboxServer {
        let store = try await DineroStore(options: options, clock: clock)
        let router = Router(context: SandboxRequestContext.self, options: .caseInsensitive)
        router.add(middleware: HTMLNotFound())
        DineroRoutes(store: store).register(on: router)
        AdminRoutes(store: store).register(on: router)

        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(
                address: .hostname(options.host, port: options.port), serverName: "ledgerlift-sandbox"),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [app], gracefulShutdownSignals: stopOnInterrupt ? [.sigint, .sigterm] : [], logger: logger))
        let running = Task {
            // A server that cannot bind ends here without ever running; let `start` know.
            defer { portContinuation.finish() }
            try await group.run()
        }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next() else {
            let reason: String
            switch await running.result {
            case .failure(let error): reason = String(describing: error)
            case .success: reason = "the server stopped before it listened"
            }
            throw SandboxStartError(host: options.host, port: options.port, reason: reason)
        }
        let host = options.host.contains(":") ? "[\(options.host)]" : options.host
        return SandboxServer(
            baseURL: "http://\(host):\(port)", port: port, store: store, group: group, running: running)
    }

    /// Stops listening and waits until the server has shut down.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = await running.result
    }

    /// Waits until the server stops (for `ledgerlift sandbox`, which runs until interrupted).
    public func waitUntilStopped() async throws {
        try await running.value
    }

    /// Changes the injected faults while running (the admin API does the same over HTTP).
    public func setFaults(_ faults: FaultSettings) async {
        await store.setFaults(faults)
    }
}

/// The sandbox could not listen where it was asked to.
public struct SandboxStartError: Error, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var reason: String

    public var description: String {
        "The sandbox could not listen on \(host):\(port) (\(reason)). Is the port already in use? Pick another with --port, or 0 for any free port."
    }
}

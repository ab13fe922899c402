import CivitasNode
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct LifecycleTests {
    final class Flags: Sendable {
        let runtimeStopped = Mutex(false)
        let serverStopped = Mutex(false)
        let reloads = Mutex(0)
    }

    /// A service that runs until graceful shutdown, then records that it stopped.
    static func waiter(_ flag: @escaping @Sendable () -> Void) -> ClosureService {
        ClosureService {
            try? await gracefulShutdown()
            flag()
        }
    }

    @Test func gracefulShutdownStopsEveryServiceAndSIGHUPReloads() async throws {
        signal(SIGHUP, SIG_IGN)  // a SIGHUP raised before the handler runs must not end the test process
        let flags = Flags()
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let group = NodeLifecycle.serviceGroup(
            runtime: Self.waiter { flags.runtimeStopped.withLock { $0 = true } }, servers: [Self.waiter { flags.serverStopped.withLock { $0 = true } }],
            reload: { flags.reloads.withLock { $0 += 1 } }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Raise SIGHUP until a reload is seen (the handler starts asynchronously); bounded.
            for _ in 0..<200 where flags.reloads.withLock({ $0 }) == 0 {
                kill(getpid(), SIGHUP)  // process-directed, as `kill -HUP` is (raise() targets one thread)
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(flags.reloads.withLock { $0 } >= 1)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(flags.runtimeStopped.withLock { $0 })
        #expect(flags.serverStopped.withLock { $0 })
    }

    @Test func aRuntimeThatStopsStopsTheGroup() async throws {
        let flags = Flags()
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let group = NodeLifecycle.serviceGroup(
            runtime: ClosureService {}, servers: [Self.waiter { flags.serverStopped.withLock { $0 = true } }],
            reload: {}, logger: logger)
        try await group.run()
        #expect(flags.serverStopped.withLock { $0 })
    }

    @Test func runtimeFactoryRefusesUnusableFilesNamingTheKey() async throws {
        let configuration = try withScratchDirectory { dir in
            try ConfigurationTests.writeNode(dir)
            return try NodeConfiguration.parse(ConfigurationTests.valid, path: dir + "/node.toml")
        }
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        // The scratch node's files exist (the configuration checks that) but hold no usable key.
        let error = await #expect(throws: NodeRuntimeError.self) {
            _ = try await makeNodeRuntime(configuration: configuration, logger: logger, metrics: NodeMetrics())
        }
        #expect(error?.description.contains("node.key_file") == true, "\(String(describing: error))")
    }
}

import Dispatch
public import Logging
public import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Calls `onReload` on every SIGHUP (certificate and revocation list reload)
/// until graceful shutdown. Reloads never overlap: a SIGHUP during a reload
/// runs one more reload after it.
public struct HangupReloadService: Service, CustomStringConvertible {
    let onReload: @Sendable () async -> Void
    let logger: Logger

    public init(logger: Logger, onReload: @escaping @Sendable () async -> Void) {
        self.onReload = onReload
        self.logger = logger
    }

    public var description: String { "SIGHUP reload" }

    public func run() async throws {
        let (signals, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { continuation.yield() }
        source.resume()
        defer {
            source.cancel()
            signal(SIGHUP, SIG_DFL)
        }
        await withGracefulShutdownHandler {
            for await _ in signals {
                logger.info("SIGHUP: reloading certificates")
                await onReload()
            }
        } onGracefulShutdown: {
            continuation.finish()
        }
    }
}

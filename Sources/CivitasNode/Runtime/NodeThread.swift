import Dispatch
import NIOCore
import NIOPosix

/// A thread of the node's own, used as the node runtime actor's executor:
/// storage calls block it (fsync), not Swift's cooperative pool, which the
/// HTTP APIs and everything else share.
final class NodeThread: Sendable {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let loop: any EventLoop

    init() { loop = group.next() }

    var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    /// The thread ends with the runtime that owns it (after its last job).
    deinit {
        group.shutdownGracefully { _ in }
    }
}

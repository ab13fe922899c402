import CivitasCodec
import CivitasStorage
import Foundation
import Hummingbird
import ServiceLifecycle
import Synchronization

/// `/v1/board/events`: server-sent events, one `block` event each time a block
/// is applied here (and one for the head on connect), so an open page learns of
/// new records without polling. A stream ends when the client goes, or at
/// graceful shutdown, so SIGTERM never waits on an open page.
final class BoardEventStreams: Sendable {
    private let limit: Int
    private let heartbeat: Duration
    private let open = Mutex(0)

    init(limit: Int, heartbeat: Duration) {
        self.limit = limit
        self.heartbeat = heartbeat
    }

    /// The streaming response, or a 503 when `limit` streams are open already.
    func open(state: StateDatabase) throws -> Response {
        let admitted = open.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard admitted else {
            throw APIError(.serviceUnavailable, "\(limit) event streams are open on this node already; try again later")
        }
        let (lines, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(8))
        // The count drops when the stream ends for whatever reason: finished, the client gone, or never written.
        Self.produce(into: continuation, heads: state.appliedHeads(), heartbeat: heartbeat) { [self] in
            open.withLock { $0 -= 1 }
        }
        let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { continuation.finish() }
            try await withGracefulShutdownHandler {
                for await line in lines { try await writer.write(ByteBuffer(string: line)) }
            } onGracefulShutdown: {
                continuation.finish()
            }
            try await writer.finish(nil)
        })
    }

    /// Feeds the stream's text: a retry hint, then each head as an event, with
    /// comment lines between them when idle. Stops when the stream ends.
    static func produce(into continuation: AsyncStream<String>.Continuation, heads: AsyncStream<AppliedHead>,
                        heartbeat: Duration, onEnd: @escaping @Sendable () -> Void) {
        continuation.yield("retry: 3000\n\n")
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await head in heads { continuation.yield(Self.event(head)) }
                    continuation.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: heartbeat)
                        continuation.yield(": idle\n\n")
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        continuation.onTermination = { _ in
            task.cancel()
            onEnd()
        }
    }

    static func event(_ head: AppliedHead) -> String {
        let body = BoardHeadEvent(height: head.height, hash: head.hash.hex, time: head.time)
        let json = (try? JSONBody.encoder().encode(body)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "id: \(head.height)\nevent: block\ndata: \(json)\n\n"
    }
}

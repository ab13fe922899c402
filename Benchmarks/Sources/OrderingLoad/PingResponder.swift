// Answers etcd's HTTP/2 PINGs below swift-nio-http2.
//
// etcd's gRPC server (grpc-go) sends a PING for bandwidth-delay estimation
// after most reads under load, hundreds a second. swift-nio-http2 counts
// inbound PING and SETTINGS frames against a fixed DoS limit (200 in 30 s,
// not configurable through grpc-swift-nio-transport 2.9.2), and past it sends
// GOAWAY ENHANCE_YOUR_CALM and drops the connection with every call on it:
// measured here, every 0.5-0.7 s at 1,500 writes/s, failing 2-5% of requests.
// This handler sits between the socket and the HTTP/2 handler, acknowledges
// each non-ACK PING at once (as a Go client does) and passes every other frame
// up unchanged, so the connection behaves as it would for etcd's own clients.
// ORDERING_TRACE_ERRORS=1 also logs GOAWAY/RST_STREAM frames and closes.
import Foundation
import NIOCore

final class PingResponder: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var inbound = ByteBuffer()
    /// Bytes of outbound frames still expected before a frame boundary
    /// (the HTTP/2 handler may write a frame's header and payload separately).
    private var outboundRemaining = 0
    private var outboundHeader: [UInt8] = []
    private var prefaceLeft = 24
    private var queuedAcks: [ByteBuffer] = []
    private var pingsAnswered = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var b = unwrapInboundIn(data)
        inbound.writeBuffer(&b)
        var forward = context.channel.allocator.buffer(capacity: inbound.readableBytes)
        while inbound.readableBytes >= 9 {
            let i = inbound.readerIndex
            let len = Int(inbound.getInteger(at: i, as: UInt32.self)! >> 8)
            guard inbound.readableBytes >= 9 + len else { break }
            let type = inbound.getInteger(at: i + 3, as: UInt8.self)!
            let flags = inbound.getInteger(at: i + 4, as: UInt8.self)!
            if type == 6 && flags & 1 == 0 && len == 8 {
                var ack = context.channel.allocator.buffer(capacity: 17)
                ack.writeBytes([0, 0, 8, 6, 1, 0, 0, 0, 0])
                ack.writeBytes(inbound.getBytes(at: i + 9, length: 8)!)
                queuedAcks.append(ack)
                pingsAnswered += 1
            } else {
                if traceErrors && (type == 7 || type == 3) {
                    let a = inbound.getInteger(at: i + 9, as: UInt32.self)!
                    let code = type == 7 ? inbound.getInteger(at: i + 13, as: UInt32.self)! : a
                    trace("server sends \(type == 7 ? "GOAWAY" : "RST_STREAM") code \(code)")
                }
                forward.writeBytes(inbound.readableBytesView[i..<(i + 9 + len)])
            }
            inbound.moveReaderIndex(forwardBy: 9 + len)
        }
        inbound.discardReadBytes()
        sendAcksAtBoundary(context: context, flush: true)
        if forward.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(forward)) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Follow outbound frame boundaries so an ACK never lands inside a frame.
        let b = unwrapOutboundIn(data)
        var view = b.readableBytesView[...]
        if prefaceLeft > 0 {
            let n = min(prefaceLeft, view.count)
            prefaceLeft -= n
            view = view.dropFirst(n)
        }
        while !view.isEmpty {
            if outboundRemaining > 0 {
                let n = min(outboundRemaining, view.count)
                outboundRemaining -= n
                view = view.dropFirst(n)
            } else {
                let need = 9 - outboundHeader.count
                outboundHeader.append(contentsOf: view.prefix(need))
                view = view.dropFirst(min(need, view.count))
                if outboundHeader.count == 9 {
                    let len = Int(outboundHeader[0]) << 16 | Int(outboundHeader[1]) << 8 | Int(outboundHeader[2])
                    if traceErrors && outboundHeader[3] == 7 { trace("client sends GOAWAY") }
                    outboundHeader.removeAll(keepingCapacity: true)
                    outboundRemaining = len
                }
            }
        }
        context.write(data, promise: promise)
        sendAcksAtBoundary(context: context, flush: false)
    }

    private func sendAcksAtBoundary(context: ChannelHandlerContext, flush: Bool) {
        guard !queuedAcks.isEmpty, prefaceLeft == 0, outboundRemaining == 0, outboundHeader.isEmpty else { return }
        for ack in queuedAcks { context.write(wrapOutboundOut(ack), promise: nil) }
        queuedAcks.removeAll(keepingCapacity: true)
        if flush { context.flush() }
    }

    func flush(context: ChannelHandlerContext) {
        sendAcksAtBoundary(context: context, flush: false)
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if traceErrors { trace("client closes the connection (\(pingsAnswered) pings answered)") }
        context.close(mode: mode, promise: promise)
    }

    private func trace(_ s: String) {
        FileHandle.standardError.write(Data("http2: \(s)\n".utf8))
    }
}

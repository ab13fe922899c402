import NIOCore

/// A frame longer than the link allows, refused from its length prefix alone.
struct FrameTooLarge: Error, CustomStringConvertible {
    let length: Int
    let limit: Int
    var description: String { "frame of \(length) bytes announced, larger than \(limit)" }
}

/// Splits the byte stream into frames of a 4-byte big-endian length and
/// that many bytes, refusing a length above `maxFrameBytes` as soon as the
/// prefix arrives. (swift-nio-extras' `LengthFieldBasedFrameDecoder` would
/// buffer whatever length a peer announces before handing the frame on; the
/// encoder side, `LengthFieldPrepender`, is used as it is.)
struct BoundedFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let maxFrameBytes: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard Int(length) <= maxFrameBytes else { throw FrameTooLarge(length: Int(length), limit: maxFrameBytes) }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        let frame = buffer.readSlice(length: Int(length))!
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

import NIOCore

/// A frame longer than the link allows, refused from its length prefix alone.
struct FrameTooLarge: Error, CustomStringConvertible {
    let length: Int
    let limit: Int
    var description: String { "frame of \(length) bytes announced, larger than \(limit)" }
}

/// What the frame reader hands the link.
enum InboundFrame {
    /// A message frame: its class and payload, already in the array the node
    /// receives. `frameBytes` is the frame's length (kind and class included).
    case message(TrafficClass, [UInt8], frameBytes: Int)
    /// Any other frame's bytes (also a message frame whose class is unknown),
    /// for `WireFrame(decoding:)` to decode or refuse.
    case other(ByteBuffer)
}

/// Splits the decrypted byte stream into frames of a 4-byte big-endian
/// length and that many bytes, refusing a length above `maxFrameBytes` as
/// soon as the prefix arrives, before anything is allocated for the frame.
///
/// Each message payload byte is copied once after decryption, straight into
/// the array the node receives: a frame inside one read is copied out of
/// it; a frame spanning reads is appended to its payload array as its parts
/// arrive (room reserved once from the length prefix, filled and committed
/// only as bytes arrive). Nothing of TLS's read buffer is kept after a
/// read, so TLS reuses it instead of copying it on its next write into it.
/// (swift-nio-extras' `LengthFieldBasedFrameDecoder` buffers whatever length
/// a peer announces, and NIO's `ByteToMessageHandler` copies every frame
/// that spans two reads into an accumulation buffer before it is split.)
struct FrameSplitter {
    let maxFrameBytes: Int
    /// Bytes of the length prefix read so far, and their value.
    private var prefixBytes = 0
    private var prefix: UInt32 = 0
    /// The frame being read (after its prefix): its length, and how many of its bytes arrived.
    private var length: Int?
    private var have = 0
    /// Whether the frame is known to be a message (its kind and class
    /// arrived) or something else; until then its first bytes are in `other`.
    private var decided = false
    private var traffic: TrafficClass?
    /// A message's payload so far.
    private var payload: [UInt8] = []
    /// Any other frame's bytes so far.
    private var other = ByteBuffer()
    /// After an oversized prefix: nothing more is read.
    private(set) var failed = false

    init(maxFrameBytes: Int) {
        self.maxFrameBytes = maxFrameBytes
    }

    /// Takes the next bytes of the stream; hands each frame they complete to
    /// `emit`. Keeps no reference to `buffer`.
    mutating func feed(_ buffer: ByteBuffer, emit: (InboundFrame) -> Void) throws(FrameTooLarge) {
        var buffer = buffer
        while !failed, buffer.readableBytes > 0 {
            guard let length else {
                try readPrefix(from: &buffer, emit: emit)
                continue
            }
            if !decided {
                if have == 0, buffer.readableBytes >= length {
                    // The whole frame is in this read.
                    emit(Self.whole(buffer.readSlice(length: length)!))
                    self.length = nil
                    continue
                }
                // Its first bytes (up to kind and class) say what it is.
                let head = min(2, length)
                var part = buffer.readSlice(length: min(head - have, buffer.readableBytes))!
                have += part.readableBytes
                other.writeBuffer(&part)
                guard have == head else { continue }
                decided = true
                if length >= 2, other.getInteger(at: other.readerIndex, as: UInt8.self) == WireFrame.messageKind,
                   let traffic = TrafficClass(rawValue: other.getInteger(at: other.readerIndex + 1)!) {
                    self.traffic = traffic
                    other.clear()
                    payload.reserveCapacity(length - 2)
                }
            } else {
                let n = min(length - have, buffer.readableBytes)
                if traffic != nil {
                    buffer.readWithUnsafeReadableBytes { raw in
                        payload.append(contentsOf: UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n))
                        return n
                    }
                } else {
                    var part = buffer.readSlice(length: n)!
                    other.writeBuffer(&part)
                }
                have += n
            }
            if have == length { emit(finishFrame()) }
        }
    }

    /// Reads (the rest of) a length prefix; checks it against the limit.
    private mutating func readPrefix(from buffer: inout ByteBuffer, emit: (InboundFrame) -> Void) throws(FrameTooLarge) {
        if prefixBytes == 0, let whole = buffer.readInteger(as: UInt32.self) {
            prefix = whole
            prefixBytes = 4
        } else {
            while prefixBytes < 4, let byte = buffer.readInteger(as: UInt8.self) {
                prefix = prefix << 8 | UInt32(byte)
                prefixBytes += 1
            }
            guard prefixBytes == 4 else { return }
        }
        let announced = Int(prefix)
        prefix = 0
        prefixBytes = 0
        guard announced <= maxFrameBytes else {
            failed = true
            throw FrameTooLarge(length: announced, limit: maxFrameBytes)
        }
        length = announced
        have = 0
        decided = false
        if announced == 0 {
            length = nil
            emit(.other(ByteBuffer()))
        }
    }

    /// A frame that arrived in one read: a message's payload is copied out,
    /// anything else is handed on as the slice (the link decodes it at once).
    private static func whole(_ frame: ByteBuffer) -> InboundFrame {
        if frame.readableBytes >= 2, frame.getInteger(at: frame.readerIndex, as: UInt8.self) == WireFrame.messageKind,
           let traffic = TrafficClass(rawValue: frame.getInteger(at: frame.readerIndex + 1)!) {
            let payload = frame.withUnsafeReadableBytes { [UInt8](UnsafeRawBufferPointer(rebasing: $0[2...])) }
            return .message(traffic, payload, frameBytes: frame.readableBytes)
        }
        return .other(frame)
    }

    private mutating func finishFrame() -> InboundFrame {
        let frameBytes = length ?? 0
        length = nil
        have = 0
        decided = false
        if let traffic {
            self.traffic = nil
            let done = payload
            payload = []
            return .message(traffic, done, frameBytes: frameBytes)
        }
        let done = other
        other = ByteBuffer()
        return .other(done)
    }
}

/// The frame splitter in the pipeline, between TLS and the link.
final class FrameReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = InboundFrame

    private var splitter: FrameSplitter

    init(maxFrameBytes: Int) {
        splitter = FrameSplitter(maxFrameBytes: maxFrameBytes)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Frames are handed on after the splitter is done with this read, so
        // whatever the link does with them (closing, writing) never re-enters it.
        var frames: [InboundFrame] = []
        var refusal: FrameTooLarge?
        do throws(FrameTooLarge) {
            try splitter.feed(unwrapInboundIn(data)) { frames.append($0) }
        } catch {
            refusal = error
        }
        for frame in frames { context.fireChannelRead(wrapInboundOut(frame)) }
        if let refusal { context.fireErrorCaught(refusal) }
    }
}

import CivitasCodec
import CivitasLedger
@testable import CivitasNetwork
import CivitasTestSupport
import NIOCore
import Testing

/// The frame reader between TLS and the link: however the stream is cut
/// into reads, the same frames come out in order, message payloads already
/// split off; a length above the limit is refused from the prefix alone.
@Suite struct FrameSplitterTests {
    /// What came out of the splitter, comparable.
    enum Out: Equatable {
        case message(TrafficClass, [UInt8], frameBytes: Int)
        case other([UInt8])
    }

    static func out(_ frame: InboundFrame) -> Out {
        switch frame {
        case let .message(traffic, payload, frameBytes): .message(traffic, payload, frameBytes: frameBytes)
        case let .other(buffer): .other(Array(buffer.readableBytesView))
        }
    }

    static func prefixed(_ body: [UInt8]) -> [UInt8] {
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)] + body
    }

    /// Frame bodies of every shape, and what the splitter must make of each.
    static func sample(_ g: inout SplitMix64) -> [(body: [UInt8], expected: Out)] {
        let hello = WireFrame.hello(WireFrameTests.hello).encoded()
        let big = g.bytes(70_000)
        return [
            (hello, .other(hello)),
            (WireFrame.ping(7).encoded(), .other(WireFrame.ping(7).encoded())),
            ([4, 2] + big, .message(.bulk, big, frameBytes: big.count + 2)),
            ([4, 0], .message(.consensus, [], frameBytes: 2)),
            ([4, 1, 9], .message(.gossip, [9], frameBytes: 3)),
            // An unknown class and a cut-off message go to the decoder, which refuses them.
            ([4, 9, 1, 2], .other([4, 9, 1, 2])),
            ([4], .other([4])),
            ([], .other([])),
            (WireFrame.goodbye("bye").encoded(), .other(WireFrame.goodbye("bye").encoded())),
        ]
    }

    @Test func framesComeOutWholeHoweverTheStreamIsCut() throws {
        var g = SplitMix64(seed: 0xF4A3E)
        let frames = Self.sample(&g)
        let stream = frames.flatMap { Self.prefixed($0.body) }
        // Cut sizes from single bytes to several frames at once.
        for maxCut in [1, 2, 3, 5, 7, 64, 1_000, 16_384, 100_000] {
            var splitter = FrameSplitter(maxFrameBytes: 1 << 20)
            var seen: [Out] = []
            var at = 0
            while at < stream.count {
                let n = min(stream.count - at, g.int(1...maxCut))
                try splitter.feed(ByteBuffer(bytes: stream[at..<(at + n)])) { seen.append(Self.out($0)) }
                at += n
            }
            #expect(seen == frames.map(\.expected), "cuts up to \(maxCut) bytes")
        }
    }

    @Test func aLengthAboveTheLimitIsRefusedFromThePrefixAlone() {
        var splitter = FrameSplitter(maxFrameBytes: 1_000)
        var seen: [Out] = []
        // One good frame, then a prefix announcing 1,001 bytes, cut mid-prefix.
        let good = Self.prefixed([4, 1, 5])
        #expect(throws: Never.self) { try splitter.feed(ByteBuffer(bytes: good + [0, 0])) { seen.append(Self.out($0)) } }
        #expect(seen == [.message(.gossip, [5], frameBytes: 3)])
        var refused: FrameTooLarge?
        do throws(FrameTooLarge) {
            try splitter.feed(ByteBuffer(bytes: [0x03, 0xE9])) { seen.append(Self.out($0)) }
        } catch {
            refused = error
        }
        #expect(refused?.length == 1_001)
        #expect(splitter.failed)
        // Nothing after the refusal is read.
        #expect(throws: Never.self) { try splitter.feed(ByteBuffer(bytes: Self.prefixed([4, 1, 6]))) { seen.append(Self.out($0)) } }
        #expect(seen.count == 1)
    }

    @Test func theLimitItselfIsAccepted() throws {
        var splitter = FrameSplitter(maxFrameBytes: 1_000)
        var seen: [Out] = []
        let body = [4, 2] + [UInt8](repeating: 3, count: 998)
        try splitter.feed(ByteBuffer(bytes: Self.prefixed(body))) { seen.append(Self.out($0)) }
        #expect(seen == [.message(.bulk, [UInt8](repeating: 3, count: 998), frameBytes: 1_000)])
    }

    @Test func randomStreamsNeverCrashTheSplitter() {
        var g = SplitMix64(seed: 0xBAD5EED)
        for _ in 0..<2_000 {
            var splitter = FrameSplitter(maxFrameBytes: 4_096)
            let bytes = g.bytes(g.int(0...512))
            var at = 0
            while at < bytes.count {
                let n = min(bytes.count - at, g.int(1...64))
                do throws(FrameTooLarge) {
                    try splitter.feed(ByteBuffer(bytes: bytes[at..<(at + n)])) { _ in }
                } catch {
                    #expect(error.length > 4_096)
                }
                at += n
            }
        }
    }
}

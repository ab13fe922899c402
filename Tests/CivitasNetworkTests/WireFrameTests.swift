import CivitasCodec
import CivitasLedger
import CivitasNetwork
import CivitasTestSupport
import Testing

/// The link's own frames: every kind round-trips; truncated, padded and
/// random input is refused with a codec error, never a crash.
@Suite struct WireFrameTests {
    static let hello = Hello(node: NodeID(raw: Bytes16(Array(0..<16))!), community: CommunityID("ward-7")!, role: .gateway,
                             listenAddress: "10.0.0.7:7400")

    static let frames: [WireFrame] = [
        .hello(hello), .ping(0), .ping(UInt64.max), .pong(42),
        .message(.consensus, []), .message(.gossip, [1, 2, 3]), .message(.bulk, [UInt8](repeating: 9, count: 5000)),
        .goodbye("node shutting down"),
    ]

    static func decode(_ bytes: [UInt8]) -> Result<WireFrame, CodecError> {
        do { return .success(try WireFrame(decoding: bytes)) } catch { return .failure(error) }
    }

    @Test func everyFrameRoundTrips() throws {
        for frame in Self.frames {
            #expect(try WireFrame(decoding: frame.encoded()) == frame)
        }
    }

    /// A message's payload is the rest of the frame, so only the fixed-layout
    /// frames can be checked for cut-offs and extra bytes.
    @Test func truncatedOrPaddedFixedFramesAreRefused() {
        for frame in Self.frames {
            if case .message = frame { continue }
            let bytes = frame.encoded()
            for cut in 0..<bytes.count {
                guard case .failure = Self.decode(Array(bytes[..<cut])) else {
                    Issue.record("\(frame) cut at \(cut) decoded")
                    continue
                }
            }
            guard case .failure = Self.decode(bytes + [0]) else {
                Issue.record("\(frame) with a trailing byte decoded")
                continue
            }
        }
    }

    @Test func unknownKindsClassesRolesAndVersionsAreRefusedWithTheField() {
        #expect(Self.decode([0x7F]).failureText.contains("frame.kind"))
        #expect(Self.decode([4, 9, 1, 2]).failureText.contains("frame.class"))
        var hello = WireFrame.hello(Self.hello).encoded()
        // minimum above maximum
        hello[1] = 5
        #expect(Self.decode(hello).failureText.contains("hello.versions"))
        var roleBad = WireFrame.hello(Self.hello).encoded()
        let roleOffset = roleBad.count - 1 - 1 - "10.0.0.7:7400".utf8.count
        roleBad[roleOffset] = 9
        #expect(Self.decode(roleBad).failureText.contains("hello.role"))
    }

    @Test func randomBytesNeverCrashTheDecoder() {
        var g = SplitMix64(seed: 0x5EED)
        var refused = 0
        for _ in 0..<20_000 {
            let bytes = g.bytes(g.int(0...64))
            if case .failure = Self.decode(bytes) { refused += 1 }
        }
        #expect(refused > 10_000)
    }

    @Test func versionsAgreeOnTheHighestCommonOne() {
        var a = Self.hello, b = Self.hello
        a.minVersion = 1; a.maxVersion = 3
        b.minVersion = 2; b.maxVersion = 5
        #expect(a.agreedVersion(with: b) == 3)
        b.minVersion = 4
        #expect(a.agreedVersion(with: b) == nil)
    }
}

extension Result where Failure == CodecError {
    var failureText: String {
        if case let .failure(error) = self { return "\(error)" }
        return "decoded"
    }
}

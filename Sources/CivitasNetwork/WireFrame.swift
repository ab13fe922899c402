public import CivitasCodec
public import CivitasLedger

/// The traffic classes a link carries, highest priority first. A peer's send
/// queue always drains consensus traffic before gossip, and gossip before
/// bulk catch-up, so a node serving a block range never delays a vote.
public enum TrafficClass: UInt8, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// Raft messages and block signatures.
    case consensus = 0
    /// Membership and dissemination (transactions, blocks, checkpoints).
    case gossip = 1
    /// Block ranges for a node that is behind.
    case bulk = 2

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .consensus: "consensus"
        case .gossip: "gossip"
        case .bulk: "bulk"
        }
    }
}

/// What a node says first on every connection, after TLS: who it claims to
/// be (checked against its certificate), which protocol versions it speaks,
/// and where it listens.
public struct Hello: Sendable, Hashable, CanonicalCodable {
    /// Versions this build speaks; a link uses the highest both speak.
    public static let supportedVersions: ClosedRange<UInt16> = 1...1
    /// Capability bits (none defined yet; unknown bits are ignored, so later
    /// builds can add features without a version bump).
    public struct Capabilities: OptionSet, Sendable, Hashable {
        public let rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }
    }

    public var minVersion: UInt16
    public var maxVersion: UInt16
    public var capabilities: Capabilities
    public var node: NodeID
    public var community: CommunityID
    public var role: NodeRole
    /// "host:port" where this node accepts connections; empty if it does not listen.
    public var listenAddress: String

    public init(node: NodeID, community: CommunityID, role: NodeRole, listenAddress: String,
                versions: ClosedRange<UInt16> = Hello.supportedVersions, capabilities: Capabilities = []) {
        minVersion = versions.lowerBound
        maxVersion = versions.upperBound
        self.capabilities = capabilities
        self.node = node
        self.community = community
        self.role = role
        self.listenAddress = listenAddress
    }

    /// The version two hellos agree on, or nil if their ranges do not meet.
    public func agreedVersion(with other: Hello) -> UInt16? {
        let low = max(minVersion, other.minVersion), high = min(maxVersion, other.maxVersion)
        return low <= high ? high : nil
    }

    public func encode(to w: inout ByteWriter) {
        w.writeVarint(minVersion)
        w.writeVarint(maxVersion)
        w.writeVarint(capabilities.rawValue)
        w.write(node)
        w.write(community)
        w.writeByte(role.rawValue)
        w.writeString(listenAddress)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        minVersion = try r.readVarint(as: UInt16.self)
        maxVersion = try r.readVarint(as: UInt16.self)
        guard minVersion <= maxVersion else { throw r.invalid("hello.versions", "minimum \(minVersion) above maximum \(maxVersion)") }
        capabilities = Capabilities(rawValue: try r.readVarint())
        node = try r.read()
        community = try r.read()
        let roleByte = try r.readByte()
        guard let role = NodeRole(rawValue: roleByte) else { throw r.invalid("hello.role", "unknown role \(roleByte)") }
        self.role = role
        listenAddress = try r.readString(limit: 300)
    }

    public static var minEncodedSize: Int { 1 + 1 + 1 + NodeID.minEncodedSize + CommunityID.minEncodedSize + 1 + 1 }
}

/// One frame on a link (the bytes inside the 4-byte length prefix).
public enum WireFrame: Sendable, Hashable {
    /// The first frame each side sends.
    case hello(Hello)
    /// Keepalive: answered with `pong` carrying the same nonce.
    case ping(UInt64)
    case pong(UInt64)
    /// Application bytes (a gossip or Raft message, a block range).
    case message(TrafficClass, [UInt8])
    /// The sender is closing the link, and why.
    case goodbye(String)

    /// The first byte of a message frame (the link writes those without `encoded()`).
    static let messageKind = Kind.message.rawValue

    enum Kind: UInt8 {
        case hello = 1, ping = 2, pong = 3, message = 4, goodbye = 5
    }

    /// The frame's bytes.
    public func encoded() -> [UInt8] {
        var counter = ByteWriter.counting()
        encode(to: &counter)
        var bytes = [UInt8](repeating: 0, count: counter.position)
        bytes.withUnsafeMutableBytes { raw in
            var w = ByteWriter(writingInto: raw)
            encode(to: &w)
        }
        return bytes
    }

    func encode(to w: inout ByteWriter) {
        switch self {
        case let .hello(hello):
            w.writeByte(Kind.hello.rawValue)
            w.write(hello)
        case let .ping(nonce):
            w.writeByte(Kind.ping.rawValue)
            w.writeVarint(nonce)
        case let .pong(nonce):
            w.writeByte(Kind.pong.rawValue)
            w.writeVarint(nonce)
        case let .message(traffic, payload):
            w.writeByte(Kind.message.rawValue)
            w.writeByte(traffic.rawValue)
            payload.withUnsafeBytes { w.writeRaw($0) }
        case let .goodbye(reason):
            w.writeByte(Kind.goodbye.rawValue)
            w.writeString(String(reason.utf8.prefix(200)) ?? "")
        }
    }

    /// Decodes one frame; any malformed input is a `CodecError` naming the field.
    public init(decoding bytes: UnsafeRawBufferPointer) throws(CodecError) {
        var r = ByteReader(bytes)
        let kindByte = try r.readByte()
        guard let kind = Kind(rawValue: kindByte) else { throw r.invalid("frame.kind", "unknown frame kind \(kindByte)") }
        switch kind {
        case .hello:
            self = .hello(try r.read())
        case .ping:
            self = .ping(try r.readVarint())
        case .pong:
            self = .pong(try r.readVarint())
        case .message:
            let classByte = try r.readByte()
            guard let traffic = TrafficClass(rawValue: classByte) else { throw r.invalid("frame.class", "unknown traffic class \(classByte)") }
            let rest = r.remaining
            let start = try r.take(rest)
            self = .message(traffic, [UInt8](UnsafeRawBufferPointer(start: start, count: rest)))
            return
        case .goodbye:
            self = .goodbye(try r.readString(limit: 200))
        }
        try r.finish()
    }

    public init(decoding bytes: [UInt8]) throws(CodecError) {
        var result: Result<WireFrame, CodecError> = .failure(CodecError(.truncated, at: 0))
        bytes.withUnsafeBytes { raw in
            do throws(CodecError) { result = .success(try WireFrame(decoding: raw)) } catch { result = .failure(error) }
        }
        self = try result.get()
    }
}

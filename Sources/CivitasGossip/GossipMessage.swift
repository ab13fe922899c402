public import CivitasCodec
public import CivitasLedger

/// What a dissemination message is about. Community topics travel inside a
/// community's overlay; city topics travel between gateways.
public enum GossipTopic: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Signed transactions on their way to the Raft leader.
    case communityTransactions = 0
    /// Sealed blocks (block + commit certificate).
    case communityBlocks = 1
    /// Validators' signatures on block headers, before a certificate is complete.
    case blockSignatures = 2
    /// Communities' signed heads, exchanged city-wide.
    case cityCheckpoints = 3
    /// Requests and resources passed between communities.
    case cityReferrals = 4

    /// True for the topics a community's own overlay carries.
    public var isCommunityTopic: Bool { rawValue <= 2 }

    public var description: String {
        switch self {
        case .communityTransactions: return "community-transactions"
        case .communityBlocks: return "community-blocks"
        case .blockSignatures: return "block-signatures"
        case .cityCheckpoints: return "city-checkpoints"
        case .cityReferrals: return "city-referrals"
        }
    }
}

/// A dissemination message's name: SHA-256(topic byte ‖ payload). Receivers
/// recompute it, so a peer cannot make one payload shadow another.
public typealias MessageID = Hash

extension MessageID {
    /// The ID of `payload` published on `topic`.
    public static func of(topic: GossipTopic, payload: [UInt8]) -> MessageID {
        payload.withUnsafeBytes { Hashing.sha256(prefix: topic.rawValue, $0) }
    }
}

/// Protocol maxima of the gossip wire format (part of the format: a decoder
/// refuses a longer field before allocating it). See docs/gossip.md.
public enum GossipLimits {
    /// Membership updates piggybacked on one SWIM message or carried by one sync.
    public static let updates = 512
    /// Announcements in one IHAVE.
    public static let announcements = 1024
    /// Members named in one push-pull digest (the membership core's maximum).
    public static let digestMembers = 4_096
    /// Message IDs in one GRAFT.
    public static let graftIDs = 256
    /// Bytes of one dissemination payload (a sealed block of a busy community fits).
    public static let payloadBytes = 4 << 20
    /// Blocks in one block-sync response.
    public static let blocksPerResponse = 256
}

/// One change to a member's state, piggybacked on SWIM messages.
public enum MembershipUpdate: Sendable, Hashable, CanonicalCodable {
    /// The member is alive at `incarnation`; the record says where to reach it.
    case alive(incarnation: UInt64, record: PeerRecord)
    /// `by` suspects `node` at `incarnation`.
    case suspect(node: NodeID, incarnation: UInt64, by: NodeID)
    /// `by` declared `node` dead at `incarnation` (`by == node`: a graceful leave).
    case dead(node: NodeID, incarnation: UInt64, by: NodeID)

    /// The member this update is about.
    public var node: NodeID {
        switch self {
        case let .alive(_, record): return record.nodeID
        case let .suspect(node, _, _), let .dead(node, _, _): return node
        }
    }

    public func encode(to w: inout ByteWriter) {
        switch self {
        case let .alive(incarnation, record):
            w.writeByte(0); w.writeVarint(incarnation); record.encode(to: &w)
        case let .suspect(node, incarnation, by):
            w.writeByte(1); w.write(node); w.writeVarint(incarnation); w.write(by)
        case let .dead(node, incarnation, by):
            w.writeByte(2); w.write(node); w.writeVarint(incarnation); w.write(by)
        }
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        switch try r.readTag("membership update", count: 3) {
        case 0:
            let incarnation = try r.readVarint()
            self = .alive(incarnation: incarnation, record: try PeerRecord(from: &r))
        case 1:
            self = .suspect(node: try r.read(), incarnation: try r.readVarint(), by: try r.read())
        default:
            self = .dead(node: try r.read(), incarnation: try r.readVarint(), by: try r.read())
        }
    }

    public static var minEncodedSize: Int { 1 + 16 + 1 + 16 }
}

/// One member as a push-pull digest names it: enough to tell who knows
/// better without sending the signed record (about 20 bytes instead of 150).
public struct MemberDigest: Sendable, Hashable, CanonicalCodable {
    public var node: NodeID
    public var incarnation: UInt64
    public var state: MemberState
    /// The sequence of the member's signed record held by the sender.
    public var recordSequence: UInt64

    public init(node: NodeID, incarnation: UInt64, state: MemberState, recordSequence: UInt64) {
        self.node = node
        self.incarnation = incarnation
        self.state = state
        self.recordSequence = recordSequence
    }

    public func encode(to w: inout ByteWriter) {
        w.write(node); w.writeVarint(incarnation)
        switch state {
        case .alive: w.writeByte(0)
        case .suspect: w.writeByte(1)
        case .dead: w.writeByte(2)
        }
        w.writeVarint(recordSequence)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        node = try r.read()
        incarnation = try r.readVarint()
        switch try r.readTag("member state", count: 3) {
        case 0: state = .alive
        case 1: state = .suspect
        default: state = .dead
        }
        recordSequence = try r.readVarint()
    }

    public static var minEncodedSize: Int { 16 + 1 + 1 + 1 }
}

/// One IHAVE entry: "I have message `id` on `topic`, received `round` hops from its origin".
public struct Announcement: Sendable, Hashable, CanonicalCodable {
    public var topic: GossipTopic
    public var round: UInt32
    public var id: MessageID

    public init(topic: GossipTopic, round: UInt32, id: MessageID) {
        self.topic = topic
        self.round = round
        self.id = id
    }

    public func encode(to w: inout ByteWriter) { w.writeByte(topic.rawValue); w.writeVarint(round); w.write(id) }
    public init(from r: inout ByteReader) throws(CodecError) {
        topic = GossipTopic(rawValue: try r.readTag("gossip topic", count: UInt8(GossipTopic.allCases.count)))!
        round = try r.readVarint(as: UInt32.self)
        id = try r.read()
    }
    public static var minEncodedSize: Int { 1 + 1 + 32 }
}

/// Every message the gossip cores exchange (object type 0x70, version 1): the
/// SWIM membership protocol, Plumtree dissemination and block sync share one
/// envelope so the network shell needs one decoder. Layouts: docs/gossip.md.
public enum GossipMessage: Sendable, Hashable, CanonicalObject {
    public static var typeTag: UInt8 { 0x70 }
    public static var formatVersion: UInt8 { 1 }

    /// SWIM direct probe.
    case ping(sequence: UInt64, updates: [MembershipUpdate])
    /// Answer to a ping (direct, or relayed by the member asked to probe).
    case ack(sequence: UInt64, updates: [MembershipUpdate])
    /// Asks the receiver to probe `target` on the sender's behalf.
    case pingRequest(sequence: UInt64, target: NodeID, updates: [MembershipUpdate])
    /// Lifeguard: the relay could not reach the target in time (it is alive itself).
    case nack(sequence: UInt64)
    /// Push-pull state exchange on join and with seeds; `reply` marks the answer.
    case sync(reply: Bool, updates: [MembershipUpdate])
    /// Plumtree eager push of a payload.
    case gossip(topic: GossipTopic, round: UInt32, id: MessageID, payload: [UInt8])
    /// Plumtree lazy announcements.
    case ihave([Announcement])
    /// Plumtree: send me these and keep me on your eager list (no IDs: only the latter).
    case graft([MessageID])
    /// Plumtree: move me to your lazy list.
    case prune
    /// Block sync: the sender's committed height and head.
    case chainStatus(height: UInt64, head: Hash)
    /// Block sync: send blocks `start ..< start + count`.
    case blockRequest(requestID: UInt64, start: UInt64, count: UInt32)
    /// Block sync: the blocks asked for, ascending from the request's start (fewer if the sender has fewer).
    case blockResponse(requestID: UInt64, blocks: [SealedBlock])
    /// Periodic push-pull, compact: what the sender knows of every member
    /// (itself included). The receiver answers with a `sync` (reply) of what it
    /// knows better and, unless this is the `reply`, its own digest.
    case digest(reply: Bool, members: [MemberDigest])

    /// Short name for logs and metrics.
    public var kindName: String {
        switch self {
        case .ping: return "ping"
        case .ack: return "ack"
        case .pingRequest: return "ping-request"
        case .nack: return "nack"
        case .sync: return "sync"
        case .gossip: return "gossip"
        case .ihave: return "ihave"
        case .graft: return "graft"
        case .prune: return "prune"
        case .chainStatus: return "chain-status"
        case .blockRequest: return "block-request"
        case .blockResponse: return "block-response"
        case .digest: return "digest"
        }
    }

    public func encode(to w: inout ByteWriter) {
        switch self {
        case let .ping(sequence, updates):
            w.writeByte(0); w.writeVarint(sequence); w.writeList(updates)
        case let .ack(sequence, updates):
            w.writeByte(1); w.writeVarint(sequence); w.writeList(updates)
        case let .pingRequest(sequence, target, updates):
            w.writeByte(2); w.writeVarint(sequence); w.write(target); w.writeList(updates)
        case let .nack(sequence):
            w.writeByte(3); w.writeVarint(sequence)
        case let .sync(reply, updates):
            w.writeByte(4); w.writeBool(reply); w.writeList(updates)
        case let .gossip(topic, round, id, payload):
            w.writeByte(5); w.writeByte(topic.rawValue); w.writeVarint(round); w.write(id); w.writeLengthPrefixed(payload)
        case let .ihave(announcements):
            w.writeByte(6); w.writeList(announcements)
        case let .graft(ids):
            w.writeByte(7); w.writeList(ids)
        case .prune:
            w.writeByte(8)
        case let .chainStatus(height, head):
            w.writeByte(9); w.writeVarint(height); w.write(head)
        case let .blockRequest(requestID, start, count):
            w.writeByte(10); w.writeVarint(requestID); w.writeVarint(start); w.writeVarint(count)
        case let .blockResponse(requestID, blocks):
            w.writeByte(11); w.writeVarint(requestID); w.writeList(blocks)
        case let .digest(reply, members):
            w.writeByte(12); w.writeBool(reply); w.writeList(members)
        }
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        switch try r.readTag("gossip message kind", count: 13) {
        case 0:
            self = .ping(sequence: try r.readVarint(), updates: try r.readList(limit: GossipLimits.updates))
        case 1:
            self = .ack(sequence: try r.readVarint(), updates: try r.readList(limit: GossipLimits.updates))
        case 2:
            self = .pingRequest(sequence: try r.readVarint(), target: try r.read(), updates: try r.readList(limit: GossipLimits.updates))
        case 3:
            self = .nack(sequence: try r.readVarint())
        case 4:
            self = .sync(reply: try r.readBool(), updates: try r.readList(limit: GossipLimits.updates))
        case 5:
            let topic = GossipTopic(rawValue: try r.readTag("gossip topic", count: UInt8(GossipTopic.allCases.count)))!
            let round = try r.readVarint(as: UInt32.self)
            let id: MessageID = try r.read()
            self = .gossip(topic: topic, round: round, id: id, payload: try r.readLengthPrefixed(limit: GossipLimits.payloadBytes))
        case 6:
            let at = r.offset
            let list: [Announcement] = try r.readList(limit: GossipLimits.announcements)
            guard !list.isEmpty else { throw CodecError(.invalidValue(field: "announcements", reason: "an IHAVE announces at least one message"), at: at) }
            self = .ihave(list)
        case 7:
            // An empty GRAFT only asks to become an eager link (Plumtree's tree optimisation).
            self = .graft(try r.readList(limit: GossipLimits.graftIDs))
        case 8:
            self = .prune
        case 9:
            self = .chainStatus(height: try r.readVarint(), head: try r.read())
        case 10:
            let requestID = try r.readVarint()
            let start = try r.readVarint()
            let count = UInt32(try r.readVarint("block request count", in: 1...UInt64(GossipLimits.blocksPerResponse)))
            self = .blockRequest(requestID: requestID, start: start, count: count)
        case 11:
            let requestID = try r.readVarint()
            self = .blockResponse(requestID: requestID, blocks: try r.readList(limit: GossipLimits.blocksPerResponse))
        default:
            self = .digest(reply: try r.readBool(), members: try r.readList(limit: GossipLimits.digestMembers))
        }
    }

    public static var minEncodedSize: Int { 1 }
}

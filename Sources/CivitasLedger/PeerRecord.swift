public import CivitasCodec

/// What a node does in its community.
public enum NodeRole: UInt8, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Votes in Raft and signs blocks.
    case validator = 0
    /// Replicates and serves the chain; votes on nothing.
    case observer = 1
    /// An observer that also links to other communities (checkpoints, referrals).
    case gateway = 2

    public var description: String {
        switch self {
        case .validator: return "validator"
        case .observer: return "observer"
        case .gateway: return "gateway"
        }
    }
}

/// A node's signed statement of where it can be reached (type 0x30), exchanged during discovery.
public struct PeerRecord: Sendable, Codable, CanonicalObject, CanonicalIdentity {
    public static var typeTag: UInt8 { 0x30 }
    public static var formatVersion: UInt8 { 1 }

    /// The node's public key (its node ID is derived from it).
    public var nodeKey: PublicKey { didSet { nodeID = nodeKey.nodeID } }
    public var community: CommunityID
    public var role: NodeRole
    /// "host:port" strings, most preferred first, 1 to 16.
    public var addresses: [String]
    /// Increases with every new record from the node; a higher one replaces a lower.
    public var sequence: UInt64
    /// When the node signed it.
    public var time: Timestamp
    /// The node's signature in the peer-record domain over everything above.
    public var signature: Signature
    /// The node ID, derived from `nodeKey` once (a hash: discovery asks for it at every step).
    public private(set) var nodeID: NodeID

    /// Builds and signs a record.
    public init(key: SigningKey, community: CommunityID, role: NodeRole, addresses: [String], sequence: UInt64, time: Timestamp) {
        nodeKey = key.publicKey
        nodeID = key.publicKey.nodeID
        self.community = community
        self.role = role
        self.addresses = addresses
        self.sequence = sequence
        self.time = time
        signature = Signature()
        signature = key.sign(signingMessage, domain: .peerRecord)
    }

    /// Equal when the encodings are (`CanonicalIdentity`), compared field by
    /// field without encoding: names and addresses byte for byte.
    public static func == (a: PeerRecord, b: PeerRecord) -> Bool {
        a.nodeKey == b.nodeKey && a.sequence == b.sequence && a.time == b.time && a.role == b.role && a.signature == b.signature
            && a.community.name.utf8.elementsEqual(b.community.name.utf8)
            && a.addresses.elementsEqual(b.addresses) { $0.utf8.elementsEqual($1.utf8) }
    }

    private enum CodingKeys: String, CodingKey { case nodeKey, community, role, addresses, sequence, time, signature }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        nodeKey = try c.decode(PublicKey.self, forKey: .nodeKey)
        nodeID = nodeKey.nodeID
        community = try c.decode(CommunityID.self, forKey: .community)
        role = try c.decode(NodeRole.self, forKey: .role)
        addresses = try c.decode([String].self, forKey: .addresses)
        sequence = try c.decode(UInt64.self, forKey: .sequence)
        time = try c.decode(Timestamp.self, forKey: .time)
        signature = try c.decode(Signature.self, forKey: .signature)
    }

    /// The record's encoding without the signature.
    public var signingMessage: [UInt8] {
        var copy = self
        copy.signature = Signature()
        var bytes = copy.encoded()
        bytes.removeLast(Signature.byteCount)
        return bytes
    }

    /// True if `signature` is the node's over this record.
    public func hasValidSignature(using verifier: SignatureVerifier = .direct) -> Bool {
        verifier.isValid(signature, by: nodeKey, for: signingMessage, domain: .peerRecord)
    }

    public func encode(to w: inout ByteWriter) {
        w.write(nodeKey)
        w.write(community)
        w.writeByte(role.rawValue)
        w.writeVarint(UInt64(addresses.count))
        for a in addresses { w.writeString(a) }
        w.writeVarint(sequence)
        w.writeVarint(time)
        w.write(signature)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        nodeKey = try r.read()
        nodeID = nodeKey.nodeID
        community = try r.read()
        role = NodeRole(rawValue: try r.readTag("node role", count: 3))!
        let at = r.offset
        let n = try r.readCount(limit: FieldLimits.addresses, minElementSize: 2)
        guard n >= 1 else { throw CodecError(.invalidValue(field: "addresses", reason: "a peer record needs at least one address"), at: at) }
        var list: [String] = []
        for _ in 0..<n { list.append(try r.readString(limit: FieldLimits.address)) }
        addresses = list
        sequence = try r.readVarint()
        time = try r.readVarint()
        signature = try r.read()
    }

    public static var minEncodedSize: Int { 32 + 2 + 1 + 3 + 1 + 1 + 64 }
}

public import CivitasCodec

/// A validator designated by genesis: the subject it serves and the node key it signs with.
public struct ValidatorEntry: Sendable, Codable, CanonicalCodable, CanonicalIdentity {
    /// e.g. "Residents' Committee".
    public var name: String
    /// The designated subject (residents' committee, party branch …).
    public var subject: PublicKey
    /// The key of the node that votes and signs blocks for it.
    public var nodeKey: PublicKey

    public init(name: String, subject: PublicKey, nodeKey: PublicKey) {
        self.name = name
        self.subject = subject
        self.nodeKey = nodeKey
    }

    public func encode(to w: inout ByteWriter) { w.writeString(name); w.write(subject); w.write(nodeKey) }
    public init(from r: inout ByteReader) throws(CodecError) {
        name = try r.readString(limit: FieldLimits.name)
        subject = try r.read()
        nodeKey = try r.read()
    }
    public static var minEncodedSize: Int { 1 + 64 }
}

/// A subject present from the start.
public struct GenesisSubject: Sendable, Codable, CanonicalCodable, CanonicalIdentity, Comparable {
    public var key: PublicKey
    public var displayName: String
    public var unit: String
    public var roles: RoleSet

    public init(key: PublicKey, displayName: String, unit: String, roles: RoleSet) {
        self.key = key
        self.displayName = displayName
        self.unit = unit
        self.roles = roles
    }

    public func encode(to w: inout ByteWriter) { w.write(key); w.writeString(displayName); w.writeString(unit); w.write(roles) }
    public init(from r: inout ByteReader) throws(CodecError) {
        key = try r.read()
        displayName = try r.readString(limit: FieldLimits.name)
        unit = try r.readString(limit: FieldLimits.shortText)
        roles = try r.read()
    }
    public static var minEncodedSize: Int { 32 + 3 }
    public static func < (a: Self, b: Self) -> Bool { a.key < b.key }
}

/// The response deadline of one service category.
public struct ResponseDeadline: Sendable, Codable, CanonicalCodable, CanonicalIdentity, Comparable {
    public var serviceCode: String
    /// Seconds from the request's block time to the provider's first response.
    public var seconds: UInt64

    public init(serviceCode: String, seconds: UInt64) {
        self.serviceCode = serviceCode
        self.seconds = seconds
    }

    public func encode(to w: inout ByteWriter) { w.writeString(serviceCode); w.writeVarint(seconds) }
    public init(from r: inout ByteReader) throws(CodecError) {
        serviceCode = try r.readString(limit: FieldLimits.shortText)
        seconds = try r.readVarint()
    }
    public static var minEncodedSize: Int { 2 }
    public static func < (a: Self, b: Self) -> Bool { a.serviceCode.utf8.lexicographicallyPrecedes(b.serviceCode.utf8) }
}

/// Community rules fixed at genesis.
public struct GenesisParameters: Hashable, Sendable, Codable, CanonicalCodable {
    /// A leader cuts a block at this many transactions …
    public var maxBlockTransactions: UInt32
    /// … or this many body bytes …
    public var maxBlockBytes: UInt32
    /// … or this long after the first pending transaction, in milliseconds.
    public var blockInterval: UInt64
    /// A checkpoint is published every this many blocks.
    public var checkpointInterval: UInt64
    /// Endorsements a resident's proposal needs.
    public var proposalEndorsements: UInt32
    /// Volunteer points per hour of service.
    public var pointsPerHour: UInt32
    /// Response deadline for service codes not listed, in seconds.
    public var defaultResponseDeadline: UInt64
    /// Per-category deadlines, sorted by service code.
    public var responseDeadlines: [ResponseDeadline]

    public init(maxBlockTransactions: UInt32 = 2_000, maxBlockBytes: UInt32 = 1 << 20, blockInterval: UInt64 = 200,
                checkpointInterval: UInt64 = 100, proposalEndorsements: UInt32 = 10, pointsPerHour: UInt32 = 10,
                defaultResponseDeadline: UInt64 = 72 * 3600, responseDeadlines: [ResponseDeadline] = []) {
        self.maxBlockTransactions = maxBlockTransactions
        self.maxBlockBytes = maxBlockBytes
        self.blockInterval = blockInterval
        self.checkpointInterval = checkpointInterval
        self.proposalEndorsements = proposalEndorsements
        self.pointsPerHour = pointsPerHour
        self.defaultResponseDeadline = defaultResponseDeadline
        self.responseDeadlines = responseDeadlines.sorted()
    }

    public func encode(to w: inout ByteWriter) {
        w.writeVarint(maxBlockTransactions)
        w.writeVarint(maxBlockBytes)
        w.writeVarint(blockInterval)
        w.writeVarint(checkpointInterval)
        w.writeVarint(proposalEndorsements)
        w.writeVarint(pointsPerHour)
        w.writeVarint(defaultResponseDeadline)
        w.writeList(responseDeadlines)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        maxBlockTransactions = UInt32(try r.readVarint("max block transactions", in: 1...UInt64(FieldLimits.blockTransactions)))
        maxBlockBytes = try r.readVarint(as: UInt32.self)
        blockInterval = try r.readVarint()
        checkpointInterval = try r.readVarint("checkpoint interval", in: 1...UInt64.max)
        proposalEndorsements = try r.readVarint(as: UInt32.self)
        pointsPerHour = try r.readVarint(as: UInt32.self)
        defaultResponseDeadline = try r.readVarint()
        responseDeadlines = try r.readSortedSet(field: "response deadlines", limit: FieldLimits.genesisEntries)
    }

    public static var minEncodedSize: Int { 8 }
}

/// Everything a community's chain starts from (type 0x40). Its hash is the
/// `previous` of block 1 and names the chain in checkpoints.
public struct GenesisDocument: Hashable, Sendable, Codable, CanonicalObject {
    public static var typeTag: UInt8 { 0x40 }
    public static var formatVersion: UInt8 { 1 }

    public var community: CommunityID
    /// The chain's start; block times are at or after it.
    public var time: Timestamp
    /// Validators in vote-index order (1 to 64, distinct node keys).
    public var validators: [ValidatorEntry]
    /// Subjects allowed to register others, sorted.
    public var registrars: [PublicKey]
    /// Subjects registered from the start, sorted by key.
    public var subjects: [GenesisSubject]
    public var parameters: GenesisParameters

    public init(community: CommunityID, time: Timestamp, validators: [ValidatorEntry], registrars: [PublicKey],
                subjects: [GenesisSubject], parameters: GenesisParameters) {
        self.community = community
        self.time = time
        self.validators = validators
        self.registrars = registrars.sorted()
        self.subjects = subjects.sorted()
        self.parameters = parameters
    }

    /// The validators' node keys, in vote-index order.
    public var validatorKeys: [PublicKey] { validators.map(\.nodeKey) }

    public var hash: Hash { canonicalHash }

    public func encode(to w: inout ByteWriter) {
        w.write(community)
        w.writeVarint(time)
        w.writeList(validators)
        w.writeList(registrars)
        w.writeList(subjects)
        w.write(parameters)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        community = try r.read()
        time = try r.readVarint()
        let at = r.offset
        validators = try r.readList(limit: FieldLimits.validators)
        guard !validators.isEmpty else { throw CodecError(.invalidValue(field: "validators", reason: "at least one validator"), at: at) }
        guard Set(validators.map(\.nodeKey)).count == validators.count else {
            throw CodecError(.invalidValue(field: "validators", reason: "node keys must be distinct"), at: at)
        }
        registrars = try r.readSortedSet(field: "registrars", limit: FieldLimits.genesisEntries)
        subjects = try r.readSortedSet(field: "subjects", limit: FieldLimits.genesisEntries)
        parameters = try r.read()
    }

    public static var minEncodedSize: Int { 2 + 1 + 1 + ValidatorEntry.minEncodedSize + 1 + 1 + GenesisParameters.minEncodedSize }
}

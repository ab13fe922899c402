public import CivitasCodec

// The wire form of Raft messages (type 0x60), in the canonical codec of
// docs/codec.md: validators exchange these over their TLS links. Decoding is
// bounded like every other decoder; the core still checks each message's
// structure in `RaftCore.step` before trusting it.

extension Message: CanonicalObject {
    public static var typeTag: UInt8 { 0x60 }
    public static var formatVersion: UInt8 { 1 }

    public func encode(to w: inout ByteWriter) {
        w.writeByte(type.rawValue)
        w.writeVarint(from)
        w.writeVarint(to)
        w.writeVarint(term)
        w.writeVarint(logTerm)
        w.writeVarint(index)
        w.writeVarint(commit)
        w.writeBool(reject)
        w.writeVarint(rejectHint)
        w.writeBool(transfer)
        w.writeList(entries)
        w.writeOptional(snapshot)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        let type = MessageType(rawValue: try r.readTag("raft message type", count: UInt8(MessageType.allCases.count)))!
        let from = try r.readVarint()
        let to = try r.readVarint()
        let term = try r.readVarint()
        self.init(type: type, from: from, to: to, term: term)
        logTerm = try r.readVarint()
        index = try r.readVarint()
        commit = try r.readVarint()
        reject = try r.readBool()
        rejectHint = try r.readVarint()
        transfer = try r.readBool()
        entries = try r.readList(limit: Int(UInt32.max))
        snapshot = try r.readOptional()
    }

    public static var minEncodedSize: Int { 13 }
}

extension Entry: CanonicalCodable {
    public func encode(to w: inout ByteWriter) {
        w.writeVarint(term)
        w.writeVarint(index)
        switch payload {
        case .noop:
            w.writeByte(0)
        case let .data(bytes):
            w.writeByte(1)
            w.writeLengthPrefixed(bytes)
        case let .config(change):
            w.writeByte(2)
            w.write(change)
        }
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        let term = try r.readVarint()
        let index = try r.readVarint()
        let payload: EntryPayload
        switch try r.readTag("entry payload", count: 3) {
        case 0: payload = .noop
        case 1: payload = .data(try r.readLengthPrefixed(limit: Int.max))
        default: payload = .config(try r.read())
        }
        self.init(term: term, index: index, payload: payload)
    }

    public static var minEncodedSize: Int { 3 }
}

extension ConfigChange: CanonicalCodable {
    public func encode(to w: inout ByteWriter) {
        switch self {
        case let .addVoter(id): w.writeByte(0); w.writeVarint(id)
        case let .addLearner(id): w.writeByte(1); w.writeVarint(id)
        case let .remove(id): w.writeByte(2); w.writeVarint(id)
        }
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        let tag = try r.readTag("membership change", count: 3)
        let id = try r.readVarint()
        switch tag {
        case 0: self = .addVoter(id)
        case 1: self = .addLearner(id)
        default: self = .remove(id)
        }
    }

    public static var minEncodedSize: Int { 2 }
}

extension Configuration: CanonicalCodable {
    public func encode(to w: inout ByteWriter) {
        w.writeList(voters)
        w.writeList(learners)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        let at = r.offset
        let voters = try r.readSortedSet(UInt64.self, field: "voters", limit: 1 << 16)
        let learners = try r.readSortedSet(UInt64.self, field: "learners", limit: 1 << 16)
        guard Set(voters).isDisjoint(with: learners) else {
            throw CodecError(.invalidValue(field: "configuration", reason: "a replica is both voter and learner"), at: at)
        }
        self.init(voters: voters, learners: learners)
    }

    public static var minEncodedSize: Int { 2 }
}

extension Snapshot: CanonicalCodable {
    public func encode(to w: inout ByteWriter) {
        w.writeVarint(index)
        w.writeVarint(term)
        w.write(configuration)
        w.writeLengthPrefixed(data)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        let index = try r.readVarint()
        let term = try r.readVarint()
        let configuration = try r.read(Configuration.self)
        let data = try r.readLengthPrefixed(limit: Int.max)
        self.init(index: index, term: term, configuration: configuration, data: data)
    }

    public static var minEncodedSize: Int { 5 }
}

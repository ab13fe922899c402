public import CivitasCodec

/// The residents' committee registers, updates or revokes a subject.
public struct Registration: Sendable, Codable, CanonicalCodable, CanonicalIdentity {
    /// What the record does to the subject.
    public enum Action: UInt8, Sendable, Codable, CaseIterable {
        case register = 0
        case update = 1
        case revoke = 2
    }

    public var action: Action
    /// The subject's public key (its ID is derived from it).
    public var subject: PublicKey
    /// A display name: no personal identifiers (no ID or phone numbers).
    public var displayName: String
    /// The household's unit or the organisation's office, e.g. "Bldg 3-201".
    public var unit: String
    /// The roles granted (empty on revoke).
    public var roles: RoleSet

    public init(action: Action, subject: PublicKey, displayName: String, unit: String, roles: RoleSet) {
        self.action = action
        self.subject = subject
        self.displayName = displayName
        self.unit = unit
        self.roles = roles
    }

    public func encode(to w: inout ByteWriter) {
        w.writeByte(action.rawValue)
        w.write(subject)
        w.writeString(displayName)
        w.writeString(unit)
        w.write(roles)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        action = Action(rawValue: try r.readTag("registration action", count: 3))!
        subject = try r.read()
        displayName = try r.readString(limit: FieldLimits.name)
        unit = try r.readString(limit: FieldLimits.shortText)
        roles = try r.read()
    }

    public static var minEncodedSize: Int { 1 + 32 + 1 + 1 + 1 }
}

/// A volunteer's hours, attested by a social organisation.
public struct VolunteerRecord: Sendable, Codable, CanonicalCodable, CanonicalIdentity {
    /// The resident who volunteered.
    public var volunteer: SubjectID
    /// What was done, e.g. "elder visits".
    public var activity: String
    /// Minutes of service (1 ... 1440).
    public var minutes: UInt32
    /// The day of service, in days since 1970-01-01.
    public var day: UInt32

    public init(volunteer: SubjectID, activity: String, minutes: UInt32, day: UInt32) {
        self.volunteer = volunteer
        self.activity = activity
        self.minutes = minutes
        self.day = day
    }

    public func encode(to w: inout ByteWriter) {
        w.write(volunteer)
        w.writeString(activity)
        w.writeVarint(minutes)
        w.writeVarint(day)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        volunteer = try r.read()
        activity = try r.readString(limit: FieldLimits.shortText)
        minutes = UInt32(try r.readVarint("minutes", in: 1...1440))
        day = try r.readVarint(as: UInt32.self)
    }

    public static var minEncodedSize: Int { 16 + 1 + 1 + 1 }
}

/// A request or a resource passed from this community to another.
public struct Referral: Sendable, Codable, CanonicalCodable, CanonicalIdentity {
    /// Whether the referral asks for help or offers it.
    public enum Kind: UInt8, Sendable, Codable, CaseIterable {
        case request = 0
        case resource = 1
    }

    /// The receiving community.
    public var toCommunity: CommunityID
    public var kind: Kind
    /// The record referred, if any (e.g. a service request's transaction ID).
    public var reference: Hash?
    /// What is asked or offered.
    public var summary: String

    public init(toCommunity: CommunityID, kind: Kind, reference: Hash?, summary: String) {
        self.toCommunity = toCommunity
        self.kind = kind
        self.reference = reference
        self.summary = summary
    }

    public func encode(to w: inout ByteWriter) {
        w.write(toCommunity)
        w.writeByte(kind.rawValue)
        w.writeOptional(reference)
        w.writeString(summary)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        toCommunity = try r.read()
        kind = Kind(rawValue: try r.readTag("referral kind", count: 2))!
        reference = try r.readOptional()
        summary = try r.readString(limit: FieldLimits.note)
    }

    public static var minEncodedSize: Int { 2 + 1 + 1 + 1 }
}

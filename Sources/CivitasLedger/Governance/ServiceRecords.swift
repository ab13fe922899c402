public import CivitasCodec

/// A resident reports a problem or asks for a service (Open311's service request).
public struct ServiceRequest: Sendable, Codable, CanonicalCodable, CanonicalIdentity {
    /// The service's code, e.g. "streetlight", "elevator", "sanitation" (Open311 service_code).
    public var serviceCode: String
    public var description: String
    /// Where: a building, unit or public area; never a personal identifier.
    public var location: String

    public init(serviceCode: String, description: String, location: String) {
        self.serviceCode = serviceCode
        self.description = description
        self.location = location
    }

    public func encode(to w: inout ByteWriter) {
        w.writeString(serviceCode)
        w.writeString(description)
        w.writeString(location)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        serviceCode = try r.readString(limit: FieldLimits.shortText)
        description = try r.readString(limit: FieldLimits.note)
        location = try r.readString(limit: FieldLimits.shortText)
    }

    public static var minEncodedSize: Int { 3 }
}

/// The residents' committee (or property manager) assigns a request to a provider.
public struct Assignment: Sendable, Codable, CanonicalCodable, CanonicalIdentity {
    /// The request's transaction ID.
    public var request: Hash
    public var provider: SubjectID
    public var note: String

    public init(request: Hash, provider: SubjectID, note: String) {
        self.request = request
        self.provider = provider
        self.note = note
    }

    public func encode(to w: inout ByteWriter) { w.write(request); w.write(provider); w.writeString(note) }

    public init(from r: inout ByteReader) throws(CodecError) {
        request = try r.read()
        provider = try r.read()
        note = try r.readString(limit: FieldLimits.note)
    }

    public static var minEncodedSize: Int { 32 + 16 + 1 }
}

/// A provider's answer to an assigned request.
public struct ServiceResponse: Sendable, Codable, CanonicalCodable, CanonicalIdentity {
    /// Where the provider says the request stands.
    public enum Status: UInt8, Sendable, Codable, CaseIterable, CustomStringConvertible {
        case acknowledged = 0
        case inProgress = 1
        case resolvedFixed = 2
        case resolvedNotResponsible = 3
        case resolvedDuplicate = 4
        case resolvedReferred = 5

        /// True for the four resolutions.
        public var isResolution: Bool { rawValue >= 2 }

        public var description: String {
            switch self {
            case .acknowledged: return "acknowledged"
            case .inProgress: return "inProgress"
            case .resolvedFixed: return "resolved(fixed)"
            case .resolvedNotResponsible: return "resolved(notResponsible)"
            case .resolvedDuplicate: return "resolved(duplicate)"
            case .resolvedReferred: return "resolved(referred)"
            }
        }
    }

    public var request: Hash
    public var status: Status
    public var note: String

    public init(request: Hash, status: Status, note: String) {
        self.request = request
        self.status = status
        self.note = note
    }

    public func encode(to w: inout ByteWriter) { w.write(request); w.writeByte(status.rawValue); w.writeString(note) }

    public init(from r: inout ByteReader) throws(CodecError) {
        request = try r.read()
        status = Status(rawValue: try r.readTag("response status", count: 6))!
        note = try r.readString(limit: FieldLimits.note)
    }

    public static var minEncodedSize: Int { 32 + 1 + 1 }
}

/// The requester closes a resolved request with a rating, or reopens it.
public struct Closure: Sendable, Codable, CanonicalCodable, CanonicalIdentity {
    /// Whether the requester accepts the resolution.
    public enum Outcome: UInt8, Sendable, Codable, CaseIterable {
        case closed = 0
        case reopened = 1
    }

    public var request: Hash
    public var outcome: Outcome
    /// 1 (poor) to 5 (excellent); nil when reopening without a rating.
    public var rating: UInt8?
    public var comment: String

    public init(request: Hash, outcome: Outcome, rating: UInt8?, comment: String) {
        self.request = request
        self.outcome = outcome
        self.rating = rating
        self.comment = comment
    }

    public func encode(to w: inout ByteWriter) {
        w.write(request)
        w.writeByte(outcome.rawValue)
        w.writeByte(rating ?? 0)
        w.writeString(comment)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        request = try r.read()
        outcome = Outcome(rawValue: try r.readTag("closure outcome", count: 2))!
        let start = r.offset
        let stars = try r.readByte()
        guard stars <= 5 else { throw CodecError(.invalidValue(field: "rating", reason: "\(stars) is not 0 (none) or 1-5"), at: start) }
        rating = stars == 0 ? nil : stars
        comment = try r.readString(limit: FieldLimits.note)
    }

    public static var minEncodedSize: Int { 32 + 1 + 1 + 1 }
}

public import CivitasCodec

/// A public disclosure. Corrections are new notices that supersede earlier
/// ones; nothing is edited in place.
public struct Notice: Sendable, Codable, CanonicalCodable, CanonicalIdentity {
    /// The disclosure category; each has its own issuing rule.
    public enum Category: UInt8, Sendable, Codable, CaseIterable, CustomStringConvertible {
        /// Issued by the party branch.
        case partyAffairs = 0
        /// Issued by the owners' committee or the property manager.
        case housingAffairs = 1
        /// Issued by the residents' or the owners' committee.
        case finance = 2
        /// Issued by the residents' committee, the property manager, a service provider or the street office.
        case services = 3
        /// Issued by any organisational role (not by residents as such); docs/governance.md.
        case general = 4

        public var description: String {
            switch self {
            case .partyAffairs: return "partyAffairs"
            case .housingAffairs: return "housingAffairs"
            case .finance: return "finance"
            case .services: return "services"
            case .general: return "general"
            }
        }
    }

    public var category: Category
    public var title: String
    public var body: String
    /// The notice this one corrects, by transaction ID.
    public var supersedes: Hash?
    /// SHA-256 digests of off-chain documents (minutes, accounts, photos).
    public var attachments: [Hash]

    public init(category: Category, title: String, body: String, supersedes: Hash? = nil, attachments: [Hash] = []) {
        self.category = category
        self.title = title
        self.body = body
        self.supersedes = supersedes
        self.attachments = attachments
    }

    public func encode(to w: inout ByteWriter) {
        w.writeByte(category.rawValue)
        w.writeString(title)
        w.writeString(body)
        w.writeOptional(supersedes)
        w.writeList(attachments)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        category = Category(rawValue: try r.readTag("notice category", count: 5))!
        title = try r.readString(limit: FieldLimits.title)
        body = try r.readString(limit: FieldLimits.longText)
        supersedes = try r.readOptional()
        attachments = try r.readList(limit: FieldLimits.attachments)
    }

    public static var minEncodedSize: Int { 5 }
}

public import CivitasCodec

/// A role a subject can hold in its community.
public enum Role: UInt8, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case resident = 0
    case residentsCommittee = 1
    case partyBranch = 2
    case ownersCommittee = 3
    case propertyManager = 4
    case socialOrganization = 5
    case serviceProvider = 6
    case streetOffice = 7

    public var description: String {
        switch self {
        case .resident: return "resident"
        case .residentsCommittee: return "residentsCommittee"
        case .partyBranch: return "partyBranch"
        case .ownersCommittee: return "ownersCommittee"
        case .propertyManager: return "propertyManager"
        case .socialOrganization: return "socialOrganization"
        case .serviceProvider: return "serviceProvider"
        case .streetOffice: return "streetOffice"
        }
    }

    /// The role named `name` (as in `description`).
    public init?(name: String) {
        guard let r = Role.allCases.first(where: { $0.description == name }) else { return nil }
        self = r
    }
}

/// A set of roles, encoded as a varint bit mask (bit n = `Role(rawValue: n)`).
/// Unknown bits are refused, so each set has one encoding.
public struct RoleSet: Hashable, Sendable, CanonicalCodable, Codable, CustomStringConvertible {
    /// The bit mask.
    public private(set) var mask: UInt16

    /// Bits that name a role.
    static let knownBits: UInt16 = 0xff

    /// The set of `roles`.
    public init(_ roles: [Role] = []) {
        mask = 0
        for r in roles { insert(r) }
    }

    /// True if `role` is in the set.
    public func contains(_ role: Role) -> Bool { mask & (1 << role.rawValue) != 0 }
    /// Adds `role`.
    public mutating func insert(_ role: Role) { mask |= 1 << role.rawValue }
    /// Removes `role`.
    public mutating func remove(_ role: Role) { mask &= ~(1 << role.rawValue) }
    /// True if the set is empty.
    public var isEmpty: Bool { mask == 0 }
    /// The roles in bit order.
    public var roles: [Role] { Role.allCases.filter(contains) }

    public var description: String { "[" + roles.map(\.description).joined(separator: ",") + "]" }

    public func encode(to writer: inout ByteWriter) { writer.writeVarint(UInt64(mask)) }

    public init(from reader: inout ByteReader) throws(CodecError) {
        let start = reader.offset
        let v = try reader.readVarint()
        guard v & ~UInt64(Self.knownBits) == 0 else {
            throw CodecError(.invalidValue(field: "roles", reason: "unknown role bits 0x\(String(v, radix: 16))"), at: start)
        }
        mask = UInt16(v)
    }

    public static var minEncodedSize: Int { 1 }

    public init(from decoder: any Decoder) throws {
        self.init(try [Role](from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try roles.encode(to: encoder)
    }
}

import CivitasCodec

/// Identifiers appear in JSON as strings: keys and IDs as hex, communities by name.
extension PublicKey: Codable {
    public init(from decoder: any Decoder) throws { raw = try Bytes32(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try raw.encode(to: encoder) }
}

extension SubjectID: Codable {
    public init(from decoder: any Decoder) throws { raw = try Bytes16(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try raw.encode(to: encoder) }
}

extension NodeID: Codable {
    public init(from decoder: any Decoder) throws { raw = try Bytes16(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try raw.encode(to: encoder) }
}

extension CommunityID: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let v = CommunityID(s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "invalid community name '\(s)'")
        }
        self = v
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}


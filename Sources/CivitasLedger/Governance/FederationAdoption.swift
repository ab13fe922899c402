public import CivitasCodec

/// The residents' committee adopts the city's federation document for its
/// community (kind 16): joining the federation, or moving to a later version,
/// is the community's own decision, recorded on its own chain. The whole
/// document rides in the transaction, so every replica holds the validator
/// sets it verifies neighbours' checkpoints against. docs/governance.md, "Federation".
public struct FederationAdoption: Hashable, Sendable, Codable, CanonicalCodable {
    /// The document adopted; its `hash` names what was adopted.
    public var document: FederationDocument

    public init(document: FederationDocument) { self.document = document }

    public func encode(to w: inout ByteWriter) { w.write(document) }
    public init(from r: inout ByteReader) throws(CodecError) { document = try r.read() }
    public static var minEncodedSize: Int { FederationDocument.minEncodedSize }
}

public import CivitasCodec

/// A reward with a price in volunteer points (kind 14), published by a social
/// organisation or the property manager: a ticket, a service, a small gift.
/// docs/governance.md, "Rewards and redemptions".
public struct RewardOffer: Sendable, Codable, CanonicalCodable, CanonicalIdentity {
    /// The largest price, in points.
    public static let maxPrice: UInt32 = 1_000_000
    /// The most items one offer may hold.
    public static let maxQuantity: UInt32 = 100_000

    public var title: String
    public var description: String
    /// Points one item costs (1 … `maxPrice`).
    public var price: UInt32
    /// Items on offer (1 … `maxQuantity`); each redemption takes one.
    public var quantity: UInt32

    public init(title: String, description: String, price: UInt32, quantity: UInt32) {
        self.title = title
        self.description = description
        self.price = price
        self.quantity = quantity
    }

    public func encode(to w: inout ByteWriter) {
        w.writeString(title)
        w.writeString(description)
        w.writeVarint(price)
        w.writeVarint(quantity)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        title = try r.readString(limit: FieldLimits.title)
        description = try r.readString(limit: FieldLimits.note)
        price = UInt32(try r.readVarint("price", in: 1...UInt64(Self.maxPrice)))
        quantity = UInt32(try r.readVarint("quantity", in: 1...UInt64(Self.maxQuantity)))
    }

    public static var minEncodedSize: Int { 4 }
}

/// A subject spends points on one item of a reward (kind 15). The publisher
/// and the redeemer both see it on the chain; the points leave the redeemer's
/// balance in the block that records it.
public struct Redemption: Sendable, Codable, CanonicalCodable, CanonicalIdentity {
    /// The offer's transaction ID.
    public var offer: Hash

    public init(offer: Hash) { self.offer = offer }

    public func encode(to w: inout ByteWriter) { w.write(offer) }
    public init(from r: inout ByteReader) throws(CodecError) { offer = try r.read() }
    public static var minEncodedSize: Int { 32 }
}

public import CivitasCodec
public import CivitasLedger

/// A reward on offer for volunteer points (kind 14), and how many of its items are taken.
public struct RewardOfferEntry: StateEntry {
    /// The transaction ID.
    public var id: Hash
    public var height: UInt64
    public var index: Int
    /// Block time of the offer.
    public var time: Timestamp
    /// The social organisation or property manager that offers it.
    public var publisher: SubjectID
    public var title: String
    public var description: String
    /// Points one item costs.
    public var price: UInt32
    /// Items offered.
    public var quantity: UInt32
    /// Items redeemed so far (at most `quantity`).
    public var redeemed: UInt64

    public init(id: Hash, height: UInt64, index: Int, time: Timestamp, publisher: SubjectID, title: String, description: String,
                price: UInt32, quantity: UInt32, redeemed: UInt64) {
        self.id = id
        self.height = height
        self.index = index
        self.time = time
        self.publisher = publisher
        self.title = title
        self.description = description
        self.price = price
        self.quantity = quantity
        self.redeemed = redeemed
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.id < b.id }

    public func encode(to w: inout ByteWriter) {
        w.write(id); w.writeVarint(height); w.writeCount(index); w.writeVarint(time); w.write(publisher)
        w.writeString(title); w.writeString(description); w.writeVarint(price); w.writeVarint(quantity); w.writeVarint(redeemed)
    }
}

/// One item of a reward taken for points (kind 15): both sides, and the points spent.
public struct RedemptionEntry: StateEntry {
    /// The transaction ID.
    public var id: Hash
    public var height: UInt64
    public var index: Int
    /// Block time of the redemption.
    public var time: Timestamp
    public var offer: Hash
    public var redeemer: SubjectID
    public var publisher: SubjectID
    /// The offer's price when redeemed.
    public var points: UInt64

    public init(id: Hash, height: UInt64, index: Int, time: Timestamp, offer: Hash, redeemer: SubjectID, publisher: SubjectID,
                points: UInt64) {
        self.id = id
        self.height = height
        self.index = index
        self.time = time
        self.offer = offer
        self.redeemer = redeemer
        self.publisher = publisher
        self.points = points
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.id < b.id }

    public func encode(to w: inout ByteWriter) {
        w.write(id); w.writeVarint(height); w.writeCount(index); w.writeVarint(time); w.write(offer); w.write(redeemer)
        w.write(publisher); w.writeVarint(points)
    }
}

/// The points a subject has spent: its balance is its volunteer points minus these.
public struct RedeemedTotals: StateEntry {
    public var subject: SubjectID
    public var redemptions: UInt64
    public var points: UInt64

    public init(subject: SubjectID, redemptions: UInt64, points: UInt64) {
        self.subject = subject
        self.redemptions = redemptions
        self.points = points
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.subject < b.subject }

    public func encode(to w: inout ByteWriter) { w.write(subject); w.writeVarint(redemptions); w.writeVarint(points) }
}

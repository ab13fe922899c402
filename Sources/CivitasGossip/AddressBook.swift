public import CivitasCodec
public import CivitasLedger
public import CivitasTime

/// The peers a node has learnt, with a quality score per address (object
/// type 0x71, version 1). The shell writes `encoded()` to the data directory
/// and hands the decoded book back to `Membership` after a restart, so a node
/// finds its community again without its seeds.
///
/// Records are stored as received (signed); `Membership` checks each
/// signature again when it loads a book, so a tampered file cannot inject peers.
public struct AddressBook: Sendable, Hashable, CanonicalObject {
    public static var typeTag: UInt8 { 0x71 }
    public static var formatVersion: UInt8 { 1 }

    /// Most entries a book holds (and a decoder accepts): the oldest-seen go first.
    public static let maxEntries = 4_096
    /// Quality of an address never tried.
    public static let initialQuality: UInt8 = 50
    /// Highest quality.
    public static let maxQuality: UInt8 = 100

    /// One peer: its latest signed record and how each of its addresses has served us.
    public struct Entry: Sendable, Hashable, CanonicalCodable {
        /// The peer's latest record.
        public var record: PeerRecord
        /// Quality 0...100 of each address, in the record's order: rises a
        /// quarter of the way to 100 on each success, falls a quarter on each failure.
        public var quality: [UInt8]
        /// The last contact, on the monotonic clock of the run that saw it; orders eviction.
        public var lastSeen: MonotonicTime

        public init(record: PeerRecord, quality: [UInt8], lastSeen: MonotonicTime) {
            self.record = record
            self.quality = quality
            self.lastSeen = lastSeen
        }

        public func encode(to w: inout ByteWriter) {
            record.encode(to: &w)
            w.writeVarint(UInt64(quality.count))
            for q in quality { w.writeByte(q) }
            w.writeVarint(lastSeen.nanosecondsSinceOrigin)
        }

        public init(from r: inout ByteReader) throws(CodecError) {
            record = try PeerRecord(from: &r)
            let at = r.offset
            let n = try r.readCount(limit: FieldLimits.addresses, minElementSize: 1)
            guard n == record.addresses.count else {
                throw CodecError(.invalidValue(field: "address quality", reason: "\(n) scores for \(record.addresses.count) addresses"), at: at)
            }
            var q: [UInt8] = []
            for _ in 0..<n {
                let qAt = r.offset
                let b = try r.readByte()
                guard b <= AddressBook.maxQuality else {
                    throw CodecError(.invalidValue(field: "address quality", reason: "\(b) is above \(AddressBook.maxQuality)"), at: qAt)
                }
                q.append(b)
            }
            quality = q
            lastSeen = MonotonicTime(nanosecondsSinceOrigin: try r.readVarint())
        }

        public static var minEncodedSize: Int { PeerRecord.minEncodedSize + 2 + 1 }

        /// The address most worth trying, with its quality.
        public var bestAddress: (address: String, quality: UInt8)? {
            var best: (String, UInt8)?
            for (a, q) in zip(record.addresses, quality) where best == nil || q > best!.1 { best = (a, q) }
            return best
        }
    }

    /// Entries sorted by node ID (one canonical encoding per book).
    public private(set) var entries: [Entry] = []

    public init() {}

    /// The entry of `node`, if known.
    public func entry(for node: NodeID) -> Entry? {
        index(of: node).map { entries[$0] }
    }

    private func index(of node: NodeID) -> Int? {
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let id = entries[mid].record.nodeID
            if id == node { return mid }
            if id < node { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    /// Adds or refreshes a peer's record (the caller has checked its signature).
    /// A record with a lower sequence than the one held is ignored.
    public mutating func learn(_ record: PeerRecord, now: MonotonicTime) {
        let id = record.nodeID
        if let i = index(of: id) {
            guard record.sequence >= entries[i].record.sequence else { return }
            var old: [String: UInt8] = [:]
            for (a, q) in zip(entries[i].record.addresses, entries[i].quality) { old[a] = q }
            entries[i] = Entry(record: record, quality: record.addresses.map { old[$0] ?? Self.initialQuality }, lastSeen: max(now, entries[i].lastSeen))
            return
        }
        if entries.count >= Self.maxEntries {
            // Evict the entry seen longest ago (ties: the lowest node ID, deterministic).
            var victim = 0
            for i in entries.indices where entries[i].lastSeen < entries[victim].lastSeen { victim = i }
            entries.remove(at: victim)
        }
        let e = Entry(record: record, quality: record.addresses.map { _ in Self.initialQuality }, lastSeen: now)
        let at = entries.firstIndex { id < $0.record.nodeID } ?? entries.count
        entries.insert(e, at: at)
    }

    /// Sets one address's quality (restoring a saved book).
    mutating func setQuality(node: NodeID, address: String, quality: UInt8) {
        guard let i = index(of: node), let j = entries[i].record.addresses.firstIndex(of: address) else { return }
        entries[i].quality[j] = min(quality, Self.maxQuality)
    }

    /// Records the outcome of a connection attempt to `address` of `node`.
    public mutating func record(node: NodeID, address: String, success: Bool, now: MonotonicTime) {
        guard let i = index(of: node), let j = entries[i].record.addresses.firstIndex(of: address) else { return }
        let q = entries[i].quality[j]
        entries[i].quality[j] = success ? q + (Self.maxQuality - q + 3) / 4 : q - (q + 3) / 4
        if success { entries[i].lastSeen = max(entries[i].lastSeen, now) }
    }

    /// Records the outcome of a connection attempt to `address`, whichever peer lists it.
    public mutating func record(address: String, success: Bool, now: MonotonicTime) {
        for i in entries.indices {
            if entries[i].record.addresses.contains(address) {
                record(node: entries[i].record.nodeID, address: address, success: success, now: now)
            }
        }
    }

    public func encode(to w: inout ByteWriter) { w.writeList(entries) }

    public init(from r: inout ByteReader) throws(CodecError) {
        let at = r.offset
        let list: [Entry] = try r.readList(limit: Self.maxEntries)
        for i in list.indices.dropFirst() where !(list[i - 1].record.nodeID < list[i].record.nodeID) {
            throw CodecError(.invalidValue(field: "address book", reason: "entries must be sorted by node ID, without duplicates"), at: at)
        }
        entries = list
    }

    public static var minEncodedSize: Int { 1 }
}

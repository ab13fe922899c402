/// A set that remembers at most `capacity` elements, forgetting the oldest
/// first: the dedup cache of message IDs. Insertion order lives in a ring, so
/// eviction is deterministic (a `Set`'s own order is seeded per process).
///
/// Each element is held once, in the ring; the lookup table holds positions
/// in the ring (open addressing, linear probing, at most half full), not a
/// second copy of each element. A node's dedup cache holds tens of thousands
/// of 32-byte IDs, and a simulated city thousands of nodes: the `Set` beside
/// the ring doubled what each ID cost.
public struct BoundedIDSet<Element: Hashable & Sendable>: Sendable {
    /// Most elements kept.
    public let capacity: Int
    private var ring: [Element] = []
    private var head = 0
    /// Ring position + 1 of each element, at its hash's slot or after it; 0: empty.
    private var slots: [Int32] = []

    public init(capacity: Int) {
        precondition(capacity > 0, "a dedup cache needs room for at least one ID")
        precondition(capacity < Int(Int32.max), "a dedup cache holds fewer than 2³¹ IDs")
        self.capacity = capacity
    }

    /// Number of elements remembered.
    public var count: Int { ring.count }

    /// True if `element` is remembered.
    public func contains(_ element: Element) -> Bool { slot(of: element) != nil }

    /// Remembers `element`; returns false if it was already there.
    @discardableResult
    public mutating func insert(_ element: Element) -> Bool {
        guard slot(of: element) == nil else { return false }
        let position: Int
        if ring.count < capacity {
            if slots.count < 2 * (ring.count + 1) { rehash(size: max(16, 2 * slots.count)) }
            if ring.count == ring.capacity {
                // Grown by a step, not doubled: the ring is most of what the set costs.
                ring.reserveCapacity(min(capacity, ring.count + max(1_024, ring.count / 8)))
            }
            ring.append(element)
            position = ring.count - 1
        } else {
            remove(slot: slot(of: ring[head])!)
            ring[head] = element
            position = head
            head = (head + 1) % capacity
        }
        place(position)
        return true
    }

    // MARK: The table

    private var mask: Int { slots.count - 1 }

    private func home(_ element: Element) -> Int { element.hashValue & mask }

    private func slot(of element: Element) -> Int? {
        guard !slots.isEmpty else { return nil }
        var i = home(element)
        while slots[i] != 0 {
            if ring[Int(slots[i]) - 1] == element { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Puts ring position `position` in the table.
    private mutating func place(_ position: Int) {
        var i = home(ring[position])
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = Int32(position + 1)
    }

    /// Empties slot `i`, moving back the entries after it that probed past it.
    private mutating func remove(slot i: Int) {
        var hole = i
        var j = i
        slots[hole] = 0
        while true {
            j = (j + 1) & mask
            guard slots[j] != 0 else { return }
            let want = home(ring[Int(slots[j]) - 1])
            // Move it back if its home is not in the cyclic range (hole, j].
            let between = hole <= j ? (want > hole && want <= j) : (want > hole || want <= j)
            if !between {
                slots[hole] = slots[j]
                slots[j] = 0
                hole = j
            }
        }
    }

    private mutating func rehash(size: Int) {
        slots = [Int32](repeating: 0, count: size)
        for position in ring.indices { place(position) }
    }
}

/// A set that remembers at most `capacity` elements, forgetting the oldest
/// first: the dedup cache of message IDs. Insertion order lives in a ring, so
/// eviction is deterministic (a `Set`'s own order is seeded per process).
public struct BoundedIDSet<Element: Hashable & Sendable>: Sendable {
    /// Most elements kept.
    public let capacity: Int
    private var members: Set<Element> = []
    private var ring: [Element] = []
    private var head = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "a dedup cache needs room for at least one ID")
        self.capacity = capacity
    }

    /// Number of elements remembered.
    public var count: Int { members.count }

    /// True if `element` is remembered.
    public func contains(_ element: Element) -> Bool { members.contains(element) }

    /// Remembers `element`; returns false if it was already there.
    @discardableResult
    public mutating func insert(_ element: Element) -> Bool {
        guard members.insert(element).inserted else { return false }
        if ring.count < capacity {
            ring.append(element)
        } else {
            members.remove(ring[head])
            ring[head] = element
            head = (head + 1) % capacity
        }
        return true
    }
}

import CivitasGossip
import Testing

/// The dedup cache against a plain model (a `Set` and an insertion-order
/// list): the same answers for every insert and lookup, through growth,
/// eviction around the ring and the table's deletions.
struct BoundedIDSetTests {
    @Test(arguments: [1, 2, 3, 7, 64, 1_000])
    func behavesAsASetThatForgetsTheOldestFirst(capacity: Int) {
        var ids = BoundedIDSet<UInt64>(capacity: capacity)
        var model: [UInt64] = []
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(capacity)
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        for _ in 0..<20_000 {
            // Values from a range a few times the capacity: repeats, hits and evictions all happen.
            let value = next() % UInt64(3 * capacity + 1)
            let known = model.contains(value)
            #expect(ids.contains(value) == known)
            #expect(ids.insert(value) == !known)
            if !known {
                model.append(value)
                if model.count > capacity { model.removeFirst() }
            }
            #expect(ids.count == model.count)
        }
        for value in 0...UInt64(3 * capacity) { #expect(ids.contains(value) == model.contains(value)) }
    }
}

/// A priority queue of timed events. Ties are broken by insertion order, so
/// the order of events is a pure function of the schedule; events scheduled
/// `first` come before the others at their instant (a node's tick precedes
/// what else happens at that instant, however early either was scheduled).
///
/// The heap orders small keys; events live in a slot array and are moved
/// only twice (in and out), which matters when events carry messages.
public struct EventQueue<Event> {
    private struct Key {
        let time: SimTime
        /// Insertion order, with the top bit set for events not scheduled `first`.
        let sequence: UInt64
        let slot: Int
        @inline(__always) func before(_ o: Key) -> Bool { time < o.time || (time == o.time && sequence < o.sequence) }
    }

    private var heap: [Key] = []
    private var slots: [Event?] = []
    private var freeSlots: [Int] = []
    private var sequence: UInt64 = 0

    public init() {}

    public var count: Int { heap.count }
    public var isEmpty: Bool { heap.isEmpty }

    /// Schedules `event` at `time`; `first`: before the events at `time` not scheduled first.
    public mutating func schedule(_ event: Event, at time: SimTime, first: Bool = false) {
        sequence &+= 1
        let order = first ? sequence : sequence | 1 << 63
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = event
        } else {
            slot = slots.count
            slots.append(event)
        }
        heap.append(Key(time: time, sequence: order, slot: slot))
        var i = heap.count - 1
        let key = heap[i]
        while i > 0 {
            let parent = (i - 1) / 2
            guard key.before(heap[parent]) else { break }
            heap[i] = heap[parent]
            i = parent
        }
        heap[i] = key
    }

    /// Removes and returns the earliest event.
    public mutating func pop() -> (time: SimTime, event: Event)? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            var i = 0
            let n = heap.count
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                let r = l + 1
                let c = (r < n && heap[r].before(heap[l])) ? r : l
                guard heap[c].before(last) else { break }
                heap[i] = heap[c]
                i = c
            }
            heap[i] = last
        }
        let event = slots[top.slot].take()!
        freeSlots.append(top.slot)
        return (top.time, event)
    }
}

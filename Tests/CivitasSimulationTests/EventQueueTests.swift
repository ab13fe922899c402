import CivitasSimulation
import Testing

/// The event queue pops by time, then events scheduled `first`, then in the
/// order events were scheduled, whatever the heap's shape: checked against a
/// sorted list through interleaved schedules and pops, with many equal times.
struct EventQueueTests {
    @Test func popsByTimeThenInsertionOrder() {
        var queue = EventQueue<Int>()
        var model: [(time: UInt64, later: Bool, sequence: Int)] = []
        var random = SimRandom(seed: 17)
        var sequence = 0
        var clock: UInt64 = 0
        for round in 0..<20_000 {
            if random.below(3) != 0 || model.isEmpty {
                // Times from a narrow window ahead of the clock: ties are frequent.
                let time = clock + random.below(50)
                let first = random.below(4) == 0
                queue.schedule(sequence, at: SimTime(microsecondsSinceStart: time), first: first)
                model.append((time, !first, sequence))
                sequence += 1
            } else {
                let expected = model.min { ($0.time, $0.later ? 1 : 0, $0.sequence) < ($1.time, $1.later ? 1 : 0, $1.sequence) }!
                model.removeAll { $0.sequence == expected.sequence }
                let (time, event) = queue.pop()!
                #expect(time.microsecondsSinceStart == expected.time && event == expected.sequence, "round \(round)")
                clock = time.microsecondsSinceStart
            }
            #expect(queue.count == model.count)
        }
        while let (time, event) = queue.pop() {
            let expected = model.min { ($0.time, $0.later ? 1 : 0, $0.sequence) < ($1.time, $1.later ? 1 : 0, $1.sequence) }!
            model.removeAll { $0.sequence == expected.sequence }
            #expect(time.microsecondsSinceStart == expected.time && event == expected.sequence)
        }
        #expect(model.isEmpty)
    }
}

import CivitasSimulation
import CivitasTime
import Testing

/// The kernel's time: whole microseconds, `Duration` arithmetic that truncates
/// and saturates, and the two conversions to a node's clocks.
@Suite struct SimTimeTests {
    @Test func arithmeticTruncatesToTheMicrosecondAndSaturates() {
        let t = SimTime.start + .milliseconds(2)
        #expect(t.microsecondsSinceStart == 2_000)
        #expect((t + .nanoseconds(1_999)).microsecondsSinceStart == 2_001)
        #expect(t - .seconds(1) == .start)
        #expect(SimTime.max + .seconds(1) == .max)
        #expect((t + .microseconds(500)) - t == .microseconds(500))
        #expect(SimTime.start - t == .zero - .milliseconds(2))
    }

    @Test func aNodesMonotonicClockIsKernelTimePlusItsReadingAtStart() {
        let boot = MonotonicTime.origin + .seconds(10)
        let t = SimTime.start + .microseconds(1_500)
        #expect(t.monotonic(readingAtStart: boot) == boot + .microseconds(1_500))
        #expect(SimTime(notBefore: t.monotonic(readingAtStart: boot), readingAtStart: boot) == t)
    }

    @Test func aTimerOnTheMonotonicClockFiresAtTheFirstMicrosecondAtOrAfterIt() {
        let boot = MonotonicTime.origin + .seconds(3)
        #expect(SimTime(notBefore: boot + .nanoseconds(1_001), readingAtStart: boot).microsecondsSinceStart == 2)
        #expect(SimTime(notBefore: boot - .seconds(1), readingAtStart: boot) == .start)
    }

    @Test func theWallClockCountsWholeMillisecondsFromItsStart() {
        let t = SimTime.start + .microseconds(12_999)
        #expect(t.wallClock(startingAt: 1_780_000_000_000) == 1_780_000_000_012)
        #expect(SimTime.max.wallClock(startingAt: .max) == .max)
    }

    @Test func reportsPrintWholeMicrosecondsExactly() {
        #expect((SimTime.start + .microseconds(12_000_500)).description == "12.000500 s (simulated)")
        #expect(Duration.microseconds(12_350).inMilliseconds == 12.35)
        #expect(Duration.microseconds(2_500_000).inSeconds == 2.5)
    }
}

import CivitasTime
import Testing

/// `MonotonicTime`: arithmetic with `Duration` that never wraps.
@Suite struct MonotonicTimeTests {
    @Test func addingAndSubtractingADurationMovesByExactlyThatMuch() {
        let t = MonotonicTime.origin + .seconds(3)
        #expect(t.nanosecondsSinceOrigin == 3_000_000_000)
        #expect(t + .milliseconds(200) == MonotonicTime(nanosecondsSinceOrigin: 3_200_000_000))
        #expect(t - .microseconds(5) == MonotonicTime(nanosecondsSinceOrigin: 2_999_995_000))
        #expect(t.advanced(by: .nanoseconds(1)) == t + .nanoseconds(1))
        var u = t
        u += .seconds(1)
        u -= .milliseconds(500)
        #expect(u == t + .milliseconds(500))
    }

    @Test func theDifferenceOfTwoInstantsIsSignedAndNeverWraps() {
        let early = MonotonicTime.origin + .seconds(1)
        let late = MonotonicTime.origin + .seconds(4)
        #expect(late - early == .seconds(3))
        #expect(early - late == .seconds(-3))
        #expect(early.duration(to: late) == .seconds(3))
        #expect(MonotonicTime.max - MonotonicTime.origin == .nanoseconds(UInt64.max))
    }

    @Test func subtractionPastTheOriginStopsAtTheOrigin() {
        let t = MonotonicTime.origin + .milliseconds(10)
        #expect(t - .seconds(10) == .origin)
        #expect(t + .seconds(-10) == .origin)
        #expect(MonotonicTime.origin - .nanoseconds(1) == .origin)
    }

    @Test func additionPastTheLastInstantStopsThere() {
        #expect(MonotonicTime.max + .nanoseconds(1) == .max)
        #expect(MonotonicTime.max - .nanoseconds(1) + .seconds(1) == .max)
    }

    @Test func partsOfANanosecondAreTruncated() {
        #expect(MonotonicTime.origin + .seconds(1.5e-9) == MonotonicTime(nanosecondsSinceOrigin: 1))
        #expect(Duration.seconds(1.5e-9).wholeNanoseconds == 1)
        #expect(Duration.seconds(-1.5).wholeNanoseconds == -1_500_000_000)
    }

    @Test func instantsOrderByTheirDistanceFromTheOrigin() {
        let a = MonotonicTime.origin + .milliseconds(1)
        let b = MonotonicTime.origin + .milliseconds(2)
        #expect(a < b && !(b < a) && MonotonicTime.origin < a && b < .max)
        #expect(max(a, b) == b)
    }

    @Test func theDescriptionIsSecondsSinceTheOriginToTheNanosecond() {
        #expect("\(MonotonicTime.origin + .seconds(12) + .microseconds(500))" == "12.000500000 s (monotonic)")
        #expect("\(MonotonicTime.origin)" == "0.000000000 s (monotonic)")
    }
}

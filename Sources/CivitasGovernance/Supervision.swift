public import CivitasLedger

/// Figures for one provider over every assignment it has had. Averages are
/// integer (floor) divisions, so every node agrees.
public struct ProviderSupervision: Hashable, Sendable {
    public var provider: SubjectID
    public var assignments: UInt64
    /// Assignments with at least one response.
    public var responded: UInt64
    /// Mean time from assignment to first response, over responded assignments.
    public var averageResponseMillis: UInt64?
    /// Assignments currently resolved (a reopened request counts again only once re-resolved).
    public var resolved: UInt64
    /// Of those, resolved as fixed.
    public var fixed: UInt64
    /// Mean time from assignment to resolution, over resolved assignments.
    public var averageResolveMillis: UInt64?
    /// resolved × 10,000 / assignments.
    public var resolutionRateBasisPoints: UInt64
    /// Assignments whose first response came after the request's deadline, or
    /// that had none by the deadline (judged at reassignment or at the last applied block's time).
    public var breaches: UInt64
    public var ratings: UInt64
    /// Mean rating × 100 (e.g. 450 = 4.5 stars), nil without ratings.
    public var averageRatingHundredths: UInt64?

    public init(provider: SubjectID, assignments: UInt64, responded: UInt64, averageResponseMillis: UInt64?,
                resolved: UInt64, fixed: UInt64, averageResolveMillis: UInt64?, resolutionRateBasisPoints: UInt64,
                breaches: UInt64, ratings: UInt64, averageRatingHundredths: UInt64?) {
        self.provider = provider
        self.assignments = assignments
        self.responded = responded
        self.averageResponseMillis = averageResponseMillis
        self.resolved = resolved
        self.fixed = fixed
        self.averageResolveMillis = averageResolveMillis
        self.resolutionRateBasisPoints = resolutionRateBasisPoints
        self.breaches = breaches
        self.ratings = ratings
        self.averageRatingHundredths = averageRatingHundredths
    }

    /// The figures of every provider among `assignments` (each with its
    /// request's deadline), by subject ID, at `now` — the last applied block's
    /// time. Written once: the in-memory state and the state database both
    /// call it over their assignment records.
    ///
    /// Durations run from the assignment (what the provider controls) and are
    /// clamped at zero, should a block's time run backwards; the deadline runs
    /// from the request's block time, so a late assignment counts against the
    /// provider assigned. An assignment breaches if its first response came
    /// after the deadline, or, with none, if the deadline passed before the
    /// assignment ended (reassignment) or before `now`. Sums saturate.
    public static func figures(of assignments: [(assignment: AssignmentEntry, deadline: Timestamp)],
                               now: Timestamp) -> [ProviderSupervision] {
        struct Sums {
            var assignments: UInt64 = 0, responded: UInt64 = 0, responseTotal: UInt64 = 0
            var resolved: UInt64 = 0, fixed: UInt64 = 0, resolveTotal: UInt64 = 0
            var breaches: UInt64 = 0, ratings: UInt64 = 0, ratingTotal: UInt64 = 0
        }
        func elapsed(_ from: Timestamp, _ to: Timestamp) -> UInt64 { to > from ? to - from : 0 }
        var sums: [SubjectID: Sums] = [:]
        for (a, deadline) in assignments {
            var s = sums[a.provider] ?? Sums()
            s.assignments += 1
            if let first = a.firstResponseTime {
                s.responded += 1
                s.responseTotal = StateInteger.sum(s.responseTotal, elapsed(a.assignedTime, first))
            }
            if let resolvedTime = a.resolvedTime {
                s.resolved += 1
                s.resolveTotal = StateInteger.sum(s.resolveTotal, elapsed(a.assignedTime, resolvedTime))
            }
            if a.resolution == .fixed { s.fixed += 1 }
            if (a.firstResponseTime ?? a.endedTime ?? now) > deadline { s.breaches += 1 }
            if let rating = a.rating {
                s.ratings += 1
                s.ratingTotal += UInt64(rating)
            }
            sums[a.provider] = s
        }
        return sums.keys.sorted().map { provider in
            let s = sums[provider]!
            return ProviderSupervision(
                provider: provider, assignments: s.assignments, responded: s.responded,
                averageResponseMillis: s.responded == 0 ? nil : s.responseTotal / s.responded,
                resolved: s.resolved, fixed: s.fixed,
                averageResolveMillis: s.resolved == 0 ? nil : s.resolveTotal / s.resolved,
                resolutionRateBasisPoints: s.resolved * 10_000 / s.assignments, breaches: s.breaches,
                ratings: s.ratings, averageRatingHundredths: s.ratings == 0 ? nil : s.ratingTotal * 100 / s.ratings)
        }
    }
}

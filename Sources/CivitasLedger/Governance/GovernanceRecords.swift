/// Governance figures shared by the pure state machine (`GovernanceState`)
/// and the state database: both compute them, and the differential tests
/// compare them value for value.

/// How a closed proposal's tally came out.
public enum TallyOutcome: String, Hashable, Sendable, CaseIterable {
    /// Quorum met, one option leads alone, and it holds at least the pass share of counted ballots.
    case passed
    /// Fewer ballots than the quorum share of the electorate.
    case noQuorum
    /// Quorum met, but no option holds the pass share (or no ballot was cast).
    case belowThreshold
    /// Quorum met, and two or more options share the most votes.
    case tie
}

/// A proposal's tally, computed by every node the same way when it closes.
public struct Tally: Hashable, Sendable {
    /// Votes per option, in option order.
    public var votes: [UInt64]
    public var electorateSize: UInt64
    public var ballotsCast: UInt64
    public var quorumMet: Bool
    /// The option with the most votes, if exactly one has the most and at least one ballot was cast.
    public var leadingOption: Int?
    public var outcome: TallyOutcome

    /// The tally of `votes` for an electorate of `electorateSize`, with the
    /// proposal's quorum and pass threshold in basis points:
    /// - quorum is met when `ballots × 10,000 ≥ quorum × electorate`;
    /// - a proposal passes when quorum is met, one option alone has the most
    ///   votes, and `its votes × 10,000 ≥ pass × ballots` (with ballots > 0);
    /// - two or more options sharing the most votes is a tie, which does not pass.
    /// Integer arithmetic only, so every node gets the same answer.
    public init(votes: [UInt64], electorateSize: UInt64, quorumBasisPoints: UInt32, passBasisPoints: UInt32) {
        self.votes = votes
        self.electorateSize = electorateSize
        let cast = votes.reduce(UInt64(0), +)
        ballotsCast = cast
        // 128-bit products: no overflow for any UInt64 count.
        quorumMet = cast.multipliedFullWidth(by: 10_000) >= electorateSize.multipliedFullWidth(by: UInt64(quorumBasisPoints))
        let top = votes.max() ?? 0
        let leaders = votes.indices.filter { votes[$0] == top }
        leadingOption = (cast > 0 && leaders.count == 1) ? leaders[0] : nil
        if !quorumMet {
            outcome = .noQuorum
        } else if cast > 0 && leaders.count > 1 {
            outcome = .tie
        } else if let lead = leadingOption,
                  votes[lead].multipliedFullWidth(by: 10_000) >= cast.multipliedFullWidth(by: UInt64(passBasisPoints)) {
            outcome = .passed
        } else {
            outcome = .belowThreshold
        }
    }

    public init(votes: [UInt64], electorateSize: UInt64, ballotsCast: UInt64, quorumMet: Bool, leadingOption: Int?, outcome: TallyOutcome) {
        self.votes = votes
        self.electorateSize = electorateSize
        self.ballotsCast = ballotsCast
        self.quorumMet = quorumMet
        self.leadingOption = leadingOption
        self.outcome = outcome
    }
}

/// Where a service request stands.
public enum ServiceRequestStatus: String, Hashable, Sendable, CaseIterable {
    case open, assigned, acknowledged, inProgress, resolved, reopened, closed
}

/// How a provider resolved a request.
public enum ServiceResolution: String, Hashable, Sendable, CaseIterable {
    case fixed, notResponsible, duplicate, referred
}

/// Figures for one provider over every assignment it has had
/// (the `provider_supervision` view). Averages are integer (floor) divisions.
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
}

/// A volunteer's accumulated hours and points.
public struct VolunteerTotals: Hashable, Sendable {
    public var volunteer: SubjectID
    public var records: UInt64
    public var minutes: UInt64
    /// Sum over records of ⌊minutes × pointsPerHour / 60⌋.
    public var points: UInt64

    public init(volunteer: SubjectID, records: UInt64, minutes: UInt64, points: UInt64) {
        self.volunteer = volunteer
        self.records = records
        self.minutes = minutes
        self.points = points
    }
}


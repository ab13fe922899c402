import CivitasLedger
import Foundation

/// A planner's workload, one copy for both ways of running a plan (the
/// simulator on virtual time, `civitas sim city --live` on real time): when
/// each community's next record may be due (Poisson arrivals at the peak
/// rate, thinned by the hour's rhythm), which kind it is (the mix, and a
/// ballot day's turnout), who signs it and what it says. The clients sign
/// with their next nonce; the caller submits and measures.
struct CityWorkload {
    let plan: CityPlan
    /// Each community's ID, by index (a referral names its neighbour).
    let communities: [CommunityID]
    /// Each community's open proposal (residents vote on it once it is committed), and who voted.
    var proposals: [Hash?]
    var voted: [Set<Int>]
    var noticeCount: [Int]
    var referralsMade = 0

    init(plan: CityPlan, communities: [CommunityID]) {
        self.plan = plan
        self.communities = communities
        proposals = Array(repeating: nil, count: communities.count)
        voted = Array(repeating: [], count: communities.count)
        noticeCount = Array(repeating: 0, count: communities.count)
    }

    /// The hour of the day at `now` (the run starts at `plan.startHour`).
    func hour(at now: SimTime) -> Double { plan.startHour + now.sinceStart.inSeconds / 3_600 }

    /// The peak rate of community `c`'s arrivals, per second: its records and its ballot day.
    func peakRate(_ c: Int) -> (records: Double, ballots: Double, peak: Double) {
        let w = plan.communities[c].workload
        let records = w.recordsPerDay / 86_400
        let ballots = w.ballotTurnout * Double(plan.communities[c].residents) / Double(max(plan.durationSeconds, 1))
        return (records, ballots, (records + ballots) * w.rhythm.peak)
    }

    /// The gap until community `c`'s next candidate arrival: exponential at
    /// the peak rate (a Poisson process), at least a microsecond; nil if it has no workload.
    func gap(_ c: Int, random: inout SimRandom) -> Duration? {
        let peak = peakRate(c).peak
        guard peak > 0 else { return nil }
        let u = Double(random.next() >> 11) / Double(1 << 53)
        let gap = -Foundation.log(1 - u) / peak
        return .microseconds(max(1, Int64(gap * 1e6)))
    }

    /// Thinning: a candidate arrival at `now` is kept at the hour's share of the peak.
    func keeps(_ c: Int, at now: SimTime, random: inout SimRandom) -> Bool {
        let rhythm = plan.communities[c].workload.rhythm
        return random.chance(rhythm.factor(atHour: hour(at: now)) / rhythm.peak)
    }

    /// Whether community `c`'s committee opens the day's proposal first thing (a ballot day, or ballots in the mix).
    func opensProposal(_ c: Int) -> Bool {
        let w = plan.communities[c].workload
        return w.ballotTurnout > 0 || (w.mix[.ballot] ?? 0) > 0
    }

    /// Community `c`'s committee opens the day's proposal (it closes a day after the run).
    mutating func openProposal(_ c: Int, client: inout ClientLedger, time: Timestamp, at now: SimTime) -> Transaction {
        let end = time + plan.durationSeconds * 1_000 + 86_400_000
        let terms = ProposalTerms(title: "Courtyard renovation", description: "Shall the courtyard be renovated this year?", options: ["yes", "no"],
                                  eligibleRoles: RoleSet([.resident]), closing: .time(end), quorumBasisPoints: 2_000, passBasisPoints: 5_000)
        let tx = client.make(.proposal(Proposal(terms: terms)), by: .committee, time: time, at: now)
        proposals[c] = tx.id
        return tx
    }

    /// One record of community `c`'s workload, of a kind drawn from its mix,
    /// signed by whom the rules allow (nil: a ballot with nobody left to vote
    /// or no proposal yet, or a referral in a city of one).
    mutating func record(_ c: Int, clients: inout [ClientLedger], time: Timestamp, at now: SimTime,
                         random: inout SimRandom) -> Transaction? {
        let rates = peakRate(c)
        let w = plan.communities[c].workload
        var kind: CityPlan.RecordKind = .serviceRequest
        if random.chance(rates.ballots / max(rates.records + rates.ballots, 1e-12)) {
            kind = .ballot
        } else {
            let kinds = CityPlan.RecordKind.allCases.filter { (w.mix[$0] ?? 0) > 0 }
            let total = kinds.map { w.mix[$0]! }.reduce(0, +)
            var x = Double(random.next() >> 11) / Double(1 << 53) * total
            for k in kinds {
                x -= w.mix[k]!
                if x < 0 { kind = k; break }
            }
        }
        switch kind {
        case .serviceRequest:
            return clients[c].next(time: time, at: now, random: &random)
        case .notice:
            noticeCount[c] += 1
            let n = noticeCount[c]
            return clients[c].make(.notice(Notice(category: .services, title: "Notice \(n)", body: "Water off in building \(n % 9 + 1) from 9:00 to 12:00.")),
                                   by: .committee, time: time, at: now)
        case .volunteer:
            let resident = Int(random.below(UInt64(clients[c].residents)))
            let record = VolunteerRecord(volunteer: clients[c].residentSubject(resident), activity: "elder visits",
                                         minutes: UInt32(30 + random.below(91)), day: UInt32(time / 86_400_000))
            return clients[c].make(.volunteerRecord(record), by: .elders, time: time, at: now)
        case .referral:
            guard clients.count > 1 else { return nil }
            let to = (c + 1 + Int(random.below(UInt64(clients.count - 1)))) % clients.count
            referralsMade += 1
            return clients[c].make(.referral(Referral(toCommunity: communities[to], kind: .request, reference: nil,
                                                      summary: "case \(referralsMade) from \(communities[c])")),
                                   by: .committee, time: time, at: now)
        case .ballot:
            // Residents vote once the day's proposal is on the chain; each votes once.
            let residents = clients[c].residents
            let offset = Int(random.below(UInt64(residents)))
            guard let proposal = proposals[c], clients[c].stillWanted(proposal) == nil,
                  let voter = (0..<residents).lazy.map({ ($0 + offset) % residents }).first(where: { !voted[c].contains($0) }) else { return nil }
            voted[c].insert(voter)
            return clients[c].make(.ballot(Ballot(proposal: proposal, choice: UInt32(random.below(2)))), by: nil, resident: voter, time: time, at: now)
        }
    }
}

public import CivitasCodec
public import CivitasLedger

/// An opened proposal, with its electorate fixed at opening.
public struct ProposalEntry: StateEntry {
    /// The transaction ID.
    public var id: Hash
    /// Where it was opened (proposals close in this order).
    public var height: UInt64
    public var index: Int
    /// Block time of the opening.
    public var time: Timestamp
    public var proposer: SubjectID
    public var title: String
    public var description: String
    public var eligibleRoles: RoleSet
    /// The terms' closing rule, its value clamped.
    public var closing: ClosingRule
    public var quorumBasisPoints: UInt32
    public var passBasisPoints: UInt32
    public var options: [String]
    /// Endorsements the proposal carried.
    public var endorsementCount: Int
    /// Their signers, ascending, each once.
    public var endorsers: [PublicKey]
    /// The active subjects holding an eligible role at opening, ascending: the quorum's denominator.
    public var electorate: [SubjectID]
    /// RFC 6962 Merkle root over `electorate` (leaves: the subject IDs' bytes).
    public var electorateRoot: Hash
    public var isOpen: Bool
    /// The height of the block that closed it (nil while open).
    public var closedHeight: UInt64?

    public init(id: Hash, height: UInt64, index: Int, time: Timestamp, proposer: SubjectID, title: String,
                description: String, eligibleRoles: RoleSet, closing: ClosingRule, quorumBasisPoints: UInt32,
                passBasisPoints: UInt32, options: [String], endorsementCount: Int, endorsers: [PublicKey],
                electorate: [SubjectID], electorateRoot: Hash, isOpen: Bool, closedHeight: UInt64?) {
        self.id = id
        self.height = height
        self.index = index
        self.time = time
        self.proposer = proposer
        self.title = title
        self.description = description
        self.eligibleRoles = eligibleRoles
        self.closing = closing
        self.quorumBasisPoints = quorumBasisPoints
        self.passBasisPoints = passBasisPoints
        self.options = options
        self.endorsementCount = endorsementCount
        self.endorsers = endorsers
        self.electorate = electorate
        self.electorateRoot = electorateRoot
        self.isOpen = isOpen
        self.closedHeight = closedHeight
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.id < b.id }

    public func encode(to w: inout ByteWriter) {
        w.write(id); w.writeVarint(height); w.writeCount(index); w.writeVarint(time); w.write(proposer)
        w.writeString(title); w.writeString(description); w.write(eligibleRoles); w.write(closing)
        w.writeVarint(quorumBasisPoints); w.writeVarint(passBasisPoints)
        w.writeCount(options.count)
        for option in options { w.writeString(option) }
        w.writeCount(endorsementCount); w.writeList(endorsers); w.writeList(electorate); w.write(electorateRoot)
        w.writeBool(isOpen); w.writeOptional(closedHeight)
    }
}

/// The counted ballot of one voter on one proposal (a later ballot replaces it until close).
public struct BallotEntry: StateEntry {
    public var proposal: Hash
    public var voter: SubjectID
    public var choice: UInt32
    /// Where the counted ballot is.
    public var height: UInt64
    public var index: Int
    public var transaction: Hash
    /// How many earlier ballots of this voter it replaced.
    public var replaced: UInt64

    public init(proposal: Hash, voter: SubjectID, choice: UInt32, height: UInt64, index: Int, transaction: Hash, replaced: UInt64) {
        self.proposal = proposal
        self.voter = voter
        self.choice = choice
        self.height = height
        self.index = index
        self.transaction = transaction
        self.replaced = replaced
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { (a.proposal, a.voter) < (b.proposal, b.voter) }

    public func encode(to w: inout ByteWriter) {
        w.write(proposal); w.write(voter); w.writeVarint(choice); w.writeVarint(height); w.writeCount(index)
        w.write(transaction); w.writeVarint(replaced)
    }
}

/// A closed proposal's tally and the block that closed it.
public struct TallyEntry: StateEntry {
    public var proposal: Hash
    public var closedHeight: UInt64
    /// Block time of the closing block.
    public var closedTime: Timestamp
    public var tally: Tally

    public init(proposal: Hash, closedHeight: UInt64, closedTime: Timestamp, tally: Tally) {
        self.proposal = proposal
        self.closedHeight = closedHeight
        self.closedTime = closedTime
        self.tally = tally
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.proposal < b.proposal }

    public func encode(to w: inout ByteWriter) {
        w.write(proposal); w.writeVarint(closedHeight); w.writeVarint(closedTime); w.writeList(tally.votes)
        w.writeVarint(tally.electorateSize); w.writeVarint(tally.ballotsCast); w.writeBool(tally.quorumMet)
        w.writeOptionalVarint(tally.leadingOption.map { UInt64($0) }); w.writeString(tally.outcome.rawValue)
    }
}

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

    /// The most votes any option has.
    public var leadingVotes: UInt64 { votes.max() ?? 0 }

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

    /// A tally as recorded (read back from a store).
    public init(votes: [UInt64], electorateSize: UInt64, ballotsCast: UInt64, quorumMet: Bool, leadingOption: Int?, outcome: TallyOutcome) {
        self.votes = votes
        self.electorateSize = electorateSize
        self.ballotsCast = ballotsCast
        self.quorumMet = quorumMet
        self.leadingOption = leadingOption
        self.outcome = outcome
    }
}

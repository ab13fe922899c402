public import CivitasGovernance
public import CivitasLedger

/// `civitas verify --federation`: a community's chain against the checkpoints
/// of it that neighbours recorded in their own chains. Neighbours anchored
/// those heads when they were current, so a history rewritten later —
/// even one re-signed by the community's own validators, which verifies on
/// its own — disagrees with them at the first rewritten checkpoint height.
public enum FederationCheck {
    /// A neighbour's record this chain does not match.
    public struct Disagreement: Sendable, Hashable, CustomStringConvertible {
        public var height: UInt64
        /// Who recorded it, and at which height of their chain.
        public var neighbour: String
        public var recordedHeight: UInt64
        public var recordedHeader: Hash
        /// This chain's header at that height; nil if the chain ends below it.
        public var chainHeader: Hash?

        public var description: String {
            let here = chainHeader.map { "this chain has \($0.hex)" } ?? "this chain ends below it"
            return "height \(height): \(neighbour) recorded header \(recordedHeader.hex) (at its height \(recordedHeight)); \(here)"
        }
    }

    /// What the check found: how many recorded checkpoints matched, and the first (lowest) disagreement.
    public struct Outcome: Sendable, Hashable {
        public var matched = 0
        public var first: Disagreement?
        public init() {}
    }

    /// Compares `recorded` — checkpoints of this chain (`genesis`) that
    /// `neighbour` recorded; others are skipped — with this chain's headers
    /// (`header(height)`: nil above its head), lowest height first.
    public static func compare(_ recorded: [CheckpointEntry], by neighbour: String, genesis: GenesisDocument,
                               header: (UInt64) throws -> Hash?) rethrows -> Outcome {
        var outcome = Outcome()
        let mine = recorded.filter { !$0.isOwn && $0.community == genesis.community && $0.genesisHash == genesis.hash }
        for entry in mine.sorted(by: { ($0.height, $0.recordedHeight) < ($1.height, $1.recordedHeight) }) {
            let here = try header(entry.height)
            if here == entry.headerHash {
                outcome.matched += 1
            } else if outcome.first == nil {
                outcome.first = Disagreement(height: entry.height, neighbour: neighbour, recordedHeight: entry.recordedHeight,
                                             recordedHeader: entry.headerHash, chainHeader: here)
            }
        }
        return outcome
    }
}

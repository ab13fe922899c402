import CivitasCodec
import CivitasGovernance
import CivitasLedger
import CivitasStorage
import Testing

/// `civitas verify --federation`'s comparison: a chain against the
/// checkpoints of it a neighbour recorded.
@Suite struct FederationCheckTests {
    static let genesis = GenesisDocument(
        community: CommunityID("hehua-north")!, time: 1_000_000,
        validators: [ValidatorEntry(name: "v", subject: SigningKey(seed: Bytes32(Array(repeating: 5, count: 32))!).publicKey,
                                    nodeKey: SigningKey(seed: Bytes32(Array(repeating: 6, count: 32))!).publicKey)],
        registrars: [], subjects: [], parameters: GenesisParameters())

    static func header(_ height: UInt64, rewritten: Bool = false) -> Hash { Hashing.sha256([UInt8(truncatingIfNeeded: height), UInt8(truncatingIfNeeded: height >> 8), rewritten ? 1 : 0]) }

    /// What a neighbour recorded of `community`'s chain `genesisHash` at `height`, at its own height `at`.
    static func recorded(_ height: UInt64, at: UInt64, header: Hash, community: String = "hehua-north",
                         genesisHash: Hash = genesis.hash) -> CheckpointEntry {
        CheckpointEntry(community: CommunityID(community)!, height: height, headerHash: header, genesisHash: genesisHash, isOwn: false,
                        recordedHeight: at, recordedTime: 0, recordedIndex: 0, transaction: Hash(), submitter: nil, votes: 3,
                        certificate: [])
    }

    @Test func aChainThatMatchesEveryRecordPasses() {
        let records = [100, 200, 300].map { Self.recorded(UInt64($0), at: UInt64($0) / 10, header: Self.header(UInt64($0))) }
        let outcome = FederationCheck.compare(records, by: "lianhua-east", genesis: Self.genesis) { Self.header($0) }
        #expect(outcome.matched == 3 && outcome.first == nil)
    }

    /// A history rewritten from height 150 on (re-signed by its own
    /// validators, so it verifies on its own) disagrees with the neighbour's
    /// record at 200: the first recorded height above the rewrite is named,
    /// whatever order the records come in; records of other chains and
    /// other communities are not this chain's and are skipped.
    @Test func aRewrittenHistoryIsNamedAtTheFirstRecordedHeightItChanged() {
        let records = [
            Self.recorded(300, at: 31, header: Self.header(300)),
            Self.recorded(100, at: 11, header: Self.header(100)),
            Self.recorded(200, at: 21, header: Self.header(200)),
            Self.recorded(250, at: 26, header: Self.header(250, rewritten: true), community: "pine-row"),
            Self.recorded(250, at: 26, header: Self.header(250, rewritten: true), genesisHash: Hash()),
        ]
        let outcome = FederationCheck.compare(records, by: "lianhua-east", genesis: Self.genesis) { Self.header($0, rewritten: $0 >= 150) }
        #expect(outcome.matched == 1)
        let first = outcome.first
        #expect(first?.height == 200 && first?.recordedHeight == 21 && first?.chainHeader == Self.header(200, rewritten: true))
        #expect(first?.description.hasPrefix("height 200: lianhua-east recorded header \(Self.header(200).hex) (at its height 21)") == true)
    }

    /// A chain cut below a recorded checkpoint disagrees there too.
    @Test func aChainThatEndsBelowARecordDisagrees() {
        let records = [Self.recorded(100, at: 11, header: Self.header(100)), Self.recorded(200, at: 21, header: Self.header(200))]
        let outcome = FederationCheck.compare(records, by: "lianhua-east", genesis: Self.genesis) { $0 <= 150 ? Self.header($0) : nil }
        #expect(outcome.matched == 1 && outcome.first?.height == 200 && outcome.first?.chainHeader == nil)
        #expect(outcome.first?.description.hasSuffix("this chain ends below it") == true)
    }
}

import CivitasCodec
import CivitasGovernance
import CivitasLedger
import CivitasNodeCore
import Testing

/// The mempool consults the governance rules through `GovernanceMempoolView`.
@Suite("Governance mempool view")
struct GovernanceMempoolViewTests {
    static func key(_ n: UInt8) -> SigningKey { SigningKey(seed: Bytes32(Array(repeating: 3, count: 31) + [n])!) }
    static let community = CommunityID("lianhua-east")!
    let party = key(1), resident = key(2), node = key(3), outsider = key(4)
    var genesis: GenesisDocument {
        GenesisDocument(
            community: Self.community, time: 1_000, validators: [ValidatorEntry(name: "party", subject: party.publicKey, nodeKey: node.publicKey)],
            registrars: [], subjects: [
                GenesisSubject(key: party.publicKey, displayName: "Party Branch", unit: "Centre", roles: RoleSet([.partyBranch])),
                GenesisSubject(key: resident.publicKey, displayName: "Wang", unit: "3-201", roles: RoleSet([.resident])),
            ], parameters: GenesisParameters())
    }

    func tx(_ key: SigningKey, nonce: UInt64, _ payload: TransactionPayload) -> Transaction {
        UnsignedTransaction(community: Self.community, signer: key.publicKey, nonce: nonce, time: 2_000, payload: payload).signed(with: key)
    }

    @Test func refusesWhatTheRulesRefuseWithTheirReason() {
        var state = GovernanceState(genesis: genesis)
        var pool = Mempool()
        let partyNotice = TransactionPayload.notice(Notice(category: .partyAffairs, title: "Meeting", body: "Thursday"))
        let fromResident = tx(resident, nonce: 1, partyNotice)
        guard case let .rejected(.notPermitted(reason)) = pool.admit(fromResident, view: GovernanceMempoolView(genesis: genesis, reader: state), now: 5_000) else {
            Issue.record("a resident's party-affairs notice was not refused")
            return
        }
        #expect(reason == "notice category partyAffairs may be issued only by partyBranch; signer \(resident.publicKey.subjectID) holds [resident]")
        guard case .rejected(.notPermitted) = pool.admit(tx(outsider, nonce: 1, partyNotice), view: GovernanceMempoolView(genesis: genesis, reader: state), now: 5_000) else {
            Issue.record("an unregistered signer was not refused")
            return
        }
        let allowed = tx(party, nonce: 1, partyNotice)
        guard case .admitted = pool.admit(allowed, view: GovernanceMempoolView(genesis: genesis, reader: state), now: 5_000) else {
            Issue.record("the party branch's notice was refused")
            return
        }
        // Once committed, the view reports the consumed nonce and the mempool drops it.
        let view0 = GovernanceMempoolView(genesis: genesis, reader: state)
        let batch = pool.batch(maxCount: 10, maxBytes: 1 << 20, view: view0)
        #expect(batch.map(\.id) == [allowed.id])
        let block = Block(community: Self.community, height: 1, previous: genesis.hash, time: 6_000, proposer: 0, transactions: batch)
        #expect(state.apply(block)?.outcomes == [.applied])
        let view1 = GovernanceMempoolView(genesis: genesis, reader: state)
        #expect(view1.committedNonce(of: party.publicKey) == 1)
        _ = pool.committed(batch, view: view1)
        #expect(!pool.contains(allowed.id))
    }
}

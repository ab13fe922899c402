import CivitasCodec
import CivitasLedger
@testable import CivitasNodeCore
import Testing

/// Admission: every refusal with its message, dedup, replays, the bounds.
@Suite("Mempool admission")
struct MempoolAdmissionTests {
    let alice = Fixtures.key(1), bob = Fixtures.key(2), carol = Fixtures.key(3)

    @Test func aValidTransactionIsAdmittedUnderItsID() {
        var pool = Mempool()
        let tx = Fixtures.tx(alice, 1)
        let outcome = pool.admit(tx, view: StubView(), now: 5)
        #expect(outcome == .admitted(id: tx.id, displaced: []))
        #expect(pool.count == 1 && pool.bytes == tx.encoded().count && pool.bytes == tx.encodedSize)
        #expect(pool.contains(tx.id) && pool.transaction(tx.id) == tx && pool.arrival(of: tx.id) == 5)
        #expect(pool.pending(of: alice.publicKey) == [tx] && pool.pendingCount(of: alice.publicKey) == 1)
    }

    @Test func resubmittingTheSameTransactionIsIdempotent() {
        var pool = Mempool()
        let view = StubView()
        let tx = Fixtures.tx(alice, 1)
        _ = pool.admit(tx, view: view, now: 0)
        #expect(pool.admit(tx, view: view, now: 10) == .alreadyKnown(id: tx.id))
        #expect(pool.admit(tx, view: view, now: 20) == .alreadyKnown(id: tx.id))
        #expect(pool.count == 1 && pool.arrival(of: tx.id) == 0, "a resubmission neither adds a copy nor refreshes the arrival")
        // The ID excludes the signature: the same content under another signature is the same transaction.
        #expect(pool.admit(Fixtures.forged(tx, by: alice), view: view, now: 30) == .alreadyKnown(id: tx.id))
        #expect(pool.transaction(tx.id)?.signature == tx.signature, "the held, verified signature stays")
    }

    @Test func aTransactionForAnotherCommunityIsRefused() {
        var pool = Mempool()
        let outcome = pool.admit(Fixtures.tx(alice, 1, community: Fixtures.otherCommunity), view: StubView(), now: 0)
        #expect(outcome == .rejected(.wrongCommunity(transaction: Fixtures.otherCommunity, node: Fixtures.community)))
        #expect(outcome.rejection?.description == "wrong community: the transaction is for 'birch-lane', this node serves 'maple-court'")
        #expect(pool.count == 0)
    }

    @Test func aTransactionOverTheSizeLimitIsRefused() {
        var pool = Mempool(settings: Fixtures.small(transactionBytes: 300))
        let fits = Fixtures.tx(alice, 1, Fixtures.request(String(repeating: "x", count: 100)))
        let big = Fixtures.tx(alice, 1, Fixtures.request(String(repeating: "x", count: 300)))
        let size = big.encodedSize
        #expect(size > 300 && fits.encodedSize <= 300)
        #expect(pool.admit(big, view: StubView(), now: 0) == .rejected(.tooLarge(bytes: size, limit: 300)))
        #expect(MempoolRejection.tooLarge(bytes: size, limit: 300).description == "too large: \(size) bytes encoded, the limit is 300")
        #expect(pool.admit(fits, view: StubView(), now: 0).admittedID == fits.id)
    }

    @Test func aTransactionWithABadSignatureIsRefused() {
        var pool = Mempool()
        let forged = Fixtures.forged(Fixtures.tx(alice, 1), by: alice)
        let outcome = pool.admit(forged, view: StubView(), now: 0)
        #expect(outcome == .rejected(.badSignature))
        #expect(outcome.rejection?.description == "bad signature: it does not verify for the signer's key")
        // Signed by someone else's key over the same content: also refused.
        var stolen = Fixtures.tx(alice, 1)
        stolen.signature = bob.sign(stolen.body.signingMessage, domain: .transaction)
        #expect(pool.admit(stolen, view: StubView(), now: 0) == .rejected(.badSignature))
        #expect(pool.count == 0)
    }

    @Test func aNonceAtOrBelowTheCommittedNonceIsRefusedAsAReplay() {
        var pool = Mempool()
        var view = StubView()
        view.nonces[alice.publicKey] = 4
        for nonce: UInt64 in [0, 1, 4] {
            #expect(pool.admit(Fixtures.tx(alice, nonce), view: view, now: 0) == .rejected(.nonceUsed(nonce: nonce, committed: 4)))
        }
        #expect(MempoolRejection.nonceUsed(nonce: 4, committed: 4).description
            == "nonce already used (replay): nonce 4, the signer's committed nonce is 4")
        #expect(pool.admit(Fixtures.tx(alice, 5), view: view, now: 0).admittedID != nil)
    }

    @Test func aTransactionIsRefusedAsAReplayOnceItsBlockIsCommitted() {
        var pool = Mempool()
        var view = StubView()
        let tx = Fixtures.tx(alice, 1)
        _ = pool.admit(tx, view: view, now: 0)
        view.apply([tx])
        let dropped = pool.committed([tx], view: view)
        #expect(dropped.isEmpty && pool.count == 0 && pool.bytes == 0)
        #expect(pool.admit(tx, view: view, now: 1) == .rejected(.nonceUsed(nonce: 1, committed: 1)))
    }

    @Test func aNonceFurtherThanTheGapAheadIsRefused() {
        var pool = Mempool(settings: Fixtures.small(nonceGap: 8))
        var view = StubView()
        view.nonces[alice.publicKey] = 10
        let outcome = pool.admit(Fixtures.tx(alice, 19), view: view, now: 0)
        #expect(outcome == .rejected(.nonceTooFarAhead(nonce: 19, committed: 10, maxGap: 8)))
        #expect(outcome.rejection?.description == "nonce too far ahead: nonce 19, at most 8 past the signer's committed nonce 10")
        #expect(pool.admit(Fixtures.tx(alice, 18), view: view, now: 0).admittedID != nil, "exactly the gap is allowed")
    }

    @Test func aDifferentTransactionWithAPendingNonceIsRefused() {
        var pool = Mempool()
        let first = Fixtures.tx(alice, 1, Fixtures.request("lift broken"))
        let second = Fixtures.tx(alice, 1, Fixtures.request("lift still broken"))
        _ = pool.admit(first, view: StubView(), now: 0)
        let outcome = pool.admit(second, view: StubView(), now: 0)
        #expect(outcome == .rejected(.nonceTaken(nonce: 1, pending: first.id)))
        #expect(outcome.rejection?.description == "a different transaction is already pending with nonce 1 from this signer (\(first.id.hex))")
        #expect(pool.pending(of: alice.publicKey) == [first], "the first one stays; nothing is replaced")
    }

    @Test func aTransactionTheRulesRefuseIsNotPermittedWithTheRulesReason() {
        var pool = Mempool()
        var view = StubView()
        view.roles[alice.publicKey] = RoleSet([.resident])
        view.roles[bob.publicKey] = RoleSet([.partyBranch])
        let outcome = pool.admit(Fixtures.tx(alice, 1, Fixtures.notice(.partyAffairs)), view: view, now: 0)
        #expect(outcome == .rejected(.notPermitted("a partyAffairs notice is issued only by partyBranch")))
        #expect(outcome.rejection?.description == "not permitted: a partyAffairs notice is issued only by partyBranch")
        #expect(pool.admit(Fixtures.tx(alice, 1, .registration(Registration(action: .register, subject: carol.publicKey,
                                                                            displayName: "Carol", unit: "3-101", roles: RoleSet([.resident])))),
                           view: view, now: 0).rejection == .notPermitted("only the residents' committee registers subjects"))
        #expect(pool.admit(Fixtures.tx(bob, 1, Fixtures.notice(.partyAffairs)), view: view, now: 0).admittedID != nil)
        #expect(pool.count == 1)
    }

    @Test func aSignerAtItsLimitIsRefusedWhileOthersAreAdmitted() {
        var pool = Mempool(settings: Fixtures.small(transactions: 100, perSigner: 3))
        for n: UInt64 in 1...3 { #expect(pool.admit(Fixtures.tx(alice, n), view: StubView(), now: 0).admittedID != nil) }
        let outcome = pool.admit(Fixtures.tx(alice, 4), view: StubView(), now: 0)
        #expect(outcome == .rejected(.signerAtLimit(pending: 3)))
        #expect(outcome.rejection?.description == "signer at its per-signer limit: 3 transactions pending; wait for some to commit")
        #expect(pool.admit(Fixtures.tx(bob, 1), view: StubView(), now: 0).admittedID != nil)
        #expect(pool.pendingCount(of: alice.publicKey) == 3 && pool.count == 4)
    }

    @Test func aFullPoolRefusesWhenNobodyHoldsMoreThanTheNewcomersSigner() {
        // Four signers holding one each: nobody holds more, so nobody is displaced.
        var pool = Mempool(settings: Fixtures.small(transactions: 4))
        let keys = (1...5).map { Fixtures.key(UInt8($0)) }
        for k in keys.prefix(4) { _ = pool.admit(Fixtures.tx(k, 1), view: StubView(), now: 0) }
        let outcome = pool.admit(Fixtures.tx(keys[4], 1), view: StubView(), now: 0)
        #expect(outcome == .rejected(.full(transactions: 4, bytes: pool.bytes)))
        #expect(outcome.rejection?.description == "mempool full: 4 transactions, \(pool.bytes) bytes pending; try again later")
        #expect(pool.count == 4)
    }

    @Test func cheapChecksRunBeforeTheRulesAndTheSignature() {
        // Full with one transaction each from bob and dave, so fair admission has nobody to displace.
        var pool = Mempool(settings: Fixtures.small(transactions: 2, perSigner: 1, transactionBytes: 300, nonceGap: 4))
        var view = StubView()
        view.nonces[alice.publicKey] = 2
        _ = pool.admit(Fixtures.tx(bob, 1), view: view, now: 0)
        _ = pool.admit(Fixtures.tx(Fixtures.key(4), 1), view: view, now: 0)
        let lookupsBefore = view.lookups.permissions
        // Each is forged and breaks a rule too; the cheap reason is reported.
        let party = Fixtures.notice(.partyAffairs)
        func forged(_ k: SigningKey, _ n: UInt64, _ p: TransactionPayload = Fixtures.notice(.partyAffairs),
                    community: CommunityID = Fixtures.community) -> Transaction {
            Fixtures.forged(Fixtures.tx(k, n, p, community: community), by: k)
        }
        #expect(pool.admit(forged(alice, 3, community: Fixtures.otherCommunity), view: view, now: 0).rejection
            == .wrongCommunity(transaction: Fixtures.otherCommunity, node: Fixtures.community))
        #expect(pool.admit(forged(alice, 3, Fixtures.request(String(repeating: "x", count: 400))), view: view, now: 0).rejection?.description.hasPrefix("too large") == true)
        #expect(pool.admit(forged(alice, 2), view: view, now: 0).rejection == .nonceUsed(nonce: 2, committed: 2))
        #expect(pool.admit(forged(alice, 7), view: view, now: 0).rejection == .nonceTooFarAhead(nonce: 7, committed: 2, maxGap: 4))
        #expect(pool.admit(forged(bob, 1), view: view, now: 0).rejection?.description.hasPrefix("a different transaction") == true)
        #expect(pool.admit(forged(bob, 2), view: view, now: 0).rejection == .signerAtLimit(pending: 1))
        #expect(pool.admit(forged(carol, 1), view: view, now: 0).rejection == .full(transactions: 2, bytes: pool.bytes))
        #expect(view.lookups.permissions == lookupsBefore, "no rule was looked up for a transaction a cheap check refused")
        // With room, the rule is checked before the signature.
        var roomy = Mempool()
        #expect(roomy.admit(forged(carol, 1, party), view: view, now: 0).rejection?.description.hasPrefix("not permitted") == true)
        #expect(roomy.admit(forged(carol, 1, Fixtures.request()), view: view, now: 0).rejection == .badSignature)
    }
}

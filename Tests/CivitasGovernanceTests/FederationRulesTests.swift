import CivitasCodec
import CivitasGovernance
import CivitasLedger
import Testing

/// The city federation in the governance transition: a community adopts the
/// federation document by its residents' committee's decision, every replica
/// verifies a neighbour's checkpoint against it, and a second valid head at
/// one height is recorded as tamper evidence.
@Suite("Federation rules")
struct FederationRulesTests {
    let c = GovernanceCommunity()
    let neighbour = GovernanceCommunity.neighbour

    func adopt(_ document: FederationDocument) -> TransactionPayload { .federationAdoption(FederationAdoption(document: document)) }

    /// A driver whose community adopted `c.federation()` in block 1.
    func adopted() -> GovernanceDriver {
        var d = GovernanceDriver(c)
        d.add("committee", adopt(c.federation()))
        #expect(d.seal().outcomes == [.applied])
        return d
    }

    // MARK: Adoption

    @Test func onlyTheResidentsCommitteeAdoptsAFederationDocument() {
        var d = GovernanceDriver(c)
        for who in ["wang", "street", "party"] {
            #expect(d.check(who, adopt(c.federation()))?.hasPrefix("a federation adoption may be issued only by residentsCommittee") == true)
        }
        let tx = d.add("committee", adopt(c.federation()))
        d.seal()
        let entry = d.state.adoptedFederation()
        #expect(entry == FederationAdoptionEntry(document: c.federation(), height: 1, time: d.time, index: 0, transaction: tx.id,
                                                 adopter: c.subject("committee")))
        #expect(entry?.hash == c.federation().hash && entry?.sequence == 1)
    }

    @Test func aLaterVersionReplacesTheAdoptedDocumentAndNoOtherDoes() throws {
        var d = adopted()
        #expect(d.check("committee", adopt(c.federation())) == "federation document 1 (\(c.federation().hash.hex)) is already adopted")
        let rival = try FederationDocument(sequence: 1, communities: [c.member])
        #expect(d.check("committee", adopt(rival)) == "federation document sequence 1 is not above the adopted one's (1)")
        let later = try c.federation().setting(FederationMember(community: CommunityID("baihe")!, genesisHash: Hashing.sha256([3]),
                                                                validators: [c.key("node0").publicKey], caCertificate: [1]))
        d.add("committee", adopt(later))
        #expect(d.seal().outcomes == [.applied])
        #expect(d.state.adoptedFederation()?.document == later && d.state.adoptedFederation()?.height == 2)
        #expect(d.state.federationAdoptions.keys.sorted() == [1, 2])
        #expect(d.check("committee", adopt(try FederationDocument(sequence: 1, communities: [c.member]))) ==
            "federation document sequence 1 is not above the adopted one's (2)")
    }

    @Test func aDocumentMustListThisCommunityAsItsOwnChainIs() throws {
        let d = adopted()
        let own = GovernanceCommunity.community
        let without = try FederationDocument(sequence: 2, communities: [GovernanceCommunity.neighbourMember()])
        #expect(d.check("committee", adopt(without)) ==
            "federation document 2 does not list this community ('lianhua-east'), so adopting it would not join it")
        var otherChain = c.member
        otherChain.genesisHash = Hashing.sha256([4])
        #expect(d.check("committee", adopt(try FederationDocument(sequence: 2, communities: [otherChain]))) ==
            "federation document 2 lists '\(own)' with genesis \(otherChain.genesisHash.hex), not this chain's \(c.genesis.hash.hex)")
        var otherKeys = c.member
        otherKeys.validators.reverse()
        #expect(d.check("committee", adopt(try FederationDocument(sequence: 2, communities: [otherKeys])))?
            .contains("lists other validator keys for 'lianhua-east' than its genesis document does") == true)
        // Nor is a first adoption allowed without this community.
        #expect(GovernanceDriver(c).check("committee", adopt(try FederationDocument(sequence: 1, communities: [GovernanceCommunity.neighbourMember()])))?
            .contains("does not list this community") == true)
    }

    // MARK: Checkpoints

    @Test func aNeighboursCheckpointIsRefusedBeforeAnyDocumentIsAdopted() {
        let d = GovernanceDriver(c)
        #expect(d.check("street", .checkpoint(c.neighbourCheckpoint(height: 7))) ==
            "no federation document is adopted: a neighbour's checkpoint is verified against the one the residents' committee adopted (kind 16)")
    }

    @Test func aCheckpointOfACommunityNotInTheDocumentOrOfAnotherChainIsRefused() {
        let d = adopted()
        var stranger = c.neighbourCheckpoint(height: 7)
        stranger.community = CommunityID("baihe")!
        #expect(d.check("street", .checkpoint(stranger)) ==
            "checkpoint of 'baihe' at height 7 does not verify against federation document 1: community 'baihe' is not in the federation document")
        let otherChain = Hashing.sha256([8])
        #expect(d.check("street", .checkpoint(c.neighbourCheckpoint(height: 7, genesisHash: otherChain)))?
            .hasSuffix("the federation document lists community 'hehua-north' with genesis \(GovernanceCommunity.neighbourGenesis.hex), not \(otherChain.hex)") == true)
    }

    @Test func aForgedOrUnderQuorumCertificateIsRefused() {
        let d = adopted()
        let prefix = "checkpoint of 'hehua-north' at height 7 does not verify against federation document 1: commit certificate refused: "
        #expect(d.check("street", .checkpoint(c.neighbourCheckpoint(height: 7, voters: [1]))) == prefix + "1 of 3 validators signed; a majority is 2")
        // Signed by this community's own validators in the neighbour's name.
        let hash = c.neighbourHeader(height: 7).hash
        let forged = Checkpoint(community: neighbour, genesisHash: GovernanceCommunity.neighbourGenesis, certificate: CommitCertificate(
            height: 7, headerHash: hash, votes: (0..<3).map { BlockVote(index: UInt32($0), key: c.key("node\($0)"), headerHash: hash) }))
        #expect(d.check("street", .checkpoint(forged)) == prefix + "bad signature from validator #0")
        // A majority of good votes with one bad vote: refused (docs/codec.md, CommitCertificate).
        var oneBad = c.neighbourCheckpoint(height: 7)
        oneBad.certificate.votes[1].signature = Signature()
        #expect(d.check("street", .checkpoint(oneBad)) == prefix + "bad signature from validator #1")
        #expect(d.check("street", .checkpoint(c.neighbourCheckpoint(height: 7, voters: [0, 2]))) == nil)
    }

    @Test func aCheckpointAtHeightZeroOrBeyondWhatTheStateHoldsIsRefused() {
        let d = adopted()
        #expect(d.check("street", .checkpoint(c.neighbourCheckpoint(height: 0))) == "a checkpoint's height must be 1 to \(StateInteger.max), not 0")
        #expect(d.check("street", .checkpoint(c.neighbourCheckpoint(height: StateInteger.max + 1)))?.hasPrefix("a checkpoint's height must be") == true)
    }

    @Test func aValidCheckpointIsAnchoredOnceWithItsCertificate() {
        var d = adopted()
        let cp = c.neighbourCheckpoint(height: 7)
        let tx = d.add("street", .checkpoint(cp))
        #expect(d.seal().outcomes == [.applied])
        let anchor = d.state.anchoredCheckpoint(community: neighbour, genesisHash: GovernanceCommunity.neighbourGenesis, height: 7)
        #expect(anchor == CheckpointEntry(community: neighbour, height: 7, headerHash: cp.headerHash, genesisHash: cp.genesisHash,
                                          isOwn: false, recordedHeight: 2, recordedTime: d.time, recordedIndex: 0, transaction: tx.id,
                                          submitter: c.subject("street"), votes: 3, certificate: cp.certificate.encoded()))
        #expect(d.check("committee", .checkpoint(cp)) == "checkpoint of 'hehua-north' at height 7 (\(cp.headerHash.hex)) is already recorded")
        // The same head with fewer votes is the same anchor.
        #expect(d.check("committee", .checkpoint(c.neighbourCheckpoint(height: 7, voters: [0, 1])))?.hasSuffix("is already recorded") == true)
        #expect(d.state.tamperEvidence.isEmpty)
    }

    @Test func aSecondValidHeadAtOneHeightIsRecordedAsTamperEvidenceNotRefused() {
        var d = adopted()
        let first = c.neighbourCheckpoint(height: 7), second = c.neighbourCheckpoint(height: 7, fork: 1)
        d.add("street", .checkpoint(first))
        d.seal()
        let tx = d.add("owners", .checkpoint(second))
        #expect(d.seal().outcomes == [.applied])
        let evidence = d.state.tamperEvidence(of: neighbour, height: 7)
        #expect(evidence == [TamperEvidenceEntry(
            community: neighbour, genesisHash: GovernanceCommunity.neighbourGenesis, height: 7, anchoredHeaderHash: first.headerHash,
            anchoredCertificate: first.certificate.encoded(), conflictingHeaderHash: second.headerHash,
            conflictingCertificate: second.certificate.encoded(), recordedHeight: 3, recordedTime: d.time, recordedIndex: 0,
            transaction: tx.id, submitter: c.subject("owners"))])
        // The anchor stays the first head; both certificates verify, so anyone can check the evidence.
        #expect(d.state.anchoredCheckpoint(community: neighbour, genesisHash: first.genesisHash, height: 7)?.headerHash == first.headerHash)
        for certificate in [evidence[0].anchoredCertificate, evidence[0].conflictingCertificate] {
            #expect((try? c.federation().verify(try CommitCertificate(encoded: certificate), of: neighbour,
                                                 genesisHash: first.genesisHash)) != nil)
        }
        // Exact duplicates are refused: of the evidence, and of the anchor.
        #expect(d.check("street", .checkpoint(second)) ==
            "checkpoint of 'hehua-north' at height 7 (\(second.headerHash.hex)) is already recorded as tamper evidence")
        #expect(d.check("street", .checkpoint(first))?.hasSuffix("is already recorded") == true)
        // A third head at that height is more evidence against the same anchor; other heights are untouched.
        d.add("street", .checkpoint(c.neighbourCheckpoint(height: 7, fork: 2)))
        d.add("street", .checkpoint(c.neighbourCheckpoint(height: 8, fork: 2)))
        #expect(d.seal().outcomes == [.applied, .applied])
        #expect(d.state.tamperEvidence(of: neighbour, height: 7).count == 2)
        #expect(d.state.tamperEvidence(of: neighbour, height: 8).isEmpty)
        #expect(d.state.tamperEvidence.values.allSatisfy { $0.anchoredHeaderHash == first.headerHash })
    }

    @Test func aForgedSecondHeadIsRefusedNotRecordedAsEvidence() {
        var d = adopted()
        d.add("street", .checkpoint(c.neighbourCheckpoint(height: 7)))
        d.seal()
        #expect(d.check("street", .checkpoint(c.neighbourCheckpoint(height: 7, fork: 1, voters: [2])))?.contains("1 of 3 validators signed") == true)
    }

    @Test func aNewChainOfANeighbourIsNotEvidenceAgainstItsOldOne() throws {
        var d = adopted()
        d.add("street", .checkpoint(c.neighbourCheckpoint(height: 7)))
        d.seal()
        // The city's next document lists the neighbour's new chain (a new genesis); its height 7 is a new anchor.
        let newChain = Hashing.sha256(Array("hehua-north, second genesis".utf8))
        d.add("committee", adopt(c.federation(sequence: 2, neighbourGenesis: newChain)))
        d.add("street", .checkpoint(c.neighbourCheckpoint(height: 7, fork: 3, genesisHash: newChain)))
        #expect(d.seal().outcomes == [.applied, .applied])
        #expect(d.state.tamperEvidence.isEmpty)
        #expect(d.state.anchoredCheckpoint(community: neighbour, genesisHash: newChain, height: 7) != nil)
        // The old chain no longer verifies against the adopted document.
        #expect(d.check("street", .checkpoint(c.neighbourCheckpoint(height: 8)))?.contains("with genesis \(newChain.hex)") == true)
    }

    @Test func neighbourAnchorsGiveEachChainsLastAnchoredHeightAndWhenItWasAnchored() {
        var d = adopted()
        d.add("street", .checkpoint(c.neighbourCheckpoint(height: 20)))
        d.add("street", .checkpoint(c.neighbourCheckpoint(height: 10)))
        d.seal()
        let anchoredAt = d.time
        d.add("street", .checkpoint(c.neighbourCheckpoint(height: 15)))
        d.add("street", .checkpoint(c.neighbourCheckpoint(height: 20, fork: 1)))   // evidence, not an anchor
        d.seal()
        #expect(d.state.neighbourAnchors() == [NeighbourAnchor(
            community: neighbour, genesisHash: GovernanceCommunity.neighbourGenesis, height: 20,
            headerHash: c.neighbourHeader(height: 20).hash, recordedHeight: 2, recordedTime: anchoredAt, anchored: 3)])
        // Own checkpoints are not a neighbour's.
        d.seal(); d.seal()
        #expect(d.state.neighbourAnchors().map(\.community) == [neighbour])
    }
}

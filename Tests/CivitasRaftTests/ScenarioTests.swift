// Scenario scripts for the Raft ordering core. Each script is run by
// `ScriptCluster` (see ScriptCluster.swift for the command language); every
// step is also checked for Raft's five safety properties.
//
// Index bookkeeping used throughout: `bootstrap` writes one committed term-1
// entry per founding voter (indexes 1…n), and every new leader appends a
// no-op of its own term before anything else.
import CivitasRaft
import Testing

@Suite("Raft scenarios")
struct ScenarioTests {
    // MARK: Figure 8 of the Raft paper

    /// Figure 8 (a)–(c) with five servers, plain Raft as in the paper (no
    /// pre-vote, no check-quorum), one entry per append and one append in
    /// flight so replication can be stopped between entries. Indexes 6–7 play
    /// the paper's index 2; index 8 its index 3.
    static let figure8Prefix = """
        settings pre-vote off check-quorum off max-entries 1 max-inflight 1
        bootstrap 1 2 3 4 5
        expect commit all == 5

        # (a) S1 leads term 2 and replicates its entries (6 no-op, 7 "x") to S2 only.
        campaign 1
        deliver-type vote voteResponse
        expect leader 1 term 2
        partition 1 2 | 3 4 5
        propose 1 x
        deliver
        expect log 1 2 == 1..5/1 6..7/2
        expect commit 1 == 5

        # (b) S1 crashes; S5 wins term 3 with S3 and S4 and appends 6 and 7 of term 3 locally only.
        crash 1
        campaign 5
        deliver-type vote voteResponse
        expect leader 5 term 3
        isolate 5
        propose 5 y
        deliver
        expect log 5 == 1..5/1 6..7/3
        crash 5
        heal

        # (c) S1 restarts. Its term-3 campaign fails (S3, S4 voted for S5); it wins term 4
        # with S2, S3, S4. It brings S3 and S4 up to index 7, one entry at a time, but its
        # own term-4 entry (index 8) has reached nobody yet.
        restart 1
        campaign 1
        deliver
        expect role 1 candidate
        expect term 1 == 3
        campaign 1
        deliver-type vote voteResponse
        expect leader 1 term 4
        drop 1->2 1->5
        deliver 1->3 1->4     # rejected: S3 and S4 end at index 5
        deliver 3->1 4->1     # S1 backs off and sends index 6
        deliver 1->3 1->4
        deliver 3->1 4->1     # … then index 7
        deliver 1->3 1->4
        deliver 3->1 4->1     # … and queues index 8
        expect log 1 == 1..5/1 6..7/2 8/4
        expect log 2 3 4 == 1..5/1 6..7/2
        expect match 1 3 == 7
        expect match 1 4 == 7
        # S1, S3 and S4 — a majority — store index 7 of term 2, yet it is not committed:
        # a leader commits an earlier term's entry only through one of its own term.
        expect commit 1 3 4 == 5

        """

    @Test func figure8_anEarlierTermEntryOnAMajorityIsNotCommittedAndMayBeOverwritten() {
        ScriptCluster.run(Self.figure8Prefix + """
            # (d) S1 crashes before index 8 spreads. S5 restarts and, after a failed term-4
            # campaign, wins term 5 with S2, S3, S4 (its last term, 3, beats their 2). It
            # overwrites indexes 6 and 7 everywhere: safe, as they were never committed.
            drop 1->3 1->4
            crash 1
            restart 5
            campaign 5
            deliver
            expect role 5 follower
            campaign 5
            deliver
            expect leader 5 term 5
            expect log 2 3 4 5 == 1..5/1 6..7/3 8/5
            expect commit 2 3 4 5 == 8
            expect data 2 3 4 5 == y
            expect applied-equal 2 3 4 5
            """)
    }

    @Test func figure8_onceAnEntryOfTheCurrentTermIsOnAMajorityTheEarlierEntriesAreCommittedAndNeverOverwritten() {
        ScriptCluster.run(Self.figure8Prefix + """
            # (e) S1's term-4 entry reaches S3 and S4: index 8 commits, and 6–7 (term 2) with it.
            deliver 1->3 1->4
            deliver 3->1 4->1
            expect commit 1 == 8
            expect data 1 == x
            drop 1->*
            crash 1

            # S5 cannot win now: S3 and S4 hold a log newer than its own.
            restart 5
            campaign 5
            deliver
            campaign 5
            deliver
            expect role 5 candidate
            expect no-leader
            # S3 wins; the committed entries survive and replace S5's term-3 entries.
            campaign 3
            deliver
            expect leader 3 term 6
            expect log 2 3 4 5 == 1..5/1 6..7/2 8/4 9/6
            expect data 2 3 4 5 == x
            restart 1
            deliver
            stabilize
            expect leader 3 term 6
            expect commit all == 9
            expect applied-equal
            """)
    }

    // MARK: Partial partitions

    /// The November 2020 etcd/Cloudflare outage: a replica that could reach only
    /// part of the cluster kept forcing elections. With pre-vote and
    /// check-quorum, a replica cut off from the leader alone cannot depose it.
    @Test func partialPartition_aReplicaCutOffFromTheLeaderOnlyCannotDeposeIt() {
        ScriptCluster.run("""
            bootstrap 1 2 3
            campaign 1
            deliver
            expect leader 1 term 2
            cut 1<->3                  # 3 still reaches 2, and 2 reaches 1
            run x100
            expect leader 1 term 2
            expect term all == 2       # 3's pre-votes never raised a term
            expect role 3 preCandidate
            expect role 2 follower
            propose 1 a
            deliver
            expect commit 1 2 == 5
            heal
            run x20
            expect leader 1 term 2
            expect role 3 follower
            expect commit all == 5
            expect applied-equal
            """)
    }

    @Test func partialPartition_aLeaderThatReachesOnlyAMinorityStepsDownByCheckQuorum() {
        ScriptCluster.run("""
            bootstrap 1 2 3 4 5
            campaign 1
            deliver
            expect leader 1 term 2
            cut 1<->3 1<->4 1<->5      # 1 reaches only 2
            run x25 1 2                # (3, 4, 5 not ticked: nobody else campaigns yet)
            expect role 1 follower     # it could not hear from a quorum for an election timeout
            expect term 1 == 2         # and stepped down without anyone raising its term
            expect no-leader
            run x40
            expect one-leader term 3
            expect role 1 follower preCandidate
            propose leader kept
            run x3
            expect commit 2 3 4 5 == 8
            heal
            stabilize
            expect one-leader term 3
            expect log all == 1..5/1 6/2 7/3 8/3
            expect data all == kept
            expect applied-equal
            """)
    }

    // MARK: An isolated leader rejoining

    @Test func isolatedLeader_stepsDownOnHearingTheHigherTermAndLosesItsUncommittedEntries() {
        ScriptCluster.run("""
            bootstrap 1 2 3
            campaign 1
            deliver
            expect leader 1 term 2
            isolate 1
            propose 1 a b              # 5, 6 of term 2: on 1 only
            expect log 1 == 1..3/1 4..6/2
            run x40 2 3                # 1 is not ticked: it still believes it leads term 2
            expect one-leader 2 3 term 3
            propose leader c
            deliver
            expect commit 2 3 == 6
            expect leader 1 term 2
            heal
            tick 1                     # the stale leader's heartbeats …
            deliver 1->2 1->3
            deliver 2->1 3->1          # … are answered in term 3
            expect role 1 follower
            expect term 1 == 3
            stabilize
            expect one-leader term 3
            expect log all == 1..3/1 4/2 5..6/3
            expect data all == c
            expect applied-equal
            """)
    }

    // MARK: Stale and duplicated responses

    @Test func duplicatedVoteResponsesAreCountedOnce() {
        ScriptCluster.run("""
            bootstrap 1 2 3 4 5
            campaign 1
            deliver 1->2
            dup 2->1 x1
            dup 2->1 x1
            deliver 2->1
            expect role 1 preCandidate       # 2 of 5 pre-votes, however often 2's arrives
            deliver 1->3
            deliver 3->1
            expect role 1 candidate
            expect term 1 == 2
            deliver 1->2
            dup 2->1
            dup 2->1
            deliver 2->1
            expect role 1 candidate          # 2 of 5 votes
            deliver 1->3
            deliver 3->1
            expect leader 1 term 2
            deliver
            expect commit all == 6
            """)
    }

    @Test func duplicatedRejectionsAreCountedOnce() {
        ScriptCluster.run("""
            settings pre-vote off
            bootstrap 1 2 3 4 5
            campaign 1
            campaign 2                  # both candidates of term 2
            deliver 1->3 1->4 1->5      # 3, 4, 5 vote for 1 …
            deliver 2->3 2->4 2->5      # … and so reject 2
            drop 3->1 4->1 5->1
            dup 3->2
            dup 3->2
            deliver 3->2
            expect role 2 candidate     # one rejection, however often it arrives
            deliver 4->2 5->2
            expect role 2 follower      # three distinct rejections: a quorum
            """)
    }

    @Test func staleAndDuplicatedAppendResponsesNeverMoveProgressBackwards() {
        ScriptCluster.run("""
            bootstrap 1 2 3
            campaign 1
            deliver
            expect leader 1 term 2
            isolate 3
            propose 1 a
            propose 1 b
            propose 1 c                # three appends in flight to 2 (indexes 5, 6, 7)
            expect pending 1->2 == 3
            dup 1->2
            deliver 1->2               # 2 acknowledges 5, 6, 7, 5, 6, 7
            expect last 2 == 7
            reorder 2->1
            dup 2->1
            deliver 2->1 x1            # the ack of 7 first
            expect match 1 2 == 7
            expect commit 1 == 7
            deliver 2->1               # then 6, 5, 7, 6, 5 (stale and duplicated)
            expect match 1 2 == 7
            expect commit 1 == 7
            deliver
            expect commit 1 2 == 7
            expect dropped 1 2 == 0
            heal
            stabilize
            expect commit all == 7
            expect data all == a b c
            expect applied-equal
            """)
    }

    @Test func aStaleRejectionDoesNotRewindAReplicatingFollower() {
        var c = ScriptCluster.run("""
            bootstrap 1 2 3
            campaign 1
            deliver
            propose 1 a
            deliver
            expect match 1 2 == 5
            """)
        // A rejection of an index the follower has long acknowledged (e.g. a delayed
        // answer to an old probe) must be ignored.
        var stale = Message(type: .appendResponse, from: 2, to: 1, term: 2)
        stale.reject = true
        stale.index = 3
        stale.rejectHint = 1
        stale.logTerm = 1
        c.deliver(stale)
        c.run("""
            expect match 1 2 == 5
            expect pending 1->2 == 0      # no probe was sent back
            propose 1 b
            deliver
            expect commit all == 6
            """)
    }

    // MARK: Membership changes

    @Test func membershipChange_commitsOnlyWithAQuorumAndOneAtATime() {
        ScriptCluster.run("""
            bootstrap 1 2 3 4 5
            join 6
            campaign 1
            deliver
            expect leader 1 term 2
            partition 1 2 | 3 4 5 6
            propose-conf 1 remove 5
            expect appended
            deliver
            expect last 1 2 == 7
            expect commit 1 2 == 6     # 2 of 5 voters: not committed, so not in force
            expect config 1 2 3 4 5 voters 1 2 3 4 5
            propose-conf 1 add-learner 6
            expect error configurationChangePending
            propose 1 data-is-fine     # only membership changes wait
            expect appended

            # The majority side elects a leader of term 3; once its no-op commits it may change
            # the membership, and the change commits with 3 of the 5 voters.
            run x40 3 4 5
            expect one-leader 3 4 5 term 3
            propose-conf leader add-learner 6
            expect appended
            deliver
            expect config 3 4 5 6 voters 1 2 3 4 5 learners 6
            expect log 6 == 1..5/1 6/2 7..8/3
            propose-conf leader add-voter 6
            expect appended
            propose-conf leader remove 4
            expect error configurationChangePending
            deliver
            expect config 3 4 5 6 voters 1 2 3 4 5 6

            # Healed: the old leader's uncommitted change is discarded.
            heal
            stabilize
            expect one-leader term 3
            expect log all == 1..5/1 6/2 7..9/3
            expect config all voters 1 2 3 4 5 6
            expect data all ==
            expect applied-equal
            """)
    }

    @Test func membershipChange_aNewLeaderWaitsUntilItCommitsInItsOwnTerm() {
        ScriptCluster.run("""
            bootstrap 1 2 3
            join 4
            campaign 1
            deliver-type preVote preVoteResponse vote voteResponse
            expect leader 1 term 2           # its no-op (index 4) is not committed yet
            expect commit 1 == 3
            propose-conf 1 add-learner 4
            expect error configurationChangePending
            deliver
            expect commit 1 == 4
            propose-conf 1 add-learner 4
            expect appended
            deliver
            expect config all voters 1 2 3 learners 4
            propose-conf 1 add-learner 4
            expect error invalidConfigurationChange
            propose-conf 2 add-voter 4
            expect error notLeader
            """)
    }

    // MARK: Leadership transfer

    @Test func leaderTransferUnderLoad_refusesProposalsElectsTheTargetAndLosesNothingCommitted() {
        ScriptCluster.run("""
            bootstrap 1 2 3
            campaign 1
            deliver
            propose 1 a
            propose 1 b
            deliver
            expect commit all == 6
            propose 1 c                # in flight when the transfer starts: 2 is behind
            transfer 1 -> 2
            expect ok
            expect transfer 1 == 2
            propose 1 d
            expect error leadershipTransferInProgress
            propose-conf 1 add-learner 4
            expect error leadershipTransferInProgress
            propose 3 e                # forwarded to 1, which drops it during the transfer
            expect forwarded 1
            deliver
            expect leader 2 term 3
            expect role 1 follower
            expect dropped-proposals 1 == 1
            expect log all == 1..3/1 4..7/2 8/3
            expect commit all == 8
            expect data all == a b c
            propose 1 f                # forwarded to the new leader
            expect forwarded 2
            deliver
            expect data all == a b c f
            expect applied-equal
            """)
    }

    @Test func leaderTransferToAnUnreachableTargetIsAbandonedAfterAnElectionTimeout() {
        ScriptCluster.run("""
            bootstrap 1 2 3
            campaign 1
            deliver
            isolate 3
            transfer 1 -> 3
            propose 1 a
            expect error leadershipTransferInProgress
            run x10 1 2
            expect leader 1 term 2
            expect transfer 1 == none
            propose 1 a
            expect appended
            deliver
            expect commit 1 2 == 5
            """)
    }

    // MARK: Learners

    @Test func aLearnerIsPromotedOnlyOnceItHasCaughtUp() {
        ScriptCluster.run("""
            bootstrap 1 2 3
            join 4
            campaign 1
            deliver
            propose-conf 1 add-learner 4
            deliver
            expect config all voters 1 2 3 learners 4
            partition 1 2 3 | 4
            propose 1 a
            deliver
            expect commit 1 == 6
            propose-conf 1 add-voter 4
            expect error invalidConfigurationChange
            heal
            tick 1
            deliver
            expect commit 4 == 6
            propose-conf 1 add-voter 4
            expect appended
            deliver
            expect config all voters 1 2 3 4
            """)
    }

    @Test func learnerPromotedWhileMessagesAreInFlight() {
        ScriptCluster.run("""
            bootstrap 1 2 3
            join 4
            campaign 1
            deliver
            propose-conf 1 add-learner 4
            deliver
            expect config all voters 1 2 3 learners 4
            expect log 4 == 1..3/1 4..5/2

            # A learner never campaigns and does not count toward a quorum.
            tick 4 x100
            expect role 4 follower
            expect term 4 == 2
            partition 1 4 | 2 3
            propose 1 a
            deliver
            expect last 4 == 6
            expect commit 1 == 5
            heal
            tick 1
            deliver
            expect commit all == 6

            # Promotion: old appends to 4 are still in flight when it is proposed.
            propose 1 b
            propose-conf 1 add-voter 4
            expect appended
            expect pending 1->4 == 2
            expect config 1 voters 1 2 3 learners 4      # in force only once committed
            deliver 1->2 1->3
            deliver 2->1 3->1
            expect commit 1 == 8
            expect config 1 voters 1 2 3 4
            reorder 1->4
            dup 1->4
            deliver                                        # stale, reordered, duplicated: harmless
            expect config all voters 1 2 3 4
            expect commit all == 8
            expect dropped 4 == 0

            # Now 4 counts: 1 and 2 alone are not a quorum of four voters, 1, 2 and 4 are.
            partition 1 2 | 3 4
            propose 1 c
            deliver
            expect commit 1 == 8
            partition 1 2 4 | 3
            tick 1
            deliver
            expect commit 1 == 9
            heal
            stabilize
            expect leader 1 term 2
            expect data all == a b c
            expect applied-equal
            """)
    }

    @Test func aLearnerNeverVotesOrCampaigns() {
        ScriptCluster.run("""
            bootstrap 1 2
            join 3
            campaign 1
            deliver
            propose-conf 1 add-learner 3
            deliver
            crash 1
            run x60 2 3                      # 2 alone is not a quorum of {1, 2}; learner 3 cannot help
            expect no-leader
            expect role 3 follower
            expect term 3 == 2
            restart 1
            stabilize
            expect one-leader 1 2
            expect applied-equal
            """)
    }

    // MARK: Snapshots

    @Test func aFollowerBehindTheCompactionPointCatchesUpViaSnapshot() {
        ScriptCluster.run("""
            bootstrap 1 2 3
            campaign 1
            deliver
            isolate 3
            propose 1 a
            propose 1 b c
            propose 1 d
            deliver
            expect commit 1 2 == 8
            compact 1 7
            compact 2 6
            expect first 1 == 8
            heal
            tick 1
            deliver
            expect snapshots 3 == 1
            expect first 3 == 8
            expect log 3 == 8/2
            expect commit all == 8
            expect data all == a b c d
            expect applied-equal
            propose 1 e
            deliver
            crash 3
            restart 3                       # from its snapshot and the entries after it
            expect applied 3 == 9
            expect data 3 == a b c d e
            stabilize
            expect applied-equal
            """)
    }

    @Test func aLostSnapshotIsSentAgain() {
        ScriptCluster.run("""
            bootstrap 1 2 3
            campaign 1
            deliver
            isolate 3
            propose 1 a b
            deliver
            compact 1 6
            heal
            tick 1
            deliver 1->3               # heartbeat
            deliver 3->1               # its answer: the leader sends an append …
            deliver 1->3
            deliver 3->1               # … which 3 rejects, so it gets the snapshot
            expect pending 1->3 == 1
            drop-type snapshot 1->3    # lost
            expect pending 1->3 == 0
            expect snapshots 3 == 0
            run x3
            expect snapshots 3 == 1
            expect commit all == 6
            expect applied-equal
            """)
    }

    /// Latent core bug (see the report): `RaftCore.handleSnapshot`, when the follower
    /// already holds the snapshot's last entry, acknowledges its whole log
    /// (`r.index = log.lastIndex`) instead of the snapshot index — claiming entries
    /// the leader never sent, which may conflict with the leader's. etcd answers
    /// with the commit index, which is then the snapshot index.
    @Test func aFollowerThatAlreadyHoldsASnapshotsLastEntryAcknowledgesNoMoreThanIt() {
        var c = ScriptCluster.run("""
            bootstrap 1 2 3
            campaign 1
            deliver-type preVote preVoteResponse vote voteResponse
            drop 1->2 1->3
            propose 1 stale
            tick 1
            deliver-type heartbeat heartbeatResponse 1->2 2->1
            deliver 1->2               # 2 gets the no-op 4/2 and 5/2, which never commit
            drop *
            expect log 2 == 1..3/1 4..5/2
            expect commit 2 == 3
            """)
        // Replica 3, leader of term 3 with 4/2 and its own 5/3, sends its snapshot at 4/2.
        var m = Message(type: .snapshot, from: 3, to: 2, term: 3)
        m.snapshot = Snapshot(index: 4, term: 2, configuration: Configuration(voters: [1, 2, 3]), data: [])
        c.deliver(m)
        let acks = c.queued(on: Link(2, 3)).filter { $0.type == .appendResponse && !$0.reject }
        #expect(acks.count == 1)
        // Found by this test: the follower used to acknowledge log.lastIndex (5) here.
        #expect(acks.map(\.index) == [4], "2 matched the leader only through 4; its 5/2 conflicts with the leader's 5/3")
    }

    // MARK: Forwarding

    @Test func forwardedProposals_aFollowerForwardsToTheLeaderAndWithNoLeaderRefuses() {
        ScriptCluster.run("""
            bootstrap 1 2 3
            propose 2 early
            expect error noLeader
            campaign 2
            propose 2 early
            expect error noLeader            # a pre-candidate knows no leader
            deliver
            expect leader 2 term 2
            propose 3 a
            expect forwarded 2
            propose 1 b
            expect forwarded 2
            deliver
            expect data all == a b
            # Cut off from everyone, 1 keeps forwarding to its last known leader (the
            # submitter watches for the commit) until it campaigns; then it refuses.
            isolate 1
            propose 1 lost
            expect forwarded 2
            campaign 1
            expect role 1 preCandidate
            propose 1 late
            expect error noLeader
            """)
    }

    // MARK: A leader removing itself

    @Test func aLeaderThatRemovesItselfStepsDownAndTheRestCarryOn() {
        ScriptCluster.run("""
            bootstrap 1 2 3
            campaign 1
            deliver
            propose-conf 1 remove 1
            expect appended
            deliver
            expect role 1 follower
            expect config 1 voters 2 3
            run x60
            expect one-leader 2 3 term 3
            expect role 1 follower
            expect config 2 3 voters 2 3
            propose leader after
            run x2
            expect commit 2 3 == 7
            expect data 2 3 == after
            expect applied-equal 2 3
            """)
    }
}

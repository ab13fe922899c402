import CivitasCodec
import CivitasGovernance
import CivitasLedger
@testable import CivitasStorage
import GRDB
import Testing

/// The federation in the state database (schema version 4): the adopted
/// document, the neighbours' anchors with their age, tamper evidence — and a
/// version-3 database that migrates to it.
@Suite struct StateDatabaseFederationTests {
    let c = StateTestCommunity()
    let north = CommunityID("hehua-north")!

    /// The five-block chain (adoption in block 1, the neighbour's height 40 in block 2), then
    /// block 6: a later document and another head at height 40; block 7: height 48 and a third head at 40.
    func chain() -> (GovernanceChain, [SealedBlock], later: FederationDocument) {
        let chain = GovernanceChain(c)
        var b = chain.builder
        let later = c.federation(sequence: 2)
        b.add("committee", .federationAdoption(FederationAdoption(document: later)))
        b.add("street", .checkpoint(c.neighbourCheckpoint(height: 40, fork: 1)))
        b.seal(after: 60_000)
        b.add("owners", .checkpoint(c.neighbourCheckpoint(height: 48)))
        b.add("street", .checkpoint(c.neighbourCheckpoint(height: 40, fork: 2)))
        b.seal(after: 60_000)
        return (chain, b.blocks, later)
    }

    @Test func theAdoptedDocumentAnchorsAndEvidenceAreQueryable() throws {
        let (chain, blocks, later) = chain()
        try withScratch("federation-queries") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            for block in blocks { #expect(try db.applyExpectingNew(block).rejections == [], "block \(block.height)") }

            let adoption = try #require(try db.adoptedFederation())
            #expect(adoption.document == later && adoption.hash == later.hash && adoption.sequence == 2)
            #expect(adoption.height == 6 && adoption.time == blocks[5].header.time && adoption.adopter == c.subject("committee"))
            #expect(try db.federationAdoptions().map(\.sequence) == [1, 2])
            #expect(try db.federationAdoptions().first?.height == 1)

            // The neighbour: anchored at 40 (block 2) and 48 (block 7); its age runs from block 7's time.
            #expect(try db.neighbourAnchors() == [NeighbourAnchor(
                community: north, genesisHash: StateTestCommunity.neighbour.genesis.hash, height: 48,
                headerHash: c.neighbourCheckpoint(height: 48).headerHash, recordedHeight: 7, recordedTime: blocks[6].header.time,
                anchored: 2)])

            // Two heads contradict the one anchored at 40: both recorded, each with both certificates.
            let evidence = try db.tamperEvidence(of: north, height: 40)
            #expect(evidence.count == 2)
            #expect(try db.tamperEvidence() == evidence)
            #expect(Set(evidence.map(\.conflictingHeaderHash)) == Set([1, 2].map { c.neighbourCheckpoint(height: 40, fork: $0).headerHash }))
            for e in evidence {
                #expect(e.anchoredHeaderHash == chain.checkpoint.headerHash && e.anchoredCertificate == chain.checkpoint.certificate.encoded())
                let conflicting = try CommitCertificate(encoded: e.conflictingCertificate)
                #expect(conflicting.headerHash == e.conflictingHeaderHash)
                try later.verify(conflicting, of: north, genesisHash: e.genesisHash)
            }
            #expect(try db.tamperEvidence(of: north, height: 48).isEmpty)
            // Evidence is not an anchor: height 40 keeps one checkpoint row.
            #expect(try db.checkpoints(of: north).map(\.height) == [40, 48])
        }
    }

    /// A version-3 database (as an older civitas left it) migrates: the
    /// federation's tables appear, each checkpoint gets the time of the block
    /// that recorded it, and the `checkpoint_conflicts` view goes.
    @Test func aVersionThreeDatabaseMigratesAndItsCheckpointsGetTheirRecordingTime() throws {
        let chain = GovernanceChain(c)
        try withScratch("migration-v4") { dir in
            let path = dir + "/state.sqlite"
            let db = try StateDatabase.open(path: path, genesis: c.genesis)
            for block in chain.blocks { try db.applyExpectingNew(block) }
            let checkpoints = try db.checkpointCommunities().flatMap { try db.checkpoints(of: $0) }
            #expect(checkpoints.count == 2 && checkpoints.allSatisfy { $0.recordedTime > StateTestCommunity.startTime })
            try db.close()

            // Back to version 3: no recording time, no federation tables, the conflicts view.
            let version3View = try #require(StateSchema.version1.range(of: "CREATE VIEW checkpoint_conflicts").map {
                String(StateSchema.version1[$0.lowerBound...].prefix { $0 != ";" })
            })
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: """
                    DROP INDEX checkpoints_by_chain;
                    ALTER TABLE checkpoints DROP COLUMN recorded_time;
                    DROP TABLE tamper_evidence;
                    DROP TABLE federation_adoptions;
                    DELETE FROM grdb_migrations WHERE identifier = 'v4';
                    """)
                try db.execute(sql: version3View)
            }
            try queue.close()

            let migrated = try StateDatabase.open(path: path, genesis: c.genesis)
            #expect(try migrated.checkpointCommunities().flatMap { try migrated.checkpoints(of: $0) } == checkpoints)
            let views = try migrated.read("list views") { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name")
            }
            #expect(views == ["current_notices"])
            #expect(try migrated.tamperEvidence().isEmpty)
            #expect(try migrated.federationAdoptions().isEmpty)
        }
    }
}

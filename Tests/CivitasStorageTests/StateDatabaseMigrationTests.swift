import CivitasCodec
import CivitasGovernance
import CivitasLedger
@testable import CivitasStorage
import CivitasTestSupport
import GRDB
import Testing

/// Older state databases open and migrate. Schema version 2 drops the
/// `provider_supervision` view: the figures come from
/// `ProviderSupervision.figures` (CivitasGovernance), the definition the
/// in-memory state uses; a version-1 database reports the figures its view
/// did. Version 5 adds referrals' steps across the city.
@Suite struct StateDatabaseMigrationTests {
    let c = StateTestCommunity(seed: 7, extraResidents: 12)

    @Test func aVersionOneDatabaseMigratesAndKeepsItsSupervisionFigures() throws {
        let blocks = GovernanceDifferentialTests().workload(seed: 5, blocks: 150, perBlock: 10)
        try withScratch("migration") { dir in
            let path = dir + "/state.sqlite"
            let db = try StateDatabase.open(path: path, genesis: c.genesis)
            for block in blocks { try db.applyExpectingNew(block) }
            let digest = try db.stateDigest()
            try db.close()

            // Back to version 1, as an older civitas left it: the view, and no v2 migration recorded.
            let version1View = try #require(StateSchema.version1.range(of: "CREATE VIEW provider_supervision").map {
                String(StateSchema.version1[$0.lowerBound...].prefix { $0 != ";" })
            })
            let queue = try DatabaseQueue(path: path)
            let viewed = try queue.write { db in
                try db.execute(sql: version1View)
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v2'")
                return try Row.fetchAll(db, sql: "SELECT * FROM provider_supervision ORDER BY provider").map { row in
                    ProviderSupervision(
                        provider: try row.subjectID("provider"), assignments: try row.uint("assignments"),
                        responded: try row.uint("responded"), averageResponseMillis: try row.optionalUInt("average_response_ms"),
                        resolved: try row.uint("resolved"), fixed: try row.uint("fixed"),
                        averageResolveMillis: try row.optionalUInt("average_resolve_ms"),
                        resolutionRateBasisPoints: try row.uint("resolution_rate_bp"), breaches: try row.uint("breaches"),
                        ratings: try row.uint("ratings"), averageRatingHundredths: try row.optionalUInt("average_rating_x100"))
                }
            }
            try queue.close()
            #expect(viewed.count >= 3 && viewed.contains { $0.breaches > 0 } && viewed.contains { $0.ratings > 0 })

            let migrated = try StateDatabase.open(path: path, genesis: c.genesis)
            #expect(try migrated.providerSupervision() == viewed)
            for figures in viewed { #expect(try migrated.providerSupervision(figures.provider) == [figures]) }
            #expect(try migrated.stateDigest() == digest)    // views are not hashed; no table changed
            let views = try migrated.read("list views") { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name")
            }
            #expect(views == ["current_notices"])   // version 4 replaced checkpoint_conflicts with the tamper_evidence table
        }
    }

    /// A version-4 database, as civitas left it before referrals crossed the
    /// city, opens as version 5: its referrals keep every value they had, the
    /// new columns are null (each is "referred"), no neighbour's referral is
    /// recorded, and the blocks that follow carry it on as on a new database.
    @Test func aVersionFourDatabaseMigratesAndItsReferralsStayReferred() throws {
        let chain = GovernanceChain(c)
        // The columns version 5 added to `referrals`, as its migration names them.
        let added = StateSchema.version5.split(separator: "\n").compactMap { line in
            line.range(of: "ADD COLUMN ").map { String(line[$0.upperBound...].prefix { $0 != " " }) }
        }
        #expect(added.count == 13)
        try withScratch("migration-v5") { dir in
            let path = dir + "/state.sqlite"
            let db = try StateDatabase.open(path: path, genesis: c.genesis)
            for block in chain.blocks.prefix(2) { try db.applyExpectingNew(block) }   // the referral is made in block 2
            let referral = try #require(try db.referrals(id: chain.referral))
            let digest = try db.stateDigest()
            try db.close()

            // Back to version 4: no steps on referrals, no incoming referrals, no v5 migration recorded.
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "DROP INDEX incoming_referrals_by_height; DROP TABLE incoming_referrals;")
                for column in added { try db.execute(sql: "ALTER TABLE referrals DROP COLUMN \(column)") }
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v5'")
            }
            let version4Columns = try queue.read { db in try Row.fetchAll(db, sql: "PRAGMA table_info(referrals)").count }
            #expect(version4Columns == 10)
            try queue.close()

            let migrated = try StateDatabase.open(path: path, genesis: c.genesis)
            let nulls = try migrated.read("read the new columns") { db in
                try Row.fetchAll(db, sql: "SELECT \(added.joined(separator: ", ")) FROM referrals").map { row in
                    added.allSatisfy { (row[$0] as DatabaseValue).isNull }
                }
            }
            #expect(nulls == [true])
            let kept = try #require(try migrated.referrals(id: chain.referral))
            #expect(kept == referral && kept.status == "referred" && kept.delivered == nil && kept.answer == nil && kept.answered == nil)
            #expect(try migrated.unansweredReferrals() == [referral])
            #expect(try migrated.incomingReferrals() == [])
            #expect(try migrated.stateDigest() == digest)

            // The rest of the chain: delivered, answered, and the same state as a database that was never version 4.
            for block in chain.blocks.dropFirst(2) { #expect(try migrated.applyExpectingNew(block).rejections == []) }
            #expect(try migrated.referrals(id: chain.referral)?.status == "answered")
            #expect(try migrated.incomingReferral(chain.neighbourReferral.id)?.status == "answered")
            let fresh = try StateDatabase.open(path: dir + "/fresh.sqlite", genesis: c.genesis)
            for block in chain.blocks { try fresh.applyExpectingNew(block) }
            #expect(try migrated.stateDigest() == fresh.stateDigest())
        }
    }
}

import CivitasCodec
import CivitasGovernance
import CivitasLedger
@testable import CivitasStorage
import CivitasTestSupport
import GRDB
import Testing

/// Schema version 2 drops the `provider_supervision` view: the figures come
/// from `ProviderSupervision.figures` (CivitasGovernance), the definition the
/// in-memory state uses. A version-1 database opens, migrates, and reports
/// the figures its view did.
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
}

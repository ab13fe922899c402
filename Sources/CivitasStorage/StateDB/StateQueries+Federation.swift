public import CivitasGovernance
public import CivitasLedger

/// The federation as this community's chain records it: the document it
/// adopted, its neighbours' anchored checkpoints, and tamper evidence.
/// `GovernanceState` answers the same questions in memory.
extension StateDatabase {
    /// Every community with a checkpoint recorded here (its own included), by name.
    public func checkpointCommunities() throws(StorageError) -> [CommunityID] {
        try read("read checkpoint communities") { db in
            try db.rows("SELECT DISTINCT community FROM checkpoints ORDER BY community", []).compactMap { row in
                CommunityID(try row.text("community"))
            }
        }
    }

    /// The federation document adopted last (the current one: neighbours'
    /// checkpoints are verified against it), with its hash and the height and
    /// time it was adopted; nil before the first adoption.
    public func adoptedFederation() throws(StorageError) -> FederationAdoptionEntry? {
        try read("read adopted federation") { db in try SQLGovernanceReader(db: db).adoptedFederation() }
    }

    /// Every federation document adopted here, oldest (lowest sequence) first.
    public func federationAdoptions() throws(StorageError) -> [FederationAdoptionEntry] {
        try read("read federation adoptions") { db in
            try db.rows("SELECT * FROM federation_adoptions ORDER BY sequence").map(FederationAdoptionEntry.init(row:))
        }
    }

    /// Tamper evidence recorded here, by community, height and conflicting header.
    public func tamperEvidence() throws(StorageError) -> [TamperEvidenceEntry] {
        try read("read tamper evidence") { db in
            try db.rows("SELECT * FROM tamper_evidence ORDER BY community, height, conflicting_header_hash").map(TamperEvidenceEntry.init(row:))
        }
    }

    /// Tamper evidence of `community` at `height` (empty if its validators never contradicted the anchor there).
    public func tamperEvidence(of community: CommunityID, height: UInt64) throws(StorageError) -> [TamperEvidenceEntry] {
        try read("read tamper evidence") { db in
            try db.rows("SELECT * FROM tamper_evidence WHERE community = ? AND height = ? ORDER BY conflicting_header_hash",
                        [community.name, sqlInt(height)]).map(TamperEvidenceEntry.init(row:))
        }
    }

    /// Per neighbour chain, its last anchored checkpoint and the block time it
    /// was anchored (by community, then genesis hash): what status shows as
    /// each neighbour's anchored height and age.
    public func neighbourAnchors() throws(StorageError) -> [NeighbourAnchor] {
        try read("read neighbour anchors") { db in
            // SQLite takes the bare columns from the row holding MAX(height).
            try db.rows("""
                SELECT community, genesis_hash, MAX(height) AS height, header_hash, recorded_height, recorded_time, COUNT(*) AS anchored
                FROM checkpoints WHERE source = 'received' GROUP BY community, genesis_hash ORDER BY community, genesis_hash
                """).map { row in
                let name = try row.text("community")
                guard let community = CommunityID(name) else { throw UnexpectedValue(column: "checkpoints.community", detail: name) }
                return NeighbourAnchor(community: community, genesisHash: try row.hash("genesis_hash"), height: try row.uint("height"),
                                       headerHash: try row.hash("header_hash"), recordedHeight: try row.uint("recorded_height"),
                                       recordedTime: try row.uint("recorded_time"), anchored: Int(try row.int("anchored")))
            }
        }
    }
}

public import CivitasLedger

extension StateDatabase {
    /// Every community with a checkpoint recorded here (its own included), by name.
    public func checkpointCommunities() throws(StorageError) -> [CommunityID] {
        try read("read checkpoint communities") { db in
            try db.rows("SELECT DISTINCT community FROM checkpoints ORDER BY community", []).compactMap { row in
                CommunityID(try row.text("community"))
            }
        }
    }
}

import GRDB

extension StateDatabase {
    /// The applied head now, then again each time a commit changes it (blocks
    /// applied in one batch may arrive as one head). The stream ends when the
    /// consuming task is cancelled, or if the database fails.
    ///
    /// It follows commits made through this `StateDatabase` (the node's
    /// applier); another process writing the same file is not seen.
    public func appliedHeads() -> AsyncStream<AppliedHead> {
        let observation = ValueObservation.tracking { db in try Self.readHead(db) }.removeDuplicates()
        let values = observation.values(in: pool, bufferingPolicy: .bufferingNewest(1))
        return AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let task = Task {
                do {
                    for try await head in values { continuation.yield(head) }
                } catch {}
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

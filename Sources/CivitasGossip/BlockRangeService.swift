public import CivitasLedger

/// Answering a block-sync request (`blockRequest`), with one set of limits
/// wherever blocks are served: the node driver and the standalone gossip
/// shell's chain sync both answer through `respond`.
public enum BlockRangeService {
    /// Encoded block bytes in one response at most: below the transport's
    /// 8 MiB frame limit with room for the envelope.
    public static let maxResponseBytes = 4 << 20

    /// The stored heights that answer a request for `count` blocks from
    /// `start`; nil if none is stored. No sum of the peer's two numbers is
    /// formed (it could overflow).
    public static func heights(start: UInt64, count: UInt32, storedHeight: UInt64) -> ClosedRange<UInt64>? {
        let limit = UInt64(min(count, UInt32(GossipLimits.blocksPerResponse)))
        guard start >= 1, start <= storedHeight, limit > 0 else { return nil }
        return start...min(storedHeight, start + limit - 1)
    }

    /// The response to `blockRequest(requestID, start, count)`: the blocks
    /// `read(from, through, maxBytes)` returns, ascending, or none if it
    /// fails (then the requester asks another peer; the error is returned
    /// for the shell's log).
    public static func respond(requestID: UInt64, start: UInt64, count: UInt32, storedHeight: UInt64,
                               read: (UInt64, UInt64, Int) throws -> [SealedBlock]) -> (response: GossipMessage, failure: (any Error)?) {
        guard let range = heights(start: start, count: count, storedHeight: storedHeight) else {
            return (.blockResponse(requestID: requestID, blocks: []), nil)
        }
        do {
            let blocks = try read(range.lowerBound, range.upperBound, maxResponseBytes)
            return (.blockResponse(requestID: requestID, blocks: blocks), nil)
        } catch {
            return (.blockResponse(requestID: requestID, blocks: []), error)
        }
    }
}

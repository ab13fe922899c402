public import CivitasLedger
public import CivitasTime

/// What the membership core tells its shell and the node.
public enum MembershipEvent: Sendable, Hashable {
    /// A member was learnt (or came back after being dead).
    case joined(NodeID)
    /// A member is suspected of having failed.
    case suspected(NodeID)
    /// A suspected member refuted the suspicion.
    case recovered(NodeID)
    /// A member was declared dead.
    case died(NodeID)
    /// This node refuted a suspicion about itself with a new incarnation.
    case refuted(incarnation: UInt64)
}

/// Why the membership core asks for a link to be closed.
public enum DisconnectReason: Sendable, Hashable {
    /// More links than `maxPeers` (only links older than `minLinkAge` are closed for this).
    case surplus
    /// The member was declared dead.
    case dead
    /// The peer misbehaved; it is banned for a while.
    case misbehaviour(Misbehaviour)
}

/// What the membership core asks its shell to do after an input.
public struct MembershipDirectives: Sendable {
    /// Send `message` to member `to` (over its link, or by dialing its best address).
    public var sends: [(to: NodeID, message: GossipMessage)] = []
    /// Open a link to `address` (`node` nil for a seed whose ID is not known yet).
    public var dials: [(address: String, node: NodeID?)] = []
    /// Close these links.
    public var disconnects: [(peer: NodeID, reason: DisconnectReason)] = []
    /// Changes in membership.
    public var events: [MembershipEvent] = []
    /// When to call `tick(now:)` next.
    public var nextWakeup: MonotonicTime?

    public init() {}
}

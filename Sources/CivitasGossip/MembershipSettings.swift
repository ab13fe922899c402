/// Settings of the membership core (SWIM with Lifeguard); every default says why.
/// Defaults follow hashicorp/memberlist's LAN profile where they apply.
public struct MembershipSettings: Sendable, Hashable {
    /// Time between probes at full health. 1 s: memberlist's LAN value; a
    /// failed node is probed within N periods in the worst case (round-robin).
    public var probeInterval: Duration = .seconds(1)
    /// Wait for a direct ack before asking others to probe. 500 ms: well above
    /// a city network's round trip, below the probe interval.
    public var probeTimeout: Duration = .milliseconds(500)
    /// Members asked to probe indirectly (SWIM's k). 3: memberlist's value;
    /// with 3 relays a single bad link never causes a suspicion.
    public var indirectProbes: Int = 3
    /// Lifeguard's local health multiplier ceiling: probe interval and timeout
    /// stretch up to (1 + this) times when this node itself is slow. 8.
    public var maxLocalHealth: Int = 8
    /// Suspicion timeout floor = this × max(1, log10 N) × probe interval. 4: memberlist's value.
    public var suspicionMultiplier: Int = 4
    /// Suspicion timeout ceiling = this × the floor; a fresh suspicion starts
    /// at the ceiling and shrinks towards the floor as independent members
    /// confirm it (Lifeguard). 6: memberlist's value.
    public var suspicionMaxMultiplier: Int = 6
    /// Each membership update is piggybacked this × ceil(log10(N + 1)) times. 4: memberlist's value.
    public var retransmitMultiplier: Int = 4
    /// Updates piggybacked per SWIM message. 16: keeps a ping well under a kilobyte.
    public var maxPiggyback: Int = 16
    /// Members included in one push-pull sync. 512 (the wire limit).
    public var maxSyncUpdates: Int = GossipLimits.updates
    /// Push-pull with a random member this often. 30 s: memberlist's value;
    /// repairs what piggybacking missed.
    public var syncInterval: Duration = .seconds(30)
    /// First retry delay for a seed that cannot be reached. 1 s.
    public var seedBackoffInitial: Duration = .seconds(1)
    /// Ceiling of the seed retry delay (doubling from the initial one, with
    /// jitter). 60 s: a partition that heals is noticed within a minute; a
    /// seed is never given up on.
    public var seedBackoffMax: Duration = .seconds(60)
    /// Links kept to members of our own community: a node with fewer dials
    /// more. 5: HyParView's active view, over which Plumtree was designed
    /// (log N + 1 for thousands of nodes); a random graph of minimum degree 5
    /// stays connected when several links fail, every member is probed by at
    /// least 5 neighbours, and each link costs an announcement per message,
    /// so a larger degree buys little and costs bytes.
    public var targetPeers: Int = 5
    /// Links kept before surplus ones (older than `minLinkAge`) are closed.
    /// 12: a node dials only while below the target, and others' dials add
    /// about as many inbound links, so degrees spread over target … 2 × target;
    /// a maximum above that leaves the steady state alone (no surplus churn).
    public var maxPeers: Int = 12
    /// A link younger than this is never closed as surplus. 10 s: long enough
    /// for a newcomer's state exchange with a full seed and its first dials to
    /// others, so closing links never outpaces opening them.
    public var minLinkAge: Duration = .seconds(10)
    /// A member whose link closed is dialed again only after this (unless no
    /// other member is left to dial). 60 s: a node that shed a surplus link is
    /// not handed the same link straight back.
    public var redialCooldown: Duration = .seconds(60)
    /// Links a gateway keeps to gateways of other communities. 2: two
    /// independent routes for checkpoints and referrals.
    public var gatewayPeers: Int = 2
    /// Time allowed for a dial before it counts as failed. 5 s: a TLS handshake across the city.
    public var dialTimeout: Duration = .seconds(5)
    /// Dead members are forgotten (their record stays in the address book) after this. 10 minutes.
    public var deadRetention: Duration = .seconds(600)
    /// Members tracked at most. 4,096 (the address book's size).
    public var maxMembers: Int = AddressBook.maxEntries
    /// Limits and score for peers that send membership messages.
    public var policy: PeerPolicySettings = .init()

    public init() {}
}

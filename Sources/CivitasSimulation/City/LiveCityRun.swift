public import CivitasLedger
public import CivitasNodeCore

/// The bookkeeping of a planner's city run on real nodes (`civitas sim city
/// --live`, driven by the CivitasLive shell): the same communities (keys,
/// geneses, residents) as the simulator draws from the seed, the same
/// workload generator (`CityWorkload`), the same measurements (`CityRun`) and
/// the same report. It does no I/O and reads no clock: the shell passes real
/// time as a `SimTime` since the run's start, and what its nodes said.
public struct LiveCityRun: Sendable {
    public let plan: CityPlan
    public let communities: [Community]
    var clients: [ClientLedger]
    var run: CityRun
    var random: SimRandom
    let starts: [Int]
    let roles: [NodeCoreRole]
    /// Each community's index by its ID.
    let communityIndex: [CommunityID: Int]
    /// Per community: the hash of each height as the first node applied it, and its transactions.
    var chain: [[UInt64: (hash: Hash, transactions: [Hash])]]
    var violation: (NodeSimulationReport.Property, String)?
    var answered: Set<Hash> = []

    /// A community as the seed draws it, with its nodes in the simulator's order.
    public struct Community: Sendable {
        public let genesis: GenesisDocument
        public let nodes: [Node]
        /// The street office's key: the gateway records neighbours' checkpoints and referral records with it.
        public let anchoringKey: SigningKey
        public var id: CommunityID { genesis.community }
    }

    /// A node of the run: where it stands in the run's order, its name in its community, its key and role.
    public struct Node: Sendable {
        /// The node's index in the whole run.
        public let index: Int
        /// "validator-1", "observer-2", "gateway".
        public let name: String
        public let key: SigningKey
        public let role: NodeCoreRole
    }

    public init(plan: CityPlan) {
        self.plan = plan
        let options = NodeSimulationOptions.city(plan)
        var communities: [Community] = []
        var clients: [ClientLedger] = []
        var starts = [0]
        var roles: [NodeCoreRole] = []
        for (c, shape) in options.shapes.enumerated() {
            let members = SimCommunity.members(seed: plan.seed, community: c, shape: shape, blockInterval: options.blockInterval, plan: plan)
            var nodes: [Node] = []
            for (local, key) in members.nodeKeys.enumerated() {
                let (role, name): (NodeCoreRole, String) = local < shape.validators ? (.validator, "validator-\(local + 1)")
                    : local < shape.validators + shape.observers ? (.observer, "observer-\(local - shape.validators + 1)") : (.gateway, "gateway")
                nodes.append(Node(index: starts[c] + local, name: name, key: key, role: role))
                roles.append(role)
            }
            communities.append(Community(genesis: members.genesis, nodes: nodes, anchoringKey: members.anchoringKey))
            clients.append(members.client)
            starts.append(starts[c] + shape.nodes)
        }
        self.communities = communities
        self.clients = clients
        self.starts = starts
        self.roles = roles
        communityIndex = Dictionary(communities.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        run = CityRun(plan: plan, communityOf: plan.communities.indices.flatMap { c in Array(repeating: c, count: starts[c + 1] - starts[c]) })
        var r = SimRandom(seed: plan.seed)
        random = r.fork()
        chain = Array(repeating: [:], count: communities.count)
    }

    /// When the committees' first records go in (the day's proposal, the
    /// federation's adoption): the simulator's delay, so both runs do the same.
    public static var setupDelay: Duration { NodeSimulation.setupDelay }

    /// Every node of the run, in order.
    public var nodes: [Node] { communities.flatMap(\.nodes) }

    // MARK: - The workload

    /// Each residents' committee adopts `document` on its own chain once `due`.
    public mutating func adopt(_ document: FederationDocument, due: SimTime) {
        for c in clients.indices {
            clients[c].schedule(.federationAdoption(FederationAdoption(document: document)), by: .committee, due: due)
        }
    }

    /// Whether community `c`'s committee opens the day's proposal first thing.
    public func opensProposal(_ c: Int) -> Bool { run.workload.opensProposal(c) }

    /// The day's proposal of community `c`, signed at `time` (`now` since the run's start).
    public mutating func openProposal(_ c: Int, time: Timestamp, at now: SimTime) -> Transaction {
        counted(run.workload.openProposal(c, client: &clients[c], time: time, at: now), at: now)
    }

    /// The gap until community `c`'s next candidate arrival (nil: it has no workload).
    public mutating func nextGap(_ c: Int) -> Duration? { run.workload.gap(c, random: &random) }

    /// A candidate arrival of community `c` at `now`: the record to submit, if the rhythm keeps it.
    public mutating func arrival(_ c: Int, time: Timestamp, at now: SimTime) -> Transaction? {
        guard run.workload.keeps(c, at: now, random: &random),
              let tx = run.workload.record(c, clients: &clients, time: time, at: now, random: &random) else { return nil }
        return counted(tx, at: now)
    }

    /// The follow-ups due at `now` in every community (assignments, responses, answers, adoptions).
    public mutating func due(time: Timestamp, at now: SimTime) -> [Transaction] {
        clients.indices.flatMap { c in clients[c].due(time: time, at: now) }.map { counted($0, at: now) }
    }

    /// Community `c` received referral `id` from `community`: its social organisation answers a second later (once).
    public mutating func received(referral id: Hash, from community: CommunityID, in c: Int, at now: SimTime) {
        guard answered.insert(id).inserted else { return }
        clients[c].answer(referral: id, from: community, due: now + .seconds(1))
    }

    private mutating func counted(_ tx: Transaction, at now: SimTime) -> Transaction {
        if let c = community(of: tx) { run.submitted(community: c, at: now) }
        return tx
    }

    /// Transaction `id` if a client still waits for its commit.
    public func stillWanted(_ id: Hash) -> Transaction? {
        clients.lazy.compactMap { $0.stillWanted(id) }.first
    }

    /// Transactions submitted and not yet seen committed.
    public var outstanding: Int { clients.map(\.outstanding).reduce(0, +) }

    /// Nothing outstanding and no follow-up still to come: the settle phase can end.
    public var settled: Bool { outstanding == 0 && !clients.contains(where: \.expectsFollowUps) }

    /// The community whose chain records `tx`.
    public func community(of tx: Transaction) -> Int? { communityIndex[tx.community] }

    /// Community `c`'s nodes by index.
    public func members(_ c: Int) -> Range<Int> { starts[c]..<starts[c + 1] }

    // MARK: - What the nodes said

    /// A node told its client that `id` is committed at `height`, `index`.
    public mutating func committed(_ id: Hash, height: UInt64, index: UInt32, at now: SimTime) {
        for c in clients.indices where clients[c].stillWanted(id) != nil {
            clients[c].acknowledge(id, at: ChainPlace(height: height, index: Int(index)), now: now)
        }
    }

    /// Node `i` applied `block` at `now`; `appliedOK` says whether a transaction
    /// in it applied (a checkpoint recorded, not refused by the rules).
    public mutating func applied(_ block: SealedBlock, node i: Int, at now: SimTime, appliedOK: (Hash) -> Bool) {
        let c = run.communityOf[i]
        let h = block.height
        let first = chain[c][h] == nil
        if let seen = chain[c][h], seen.hash != block.header.hash, violation == nil {
            violation = (.safety, "\(communities[c].id) height \(h): \(nodes[i].name) applied \(block.header.hash.hex), another node \(seen.hash.hex)")
        }
        if first { chain[c][h] = (block.header.hash, block.block.transactions.map(\.id)) }
        run.applied(block, node: i, community: c, first: first, at: now, communityIndex: { communityIndex[$0] }, appliedOK: appliedOK)
    }

    /// What one community looked like at a sample: whether a validator leads
    /// (so it can commit), its validators' highest term, and its leader.
    public struct Sample: Sendable {
        public var canCommit: Bool
        public var term: UInt64?
        public var leader: NodeID?
        public init(canCommit: Bool, term: UInt64?, leader: NodeID?) {
            self.canCommit = canCommit
            self.term = term
            self.leader = leader
        }
    }

    /// The city seen at `now` (once a second), a sample per community.
    public mutating func sample(_ samples: [Sample], at now: SimTime) {
        if let b = run.bucket(of: now) { run.samples[b] += 1 }
        for (c, s) in samples.enumerated() { run.sample(community: c, canCommit: s.canCommit, term: s.term, leader: s.leader, at: now) }
    }

    /// Node `i` sent `bytes` more, and these messages by type, by `now`.
    public mutating func sent(bytes: UInt64, messages: [String: UInt64], node i: Int, at now: SimTime) {
        run.sent(bytes: bytes, messages: messages, from: i, at: now)
    }

    // MARK: - The report

    /// The planner's report of the run that ended at `ended`, in the simulator's
    /// format with mode "live". Checked: one block per height in each
    /// community as its nodes applied them, every acknowledged transaction at
    /// the place its client was told, every submitted transaction committed.
    public mutating func report(ended: SimTime, replay: String) -> CityReport {
        if violation == nil { finalChecks() }
        let world = LiveWorld(ended: ended, starts: starts, roles: roles, clients: clients, violation: violation)
        return run.report(world, replay: replay)
    }

    mutating func finalChecks() {
        for (c, client) in clients.enumerated() {
            for (id, place) in client.acknowledged.sorted(by: { $0.key < $1.key }) {
                let txs = chain[c][place.height]?.transactions ?? []
                guard place.index < txs.count, txs[place.index] == id else {
                    violation = (.acknowledgedLost, "\(communities[c].id): transaction \(id.hex), acknowledged committed at \(place), is not there")
                    return
                }
            }
            if let missing = client.wanted.keys.min() {
                violation = (.liveness, "\(client.wanted.count) submitted transactions of \(communities[c].id) were not committed by the end (e.g. \(missing.hex))")
                return
            }
        }
    }
}

/// What the report reads from a live run.
struct LiveWorld: CityRunWorld {
    let ended: SimTime
    let starts: [Int]
    let roles: [NodeCoreRole]
    let clients: [ClientLedger]
    let violation: (NodeSimulationReport.Property, String)?

    func members(_ c: Int) -> Range<Int> { starts[c]..<starts[c + 1] }
    var nodeCount: Int { roles.count }
    func role(ofNode i: Int) -> NodeCoreRole { roles[i] }
    func isCut(_ c: Int) -> Bool { false }
    var mode: String { "live" }

    func safety(replay: String) -> CityReport.Safety {
        CityReport.Safety(passed: violation == nil, checked: [NodeSimulationReport.Property.safety, .acknowledgedLost, .liveness].map(\.rawValue),
                          violation: violation.map { "\($0.0.rawValue): \($0.1)" }, replay: replay)
    }
}

import CivitasCodec
import CivitasGossip
import CivitasGovernance
import CivitasLedger
import CivitasNodeCore
import CivitasRaft
import CivitasTime

/// The node campaign: a community of validators and observers, each running
/// the product's node driver (`NodeDriver`) over a simulated world
/// (`SimNodeEnvironment`: the real write-ahead log and block store on a
/// simulated disk, the in-memory governance state), over simulated links with
/// latency, loss, duplication and partitions, with nodes crashing (power
/// loss: unsynced writes are lost) and restarting from what their disks hold.
/// Deterministic: the same options give the same run, byte for byte
/// (`NodeSimulationReport.digest`).
///
/// The simulation only carries out what each node's environment collected:
/// consensus messages go straight to the validator (as over validators'
/// direct links); gossip (membership, dissemination, block sync) travels
/// only over an open link; dials open links after a round trip (refused if
/// the node is down or a partition separates the two); a crash closes all of
/// a node's links, a partition those it cuts (reopened when it heals).
/// Clients submit through observers and wait for the commit as a resident's
/// app does; a client not answered in time resubmits the same transaction elsewhere.
///
/// Checked on every apply: each height has one block hash across all nodes
/// and all time; every applied block's certificate verifies; blocks apply in
/// order; no divergence between a block built from the log and one sealed.
/// At the end, after the quiet phase: every node reached the same height
/// with the same state digest, every transaction a client was told was
/// committed is in that chain at the same place, and every transaction still
/// wanted was committed.
public struct NodeSimulation {
    public let options: NodeSimulationOptions
    /// Each community's genesis (one, unless the run is a city).
    let geneses: [GenesisDocument]
    let nodeKeys: [SigningKey]
    var nodes: [SimNode] = []
    var queue = EventQueue<Event>()
    /// Per node: the grid instant of its last tick, and of the tick event it
    /// waits for (a tick event at another instant is stale and skipped).
    var lastTick: [SimTime?] = []
    var tickDue: [SimTime?] = []
    var network: SimNetwork
    var random: SimRandom
    var faultRandom: SimRandom
    var now = SimTime.start
    var report: NodeSimulationReport
    /// Per community: the one hash every node applied at each height.
    var canonical: [[UInt64: Hash]]
    /// Per community, client side: every transaction wanted, and where it was seen committed.
    var clients: [ClientLedger]
    /// The city (a run of several communities): the federation document every
    /// committee adopts, each gateway's anchoring key (the street office's),
    /// and the referrals whose answer is scheduled.
    let federation: FederationDocument?
    let anchoringKeys: [SigningKey]
    var answersScheduled: Set<Hash> = []
    /// Each community's first node index, and the node count at the end.
    let starts: [Int]
    /// Each community's index by its ID.
    var communityIndex: [CommunityID: Int] = [:]
    /// A planner's city: its workload, drills and measurements (nil in the campaign).
    var city: CityRun?
    /// Called now and then with the share of the run done (a progress bar).
    public var progress: ((Double) -> Void)?
    /// Open links, each as (lower index, higher index), and the node that opened each.
    var opener: [Link: Int] = [:]
    var links: Dictionary<Link, Int>.Keys { opener.keys }
    /// Links a partition closed, reopened when it heals (their TCP connections
    /// outlived the partition's silence or were dialled again at once).
    var cutLinks: Set<Link> = []
    /// Per community: each height's block time (it never goes back along the chain).
    var canonicalTime: [[UInt64: Timestamp]]
    /// The node each waiting client waits on, by transaction.
    var waitingOn: [Hash: Int] = [:]
    /// What every node of the run shares: one signature cache (used by the checks here too), each community's state and chain index.
    let shared = SimShared()
    /// Each node's index by its ID and by its listen address (a lookup per message and per dial).
    let indexByID: [NodeID: Int]
    let indexByAddress: [String: Int]

    struct Link: Hashable {
        let a: Int, b: Int
        init(_ x: Int, _ y: Int) { (a, b) = x < y ? (x, y) : (y, x) }
    }

    enum Event {
        case tick(Int)
        case deliver(to: Int, from: Int, Wire)
        case submitNew
        case retry(Hash)
        case crash
        case restart(Int)
        case partition
        case heal
        /// The fault phase ends: partitions heal and crashed nodes restart, so
        /// the quiet phase measures recovery from a whole community.
        case endFaults
        /// A wall clock steps: scheduled (`node` nil: the leader), or drawn from the seed (`random`).
        case clockStep(node: Int?, millis: Int64, random: Bool)
        /// A city's people at work: a committee refers a case to a neighbour;
        /// a social organisation answers a referral its community received.
        case cityWork
        /// One community cut off from the city (its links to the others).
        case cityCut
        /// Node `from` dialled `address` (expecting `node`): the link opens or the dial fails.
        case dialed(from: Int, address: String, node: NodeID?)
        /// A dial failed: at once (the node is down, or the transport refused a
        /// second link), or at the connect timeout (across a partition).
        case dialFailed(from: Int, address: String, node: NodeID?)
        /// A planner's city: workload, drills, measurements (`NodeSimulation+Plan`).
        case plan(PlanEvent)
    }

    enum Wire {
        case consensus([UInt8])
        /// Membership, dissemination or block sync, over an open link.
        case gossip(GossipMessage)
    }

    /// The transport's TCP connect timeout (`TransportSettings.connectTimeout`).
    static let connectTimeout: Duration = .seconds(5)

    /// Node `i`'s listen address.
    static func address(_ i: Int) -> String { "10.0.\(i / 250).\(i % 250 + 1):7000" }

    public init(options: NodeSimulationOptions) {
        self.options = options
        var r = SimRandom(seed: options.seed)
        let shapes = options.shapes
        var starts = [0]
        for shape in shapes { starts.append(starts.last! + shape.nodes) }
        self.starts = starts
        var nodeKeys: [SigningKey] = []
        var geneses: [GenesisDocument] = []
        var clients: [ClientLedger] = []
        var anchoringKeys: [SigningKey] = []
        for (c, shape) in shapes.enumerated() {
            let members = SimCommunity.members(seed: options.seed, community: c, shape: shape, blockInterval: options.blockInterval,
                                               plan: options.plan)
            nodeKeys += members.nodeKeys
            geneses.append(members.genesis)
            clients.append(members.client)
            anchoringKeys.append(members.anchoringKey)
        }
        self.nodeKeys = nodeKeys
        indexByID = Dictionary(nodeKeys.enumerated().map { (NodeID(deriving: $1.publicKey), $0) }, uniquingKeysWith: { first, _ in first })
        indexByAddress = Dictionary(nodeKeys.indices.map { (Self.address($0), $0) }, uniquingKeysWith: { first, _ in first })
        self.geneses = geneses
        self.clients = clients
        self.anchoringKeys = anchoringKeys
        canonical = Array(repeating: [:], count: shapes.count)
        canonicalTime = Array(repeating: [0: 0], count: shapes.count)
        federation = shapes.count > 1
            ? try? FederationDocument(sequence: 1, communities: geneses.map { FederationMember(genesis: $0, caCertificate: [0x30, 0x00]) })
            : nil
        network = SimNetwork(profile: options.link)
        if shapes.count > 1 {
            network.crossGroupProfile = options.cityLink
            var groups: [UInt64: Int] = [:]
            for c in shapes.indices { for i in starts[c]..<starts[c + 1] { groups[UInt64(i)] = c } }
            network.groups = groups
        }
        if let plan = options.plan {
            // A community spans about half a kilometre of its own network; city links go by class and distance.
            for (c, community) in plan.communities.enumerated() { network.groupProfiles[c] = community.link.profile(km: 0.5) }
            for a in plan.communities.indices {
                for b in plan.communities.indices where a < b {
                    let link = plan.cityLink(a, b)
                    network.pairProfiles[SimNetwork.GroupPair(a, b)] = link.link.profile(km: link.km, loss: link.loss)
                }
            }
        }
        random = r.fork()
        faultRandom = r.fork()
        report = NodeSimulationReport(seed: options.seed)
        var skew = SimRandom(seed: options.seed ^ 0x636C_6F63_6B00)
        for (c, shape) in shapes.enumerated() {
            for local in 0..<shape.nodes {
                let i = starts[c] + local
                let role: NodeCoreRole = local < shape.validators ? .validator : local < shape.validators + shape.observers ? .observer : .gateway
                var node = SimNode(index: i, key: nodeKeys[i], role: role, community: c, seed: options.seed &* 131 &+ UInt64(i),
                                   shared: shared)
                if options.clockSkewMillis > 0 {
                    node.wallOffsetMillis = Int64(skew.below(2 * options.clockSkewMillis + 1)) - Int64(options.clockSkewMillis)
                }
                nodes.append(node)
            }
        }
        for (c, genesis) in geneses.enumerated() { communityIndex[genesis.community] = c }
        if let plan = options.plan { city = CityRun(plan: plan, communityOf: nodes.map(\.community)) }
    }

    /// The first community's genesis (every community starts at the same time).
    var genesis: GenesisDocument { geneses[0] }
    /// The nodes of community `c`.
    func members(_ c: Int) -> Range<Int> { starts[c]..<starts[c + 1] }
    func isValidator(_ i: Int) -> Bool { nodes[i].role == .validator }
    /// Community `c`'s validators.
    func validators(_ c: Int) -> [Int] { members(c).filter(isValidator) }
    /// The community whose chain records `tx`.
    func community(of tx: Transaction) -> Int? { communityIndex[tx.community] }

    // MARK: - Running

    public mutating func run() -> NodeSimulationReport {
        lastTick = Array(repeating: nil, count: nodes.count)
        tickDue = Array(repeating: nil, count: nodes.count)
        for i in nodes.indices {
            start(i)
            if options.everyTick { queue.schedule(.tick(i), at: tickGrid(i, atOrAfter: .start), first: true) }
        }
        if let plan = options.plan {
            startPlan(plan)
        } else {
            queue.schedule(.submitNew, at: .start + .milliseconds(500))
        }
        if let federation {
            // Each residents' committee adopts the city's document on its own chain, then the city works.
            for c in clients.indices {
                clients[c].schedule(.federationAdoption(FederationAdoption(document: federation)), by: .committee,
                                    due: .start + (options.plan == nil ? .milliseconds(500) : Self.setupDelay))
            }
            if options.plan == nil { queue.schedule(.cityWork, at: .start + .seconds(2)) }
            if options.cityCutEvery > 0 { queue.schedule(.cityCut, at: .start + .seconds(2) + faultRandom.duration(below: .seconds(options.cityCutEvery))) }
        }
        let faultEnd = SimTime.start + .seconds(options.faultSeconds)
        let end = faultEnd + .seconds(options.quietSeconds)
        let afterOneSecond = SimTime.start + .seconds(1)
        if options.crashEvery > 0 { queue.schedule(.crash, at: afterOneSecond + faultRandom.duration(below: .seconds(options.crashEvery))) }
        queue.schedule(.endFaults, at: faultEnd)
        for step in options.clockSteps {
            queue.schedule(.clockStep(node: step.node, millis: step.millis, random: false), at: .start + .seconds(step.second))
        }
        if options.clockStepEvery > 0 {
            queue.schedule(.clockStep(node: nil, millis: 0, random: true), at: afterOneSecond + faultRandom.duration(below: .seconds(options.clockStepEvery)))
        }
        if options.partitionEvery > 0 { queue.schedule(.partition, at: afterOneSecond + faultRandom.duration(below: .seconds(options.partitionEvery))) }
        while report.violation == nil, let (time, event) = queue.pop() {
            if time > end { break }
            now = time
            report.events += 1
            if report.events % 20_000 == 0, let progress { progress(now.sinceStart.inSeconds / end.sinceStart.inSeconds) }
            handle(event, faultsOn: time < faultEnd)
        }
        report.simulatedTime = now
        if report.violation == nil { finalChecks() }
        report.finish(nodes: nodes, canonical: canonical, clients: clients)
        return report
    }

    mutating func handle(_ event: Event, faultsOn: Bool) {
        switch event {
        case let .tick(i):
            if options.everyTick {
                queue.schedule(.tick(i), at: now + .milliseconds(options.tickMillis), first: true)
                call(i) { try $0.tick() }
                return
            }
            guard tickDue[i] == now else { return }  // stale: rescheduled earlier, or already ticked
            tickDue[i] = nil
            tick(i)
        case let .deliver(to, from, wire):
            guard nodes[to].alive else { return }
            // A message queued on a link that closed before it arrived is lost with the link.
            if case .gossip = wire, !links.contains(Link(to, from)) { return }
            let sender = nodes[from].id
            switch wire {
            case let .consensus(bytes): call(to) { try $0.receive(consensus: bytes, from: sender) }
            case let .gossip(message): call(to) { try $0.receive(gossip: message, from: sender) }
            }
        case .submitNew:
            queue.schedule(.submitNew, at: now + .seconds(1) / max(options.submissionsPerSecond, 1))
            // New work stops a few seconds before the end, so the last of it can commit.
            guard now + .seconds(10) < .start + .seconds(options.faultSeconds + options.quietSeconds) else { return }
            // Each community's clients at this rate (a city's load grows with its communities).
            for c in clients.indices {
                guard let tx = clients[c].next(time: clock, at: now, random: &random) else { continue }
                submit(tx)
                queue.schedule(.retry(tx.id), at: now + .milliseconds(options.retryMillis))
            }
        case let .retry(id):
            guard let tx = clients.lazy.compactMap({ $0.stillWanted(id) }).first else { return }
            report.retries += 1
            submit(tx)
            queue.schedule(.retry(id), at: now + .milliseconds(options.retryMillis))
        case .crash:
            guard faultsOn else { return }
            queue.schedule(.crash, at: now + .milliseconds(500) + faultRandom.duration(below: .seconds(options.crashEvery) * 2))
            let live = nodes.indices.filter { nodes[$0].alive }
            // Keep a majority of each community's validators up, so the run can make progress.
            let candidates = live.filter { i in
                !isValidator(i) || live.filter { isValidator($0) && nodes[$0].community == nodes[i].community }.count > options.validators / 2 + 1
            }
            guard !candidates.isEmpty else { return }
            let victim = faultRandom.pick(candidates)
            crash(victim)
            queue.schedule(.restart(victim), at: now + .seconds(faultRandom.between(options.downtime)))
        case let .restart(i):
            guard !nodes[i].alive else { return }
            // It rejoins from its seeds, as a restarted node does.
            start(i)
        case .partition:
            guard faultsOn else { return }
            let kinds: [SimNetwork.PartitionKind] = [.symmetric, .asymmetric, .isolateOne, .isolateLeader, .majorityMinority, .bridge]
            let kind = faultRandom.pick(kinds)
            let leader = nodes.indices.first { nodes[$0].process?.driver.core.isLeader == true }.map { UInt64($0) }
            let description = network.partition(kind, nodes: nodes.indices.map { UInt64($0) }, focus: kind == .isolateLeader ? leader : nil,
                                                random: &faultRandom)
            report.partitions += 1
            report.trace.append("t=\(formatTime(now)) partition \(description)")
            cutUnreachableLinks()
            queue.schedule(.heal, at: now + .seconds(faultRandom.between(options.partitionLength)))
            queue.schedule(.partition, at: now + .seconds(1) + faultRandom.duration(below: .seconds(options.partitionEvery) * 2))
        case .heal:
            network.heal()
            report.trace.append("t=\(formatTime(now)) heal")
            reopenCutLinks()
        case .endFaults:
            if let city {
                for k in city.faults.indices where city.faults[k].start != nil && city.faults[k].end == nil { endFault(k) }
            }
            network.heal()
            report.trace.append("t=\(formatTime(now)) faults end: heal, restart every crashed node")
            reopenCutLinks()
            for i in nodes.indices where !nodes[i].alive { handle(.restart(i), faultsOn: false) }
        case let .clockStep(node, millis, drawn):
            var target = node ?? nodes.indices.first { nodes[$0].process?.driver.core.isLeader == true }
            var delta = millis
            if drawn {
                guard faultsOn else { return }
                queue.schedule(.clockStep(node: nil, millis: 0, random: true),
                               at: now + .milliseconds(500) + faultRandom.duration(below: .seconds(options.clockStepEvery) * 2))
                target = Int(faultRandom.below(UInt64(nodes.count)))
                delta = options.clockStepMillis.lowerBound + Int64(faultRandom.below(UInt64(options.clockStepMillis.upperBound - options.clockStepMillis.lowerBound + 1)))
            }
            guard let i = target else { return }
            stepClock(i, by: delta)
        case .cityWork:
            queue.schedule(.cityWork, at: now + .seconds(1))
            cityWork()
        case .cityCut:
            guard faultsOn else { return }
            queue.schedule(.cityCut, at: now + .seconds(1) + faultRandom.duration(below: .seconds(options.cityCutEvery) * 2))
            let c = Int(faultRandom.below(UInt64(options.communities)))
            let inside = members(c).map { UInt64($0) }
            let outside = nodes.indices.filter { !members(c).contains($0) }.map { UInt64($0) }
            network.separate(inside, outside)
            report.cityCuts += 1
            report.trace.append("t=\(formatTime(now)) \(geneses[c].community) cut off from the city")
            cutUnreachableLinks()
            queue.schedule(.heal, at: now + .seconds(faultRandom.between(options.cityCutLength)))
        case let .dialed(i, address, node):
            guard nodes[i].alive else { return }
            let target = indexByAddress[address]
            if let j = target, j != i, nodes[j].alive, reachable(i, j), node == nil || node == nodes[j].id {
                guard let first = opener[Link(i, j)] else {
                    open(Link(i, j), dialer: i, address: address)
                    return
                }
                // Already linked (the other side dialled too): as the transport
                // does, the link opened by the lower node ID is kept (a new one
                // replaces the old, and both ends see it open); a refused dial
                // fails unless the dialer knew whom it dialled (LinkMultiplexer.dial).
                if first != i, nodes[i].id < nodes[j].id {
                    opener[Link(i, j)] = nil
                    open(Link(i, j), dialer: i, address: address)
                } else if node == nil {
                    handle(.dialFailed(from: i, address: address, node: node), faultsOn: faultsOn)
                }
            } else if let j = target, nodes[j].alive, !reachable(i, j) {
                // Nothing answers across a partition: the transport gives up at its connect timeout.
                queue.schedule(.dialFailed(from: i, address: address, node: node), at: now + Self.connectTimeout)
            } else {
                // A node that is down refuses at once (its host answers).
                handle(.dialFailed(from: i, address: address, node: node), faultsOn: faultsOn)
            }
        case let .plan(event):
            handle(event, plan: options.plan!)
        case let .dialFailed(i, address, node):
            guard nodes[i].alive else { return }
            report.dialFailures += 1
            call(i) { try $0.dialFailed(address: address, node: node) }
        }
    }

    // MARK: - Links

    /// Both directions pass (a partition in either direction breaks a TCP link).
    func reachable(_ i: Int, _ j: Int) -> Bool {
        !network.isBlocked(from: UInt64(i), to: UInt64(j)) && !network.isBlocked(from: UInt64(j), to: UInt64(i))
    }

    mutating func open(_ link: Link, dialer: Int, address: String?) {
        opener[link] = dialer
        report.linksOpened += 1
        let other = link.a == dialer ? link.b : link.a
        let (dialerID, otherID) = (nodes[dialer].id, nodes[other].id)
        // The certificate names the peer's community: a link to another community's node is a city link.
        let inCommunity = nodes[dialer].community == nodes[other].community
        call(dialer) { try $0.linkUp(otherID, address: address, inCommunity: inCommunity) }
        call(other) { try $0.linkUp(dialerID, address: nil, inCommunity: inCommunity) }
    }

    mutating func close(_ link: Link) {
        guard opener.removeValue(forKey: link) != nil else { return }
        for (x, y) in [(link.a, link.b), (link.b, link.a)] where nodes[x].alive {
            let peer = nodes[y].id
            call(x) { try $0.linkDown(peer) }
        }
    }

    /// Closes the open links a partition now separates (they reopen when it heals).
    mutating func cutUnreachableLinks() {
        for link in links.sorted(by: { ($0.a, $0.b) < ($1.a, $1.b) }) where !reachable(link.a, link.b) {
            cutLinks.insert(link)
            close(link)
        }
    }

    mutating func reopenCutLinks() {
        let cut = cutLinks.sorted { ($0.a, $0.b) < ($1.a, $1.b) }
        cutLinks = []
        for link in cut where nodes[link.a].alive && nodes[link.b].alive && !links.contains(link) && reachable(link.a, link.b) {
            open(link, dialer: link.a, address: Self.address(link.b))
        }
    }

    /// True wall-clock time in ms: genesis time plus simulated time (a node's own clock adds its offset).
    var clock: Timestamp { now.wallClock(startingAt: genesis.time) }

    // MARK: - Nodes

    mutating func start(_ i: Int) {
        let c = nodes[i].community
        let genesis = geneses[c]
        let role: NodeRole = switch nodes[i].role {
        case .validator: .validator
        case .gateway: .gateway
        default: .observer
        }
        let record = PeerRecord(key: nodes[i].key, community: genesis.community, role: role, addresses: [Self.address(i)],
                                sequence: clock, time: clock)
        var seeds = validators(c).map { Self.address($0) }
        // A gateway is seeded with the other communities' gateways too, as an operator wires a city.
        if nodes[i].role == .gateway {
            seeds += nodes.indices.filter { nodes[$0].role == .gateway && nodes[$0].community != c }.map { Self.address($0) }
        }
        var configuration = NodeCoreConfiguration(genesis: genesis, nodeKey: nodes[i].key, role: nodes[i].role,
                                                  gossip: NodeGossipConfiguration(record: record, seeds: seeds))
        configuration.settings.compactEveryBlocks = options.compactEveryBlocks
        configuration.settings.referralResend = .seconds(options.referralResendSeconds)
        configuration.settings.checkpointReannounce = .seconds(options.referralResendSeconds)
        if let p = options.plan?.protocolSettings {
            configuration.settings.tick = .milliseconds(p.tickMillis)
            configuration.settings.raft.electionTicks = Int(p.electionTimeoutMillis.lowerBound / p.tickMillis)
            configuration.settings.raft.electionJitterTicks = max(1, Int((p.electionTimeoutMillis.upperBound - p.electionTimeoutMillis.lowerBound) / p.tickMillis))
            configuration.settings.raft.heartbeatTicks = max(1, Int(p.heartbeatMillis / p.tickMillis))
            configuration.settings.raft.preVote = p.preVote
            configuration.settings.raft.checkQuorum = p.checkQuorum
            configuration.settings.membership.targetPeers = p.gossipFanout
            configuration.settings.membership.maxPeers = max(configuration.settings.membership.maxPeers, p.gossipFanout * 2)
        }
        do {
            try nodes[i].start(configuration: configuration, genesis: genesis, virtualTime: now,
                               seed: options.seed &+ UInt64(i) &* 7919 &+ nodes[i].restarts,
                               anchoringKey: nodes[i].role == .gateway ? anchoringKeys[c] : nil)
        } catch {
            // The real storage refused what the simulated disk kept: a node that cannot start is a finding.
            fail(.storage, node: i, "cannot open its storage after a restart: \(error)")
            return
        }
        nodes[i].appliedHeight = nodes[i].storedHeight
        if !options.everyTick {
            // Its first tick is its first grid point after the boot (at the
            // run's start, its first; a tick comes first at its instant).
            lastTick[i] = now > .start ? tickGrid(i, atOrBefore: now) : nil
            scheduleTick(i, at: tickGrid(i, atOrAfter: now > .start ? now + .microseconds(1) : now))
        }
    }

    /// Node `i`'s wall clock moves by `millis` (its monotonic clock does not).
    mutating func stepClock(_ i: Int, by millis: Int64) {
        nodes[i].wallOffsetMillis += millis
        nodes[i].environment?.wallOffsetMillis = nodes[i].wallOffsetMillis
        report.clockSteps += 1
        report.trace.append("t=\(formatTime(now)) node \(i)'s wall clock steps \(millis > 0 ? "+" : "")\(millis) ms")
    }

    /// Runs one input on node `i`'s driver at the current time and carries out
    /// what its environment collected. A storage failure is a crash of that node.
    mutating func call(_ i: Int, _ body: (inout NodeDriver<SimNodeEnvironment>) throws -> Void) {
        guard catchUp(i) else { return }
        do {
            try body(&nodes[i].process!.driver)
        } catch {
            storageFailed(i, error)
            return
        }
        flush(i)
        tickAfterInput(i)
    }

    // MARK: - Ticks

    /// Before an input to node `i`: the grid points since its last tick were
    /// skipped as idle, and the last of them ticks now, so the input finds the
    /// node's clocks where a node stepped at every grid point would have them.
    /// False if the node is down (or storage failed in that tick).
    mutating func catchUp(_ i: Int) -> Bool {
        guard nodes[i].alive else { return false }
        if !options.everyTick, let g = tickGrid(i, atOrBefore: now), lastTick[i].map({ g > $0 }) ?? true {
            step(i, at: g)
            guard nodes[i].alive else { return false }
        }
        nodes[i].environment!.virtualTime = now
        return true
    }

    /// After an input to node `i`: it ticks where its driver now needs to
    /// (the input may have left it work for the next grid point, or set a timer).
    mutating func tickAfterInput(_ i: Int) {
        guard !options.everyTick, nodes[i].alive else { return }
        let wake = nodes[i].environment!.simTime(of: nodes[i].process!.driver.nextWake())
        scheduleTick(i, at: tickGrid(i, atOrAfter: max(wake, now + .microseconds(1))))
    }

    /// Node `i`'s tick grid: every `tickMillis` from 97·i µs (so nodes do not
    /// tick in lockstep). The last grid point at or before `t` (nil: none yet).
    func tickGrid(_ i: Int, atOrBefore t: SimTime) -> SimTime? {
        let phase = UInt64(97 * i), period = options.tickMillis * 1_000
        guard t.microsecondsSinceStart >= phase else { return nil }
        return SimTime(microsecondsSinceStart: phase + (t.microsecondsSinceStart - phase) / period * period)
    }

    /// The first grid point of node `i` at or after `t`.
    func tickGrid(_ i: Int, atOrAfter t: SimTime) -> SimTime {
        let phase = UInt64(97 * i), period = options.tickMillis * 1_000
        guard t.microsecondsSinceStart > phase else { return SimTime(microsecondsSinceStart: phase) }
        return SimTime(microsecondsSinceStart: phase + (t.microsecondsSinceStart - phase + period - 1) / period * period)
    }

    /// Node `i`'s tick at `now` (a grid point), then the next one at the first
    /// grid point where its driver will have something to do (`nextWake`).
    mutating func tick(_ i: Int) {
        guard nodes[i].alive, lastTick[i].map({ now > $0 }) ?? true, let wake = step(i, at: now) else { return }
        scheduleTick(i, at: tickGrid(i, atOrAfter: max(wake, now + .microseconds(1))))
    }

    /// Node `i`'s driver ticks at grid point `t`: when it next needs to (nil: storage failed, it crashed).
    @discardableResult
    mutating func step(_ i: Int, at t: SimTime) -> SimTime? {
        lastTick[i] = t
        let environment = nodes[i].environment!
        environment.virtualTime = t
        let wake: MonotonicTime
        do {
            wake = try nodes[i].process!.driver.tick()
        } catch {
            storageFailed(i, error)
            return nil
        }
        flush(i)
        return environment.simTime(of: wake)
    }

    /// Node `i` ticks at `t`, unless it already will before then.
    mutating func scheduleTick(_ i: Int, at t: SimTime) {
        if let due = tickDue[i], due <= t { return }
        tickDue[i] = t
        queue.schedule(.tick(i), at: t, first: true)
    }

    /// Storage failed under node `i`: it crashes, and restarts a second later.
    mutating func storageFailed(_ i: Int, _ error: any Error) {
        report.storageFailures += 1
        report.trace.append("t=\(formatTime(now)) node \(i) storage failed: \(error); it crashes")
        flush(i)
        crash(i)
        queue.schedule(.restart(i), at: now + .seconds(1))
    }

    mutating func crash(_ i: Int) {
        for (_, id) in nodes[i].tickets where waitingOn[id] == i { waitingOn[id] = nil }
        nodes[i].crash()
        report.crashes += 1
        report.trace.append("t=\(formatTime(now)) crash node \(i)\(isValidator(i) ? " (validator)" : nodes[i].role == .gateway ? " (gateway)" : "")")
        // Its links close (the peers see the connections reset).
        for link in links.sorted(by: { ($0.a, $0.b) < ($1.a, $1.b) }) where link.a == i || link.b == i { close(link) }
        cutLinks = cutLinks.filter { $0.a != i && $0.b != i }
    }

    /// A client submits `tx` through a live node (an observer when one is up)
    /// and waits for its commit as long as it waits before resubmitting.
    mutating func submit(_ tx: Transaction) {
        guard let c = community(of: tx) else { return }
        let live = members(c).filter { nodes[$0].alive }
        guard !live.isEmpty else { return }
        // Clients talk to observers when any is up (the issue's path: submit through an observer).
        let observers = live.filter { nodes[$0].role == .observer }
        let candidates = observers.isEmpty ? live : observers
        // A planner's residents: each app talks to its own node (by its signer) and another only
        // when that one is down; the campaign picks at random, to spread submissions over every path.
        let mine = members(c).filter { nodes[$0].role == .observer }
        let own: Int? = options.plan == nil || mine.isEmpty ? nil : mine[Int(tx.signer.raw.bytes[0]) % mine.count]
        let target = own.flatMap { (o: Int) -> Int? in candidates.contains(o) ? o : nil } ?? random.pick(candidates)
        guard catchUp(target) else { return }
        let start: NodeDriver<SimNodeEnvironment>.SubmitStart
        do {
            start = try nodes[target].process!.driver.submit(tx, wait: .milliseconds(options.retryMillis))
        } catch {
            storageFailed(target, error)
            return
        }
        defer { tickAfterInput(target) }
        switch start {
        case let .answered(outcome):
            report.count(outcome)
            answered(tx.id, outcome)
        case let .waiting(ticket):
            report.count(.accepted(id: tx.id))
            nodes[target].tickets[ticket] = tx.id
            waitingOn[tx.id] = target
        }
        flush(target)
    }

    /// A client heard `outcome` for transaction `id`.
    mutating func answered(_ id: Hash, _ outcome: SubmitOutcome) {
        if case let .committed(_, height, index, _, _) = outcome {
            for c in clients.indices where clients[c].stillWanted(id) != nil {
                clients[c].acknowledge(id, at: ChainPlace(height: height, index: Int(index)), now: now)
            }
        }
    }

    /// Carries out what node `i`'s environment collected.
    mutating func flush(_ i: Int) {
        guard let environment = nodes[i].environment else { return }
        for outgoing in environment.takeOutbox() {
            switch outgoing {
            case let .consensus(to, bytes):
                if let j = index(of: to) { send(.consensus(bytes), from: i, to: j) }
            case let .gossip(to, message):
                if let j = index(of: to), links.contains(Link(i, j)) { send(.gossip(message), from: i, to: j) }
            case let .dial(address, node):
                let roundTrip = options.link.baseLatency * 2 + random.duration(in: .zero...options.link.jitter)
                queue.schedule(.dialed(from: i, address: address, node: node), at: now + roundTrip)
            case let .disconnect(peer, reason):
                if reason.isRefusal {
                    report.refusals += 1
                    if report.refusalSamples.count < 5 { report.refusalSamples.append("node \(i): drops \(peer): \(reason)") }
                }
                if let j = index(of: peer) { close(Link(i, j)) }
            case let .event(event):
                note(event, node: i)
            case let .finished(ticket, outcome):
                guard let id = nodes[i].tickets.removeValue(forKey: ticket) else { continue }
                if waitingOn[id] == i { waitingOn[id] = nil }
                if let outcome { answered(id, outcome) }
            case let .applied(block):
                check(block, appliedAt: i)
            }
        }
    }

    /// The invariants every applied block must keep.
    mutating func check(_ block: SealedBlock, appliedAt i: Int) {
        let height = block.height
        let hash = block.header.hash
        let c = nodes[i].community
        if let known = canonical[c][height], known != hash {
            fail(.safety, node: i, "applied block \(height) \(hash.hex) but another node applied \(known.hex)")
            return
        }
        let first = canonical[c][height] == nil
        if first { report.firstApplied.append(now) }
        canonical[c][height] = hash
        if city != nil {
            let index = communityIndex, environment = nodes[i].environment
            city!.applied(block, node: i, community: c, first: first, at: now, communityIndex: { index[$0] },
                          appliedOK: { environment?.committedPlace(of: $0)?.applied == true })
        }
        if let previous = canonicalTime[c][height - 1], block.header.time < previous {
            fail(.blockTime, node: i, "block \(height)'s time \(block.header.time) is before block \(height - 1)'s \(previous)")
            return
        }
        canonicalTime[c][height] = block.header.time
        do {
            try block.verify(validators: geneses[c].validatorKeys, checkSignatures: false, using: shared.signatures)
        } catch {
            fail(.certificate, node: i, "applied block \(height) whose certificate does not verify: \(error)")
            return
        }
        guard height == nodes[i].appliedHeight + 1 else {
            fail(.order, node: i, "applied block \(height) after \(nodes[i].appliedHeight)")
            return
        }
        nodes[i].appliedHeight = height
    }

    mutating func note(_ event: NodeEvent, node i: Int) {
        switch event {
        case let .divergence(height, built, known):
            fail(.safety, node: i, "built block \(height) \(built.hex) but \(known.hex) is sealed or applied")
        case let .refused(why):
            report.refusals += 1
            if report.refusalSamples.count < 5 { report.refusalSamples.append("node \(i): \(why)") }
        case .proposed:
            report.proposals += 1
        case .evicted:
            report.evictions += 1
        case .snapshotInstalled:
            report.snapshotsInstalled += 1
        case .membership:
            break
        case .blockReadFailed:
            report.refusals += 1
        case .cityDelivery:
            break
        }
    }

    mutating func send(_ wire: Wire, from i: Int, to j: Int) {
        guard i != j else { return }
        report.messagesSent += 1
        var size = 0
        if city != nil {
            let label: Int
            switch wire {
            case let .consensus(bytes): (label, size) = (CityRun.label(consensus: bytes), bytes.count)
            case let .gossip(message): (label, size) = (CityRun.label(gossip: message), message.encodedSize)
            }
            city!.sent(label, size: size, from: i, to: j, at: now)
        }
        for time in network.deliveries(from: UInt64(i), to: UInt64(j), size: size + CityRun.framing, now: now, random: &random) {
            queue.schedule(.deliver(to: j, from: i, wire), at: time)
        }
    }

    func index(of node: NodeID) -> Int? { indexByID[node] }

    mutating func fail(_ property: NodeSimulationReport.Property, node: Int?, _ detail: String) {
        guard report.violation == nil else { return }
        report.violation = NodeSimulationReport.Violation(property: property, time: now, node: node, detail: detail)
    }

    // MARK: - The end

    mutating func finalChecks() {
        for c in geneses.indices {
            finalChecks(community: c)
            guard report.violation == nil else { return }
        }
        if federation != nil { cityChecks() }
    }

    /// Every live node of community `c` at one height with one state, every
    /// acknowledged transaction where its client was told, nothing still wanted.
    mutating func finalChecks(community c: Int) {
        let live = members(c).filter { nodes[$0].alive }
        let heights = live.map { nodes[$0].storedHeight }
        let name = geneses.count > 1 ? "\(geneses[c].community)'s " : ""
        guard let top = heights.max(), heights.allSatisfy({ $0 == top }) else {
            for i in live where nodes[i].storedHeight < (heights.max() ?? 0) {
                report.trace.append("node \(i) stuck: \(nodes[i].process!.driver.core.progressDescription)")
            }
            fail(.liveness, node: nil, "after \(options.quietSeconds) s without faults \(name)nodes are at different heights: \(heights)")
            return
        }
        let digests = Set(live.map { nodes[$0].ledger!.digest })
        guard digests.count == 1 else {
            fail(.stateAgreement, node: nil, "\(name)nodes at height \(top) hold \(digests.count) different states")
            return
        }
        // Deadlines and response times come from block times, which every node
        // agrees on, whatever its own wall clock did.
        let figures = live.map { nodes[$0].ledger!.state.providerSupervision() }
        guard Set(figures).count == 1 else {
            fail(.stateAgreement, node: nil, "\(name)nodes at height \(top) compute different supervision figures")
            return
        }
        report.supervision += figures.first ?? []
        for (id, place) in clients[c].acknowledged.sorted(by: { $0.key < $1.key }) {
            for i in live {
                guard let found = nodes[i].location(of: id) else {
                    fail(.acknowledgedLost, node: i, "transaction \(id.hex), acknowledged committed at \(place), is not in the chain")
                    return
                }
                guard ChainPlace(height: found.height, index: Int(found.index)) == place else {
                    fail(.acknowledgedLost, node: i, "transaction \(id.hex) acknowledged at \(place) is at \(found)")
                    return
                }
            }
        }
        let missing = Array(clients[c].wanted.keys)
        if !missing.isEmpty {
            for i in live { report.trace.append("node \(i) at height \(nodes[i].storedHeight): \(nodes[i].process!.driver.core.progressDescription)") }
            // The lowest-nonce wanted transaction of each signer: what holds the rest back.
            let stuck = Dictionary(grouping: missing.compactMap { clients[c].stillWanted($0) }, by: \.signer).values
                .compactMap { $0.min { $0.nonce < $1.nonce } }.sorted { $0.id < $1.id }
            for tx in stuck.prefix(3) {
                let environment = nodes[live[0]].environment!
                report.trace.append("held back: \(tx.id.hex.prefix(16)) \(tx.kind) by \(tx.signer.subjectID) nonce \(tx.nonce) "
                                    + "(committed nonce \(environment.storedNonce(of: tx.signer))): "
                                    + (environment.permission(for: tx) ?? "the rules allow it"))
            }
            fail(.liveness, node: nil, "\(missing.count) submitted transactions of \(geneses[c].community) were never committed (e.g. \(missing.min()!.hex))")
        }
    }

    // MARK: - The city

    /// The city's people: now and then a committee refers a case to another
    /// community (while faults run); a social organisation answers, a second
    /// after it sees it, each referral its community received.
    mutating func cityWork() {
        let refersUntil = .start + .seconds(options.faultSeconds + options.quietSeconds) - .seconds(20)
        if options.referralEvery > 0, now < refersUntil, random.below(options.referralEvery) == 0 {
            let from = Int(random.below(UInt64(geneses.count)))
            let to = (from + 1 + Int(random.below(UInt64(geneses.count - 1)))) % geneses.count
            report.referralsMade += 1
            clients[from].schedule(.referral(Referral(toCommunity: geneses[to].community, kind: .request, reference: nil,
                                                      summary: "case \(report.referralsMade) from \(geneses[from].community)")),
                                   by: .committee, due: now)
        }
        for c in geneses.indices {
            guard let reader = members(c).first(where: { nodes[$0].alive }), let state = nodes[reader].ledger?.state else { continue }
            for entry in state.incomingReferrals.values.sorted(by: { $0.id < $1.id }) where entry.answer == nil && !answersScheduled.contains(entry.id) {
                answersScheduled.insert(entry.id)
                clients[c].answer(referral: entry.id, from: entry.fromCommunity, due: now + .seconds(1))
            }
        }
    }

    /// After the quiet phase: every community anchored every checkpoint of
    /// each neighbour (those made while it was cut off too), every anchor
    /// matches the neighbour's chain, no alarm was
    /// raised in an honest city, and every referral was received and
    /// answered, each step recorded once on each side.
    mutating func cityChecks() {
        func state(_ c: Int) -> GovernanceState? {
            members(c).first { nodes[$0].alive }.flatMap { nodes[$0].ledger?.state }
        }
        let interval = genesis.parameters.checkpointInterval
        for c in geneses.indices {
            guard let mine = state(c) else { continue }
            if let evidence = mine.tamperEvidence.values.first {
                fail(.city, node: nil, "\(geneses[c].community) recorded tamper evidence against \(evidence.community) at \(evidence.height) in an honest city")
                return
            }
            for i in members(c) where nodes[i].alive && !(nodes[i].process?.driver.core.anchorContradictions.isEmpty ?? true) {
                fail(.city, node: i, "a gateway found its chain contradicting the city's anchors: \(nodes[i].process!.driver.core.anchorContradictions[0])")
                return
            }
            for d in geneses.indices where d != c {
                let received = mine.checkpoints.values.filter { !$0.isOwn && $0.community == geneses[d].community }
                for anchor in received where canonical[d][anchor.height] != anchor.headerHash {
                    fail(.city, node: nil, "\(geneses[c].community) anchored \(geneses[d].community) at \(anchor.height) as \(anchor.headerHash.hex), its chain has \(canonical[d][anchor.height]?.hex ?? "nothing")")
                    return
                }
                // Every checkpoint, not only the last: one missed during a cut must come after the heal.
                let last = (canonical[d].keys.max() ?? 0) / interval * interval
                let anchored = Set(received.map(\.height))
                if let missed = stride(from: interval, through: last, by: Int(interval)).first(where: { !anchored.contains($0) }) {
                    fail(.city, node: nil, "\(geneses[c].community) did not anchor \(geneses[d].community)'s checkpoint \(missed) (anchored: \(anchored.sorted()))")
                    return
                }
                report.anchors += received.count
            }
            for referral in mine.referrals.values.sorted(by: { $0.id < $1.id }) {
                guard let d = geneses.firstIndex(where: { $0.community == referral.toCommunity }), let theirs = state(d) else { continue }
                guard theirs.incomingReferrals[referral.id]?.answer != nil, referral.delivered != nil, referral.answer != nil else {
                    fail(.city, node: nil, "referral \(referral.id.hex) from \(geneses[c].community) to \(referral.toCommunity) is \(referral.status) there, "
                         + "\(theirs.incomingReferrals[referral.id]?.status ?? "unknown") at \(referral.toCommunity)")
                    return
                }
                report.referralsAnswered += 1
            }
            // Each step once: one applied relay per referral received here, and per receipt and answer recorded back.
            let relays = mine.appliedTransactions.values.filter { $0.kind == .referralRelay }.count
            let steps = mine.incomingReferrals.count + mine.referrals.values.filter { $0.delivered != nil }.count
                + mine.referrals.values.filter { $0.answer != nil }.count
            guard relays == steps else {
                fail(.city, node: nil, "\(geneses[c].community) applied \(relays) referral relays for \(steps) steps")
                return
            }
        }
    }
}

import CivitasCodec
public import CivitasLedger
import CivitasRaft
public import CivitasGossip
public import CivitasTime

/// What the shell hands the core: time, transactions, messages, link events.
extension NodeCore {
    // MARK: - Inputs

    /// Time passed: Raft ticks, block cutting, vote resends, mempool upkeep,
    /// block sync timers and height reports, membership and dissemination
    /// timers. `now` is the monotonic clock (a shell's monotonic clock never
    /// goes back; an earlier value is taken as no time passing); `wall` the
    /// wall clock, which may step either way and is only stamped into proposals.
    public mutating func tick(now newNow: MonotonicTime, wall newWall: Timestamp, view: some MempoolView) {
        wall = newWall
        guard newNow >= now else { return }
        now = newNow
        if raft != nil, now - lastRaftTick >= configuration.settings.tick {
            // One tick per call however long it has been, as a ticker that drops
            // ticks would: a node whose shell was busy (a stalled process, a
            // backlog of inputs it has not read yet) must not wake up to a burst
            // of ticks and call an election — or, as leader, step down — over
            // messages still waiting in its own queue.
            raft!.tick()
            lastRaftTick = now
        }
        produce(view: view)
        resendVotes()
        // Upkeep once a second while the mempool holds something (an empty one has nothing to evict or offer).
        if now >= nextMaintenance, mempool.count > 0 || !lastOffered.isEmpty {
            nextMaintenance = now + .seconds(1)
            for evicted in mempool.evictStale(now: now) {
                lastOffered[evicted.id] = nil
                out.events.append(.evicted(evicted))
            }
            rebroadcast()
        }
        if now >= nextReport() {
            reportedHead = applied.hash
            lastReport = now
            for peer in syncPeers {
                out.gossipSends.append((peer, .chainStatus(height: applied.height, head: applied.hash)))
            }
        }
        carry(blockSync.tick(now: now))
        restartStalledSync()
        publishSubmitted()
        tickGossip(view: view)
        noteLag()
    }

    /// Block sync's watchdog, a backstop: a node that knows it is behind (a
    /// peer reported a higher height, or sealed blocks wait above a gap) but
    /// has had nothing in flight and no progress for `stallMillis` starts
    /// block sync afresh from its applied head (docs/gossip.md tells the stall it guards against).
    mutating func restartStalledSync() {
        // The checks on the core's own fields first: at an idle tick the
        // others would each read a collection's storage elsewhere in memory.
        guard now - lastProgress >= configuration.settings.stallAfter,
              blockSync.targetHeight > applied.height || !sealedAhead.isEmpty, blockSync.outstanding == 0 else { return }
        blockSync = BlockSync(height: applied.height, head: applied.hash, verifier: verifier, settings: configuration.settings.blockSync)
        lastProgress = now
        for peer in syncPeers {
            out.gossipSends.append((peer, .chainStatus(height: applied.height, head: applied.hash)))
        }
    }

    /// A client submitted `transaction` here: admit it and, if new, offer it to the community.
    public mutating func submit(_ transaction: Transaction, view: some MempoolView) -> Admission {
        let admission = mempool.admit(transaction, view: PendingNonceView(base: view, pending: pendingNonces), now: now)
        if case let .admitted(id, displaced) = admission {
            lastOffered[id] = now
            unpublished.append(transaction)
            unpublishedBytes += transaction.encodedSize
            if unpublishedBytes >= Self.publishBatchBytes { publishSubmitted() }
            note(displaced)
            produce(view: view, onlyFull: true)
        }
        return admission
    }

    /// A transaction arrived by gossip: admit it (dissemination forwards it).
    @discardableResult
    public mutating func receive(transaction: Transaction, view: some MempoolView) -> Admission {
        let admission = mempool.admit(transaction, view: PendingNonceView(base: view, pending: pendingNonces), now: now)
        if case let .admitted(id, displaced) = admission {
            lastOffered[id] = now
            note(displaced)
            produce(view: view, onlyFull: true)
        }
        return admission
    }

    /// A message on the consensus traffic class from `peer`.
    public mutating func receive(_ message: ConsensusMessage, from peer: NodeID, view: some MempoolView) {
        switch message {
        case let .raft(m):
            guard raft != nil, let sender = replicaOfNode[peer], sender == m.from else {
                out.events.append(.refused("raft message from \(peer), which is not replica \(m.from)"))
                return
            }
            raft!.step(m)
            produce(view: view)
        case let .vote(v):
            receive(vote: v, from: peer)
        }
    }

    /// A sealed block arrived by gossip from `peer` (a Plumtree neighbour).
    public mutating func receive(sealed block: SealedBlock, from peer: NodeID) {
        // The sender's height is not the block's: a proposer broadcasts a block
        // it sealed before the ones below it are sealed, so only its height
        // reports (`chainStatus`) tell block sync whom to ask.
        let height = block.height
        guard height > applied.height, height <= applied.height + configuration.settings.maxAhead,
              sealedAhead[height] == nil else { return }
        do {
            try verifier.verify(block)
        } catch {
            out.events.append(.refused("sealed block \(height) from \(peer): \(error)"))
            return
        }
        accept(block)
    }

    /// A block-sync message from a community peer. Block requests are the
    /// shell's to answer (it reads the block store).
    public mutating func receive(sync message: GossipMessage, from peer: NodeID) {
        if case .chainStatus = message { heardPeerHeight = true }
        carry(blockSync.receive(message, from: peer, now: now))
    }

    /// A link to `peer` opened; `address` is the one dialled (nil for an
    /// inbound link). Membership counts every link; a link inside the
    /// community (`inCommunity`; false for a gateway's link to another
    /// community's gateway) also joins the Plumtree neighbours, and the peer
    /// is told our height (block sync may ask it).
    public mutating func peerUp(_ peer: NodeID, address: String? = nil, inCommunity: Bool = true) {
        carry(membership.connected(peer, address: address, now: now))
        guard inCommunity else {
            foreignPeers.insert(peer)
            cityPeerUp(peer)
            return
        }
        carry(plumtree.peerUp(peer, now: now))
        if !syncPeers.contains(peer) { syncPeers.append(peer) }
        out.gossipSends.append((peer, .chainStatus(height: applied.height, head: applied.hash)))
    }

    /// The link to `peer` closed.
    public mutating func peerDown(_ peer: NodeID) {
        carry(membership.disconnected(peer, now: now))
        if foreignPeers.remove(peer) != nil {
            cityPeerDown(peer)
            return
        }
        carry(plumtree.peerDown(peer, now: now))
        syncPeers.removeAll { $0 == peer }
        carry(blockSync.peerDown(peer, now: now))
    }
}

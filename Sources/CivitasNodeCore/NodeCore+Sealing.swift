import CivitasCodec
import CivitasLedger
import CivitasRaft
import CivitasGossip
import CivitasTime

/// Blocks built from the committed Raft log, votes, certificates, and sealed
/// blocks handed to the shell strictly in height order.
extension NodeCore {
    // MARK: - Building and sealing (validators and learners)

    mutating func build(_ proposal: BlockProposal, raftIndex: UInt64) {
        let genesis = configuration.genesis
        let block = Block(community: genesis.community, height: built.height + 1, previous: built.hash,
                          time: max(proposal.time, built.time), proposer: proposal.proposer,
                          transactions: proposal.transactions)
        let hash = block.header.hash
        let height = block.header.height
        built = ChainPosition(height: height, hash: hash, time: block.header.time)
        builtIndex[height] = raftIndex
        notePending(proposal.transactions)
        if height <= applied.height {
            if let known = recentHashes[height], known != hash {
                out.events.append(.divergence(height: height, built: hash, known: known))
            }
            return
        }
        if let sealed = sealedAhead[height], sealed.header.hash != hash {
            out.events.append(.divergence(height: height, built: hash, known: sealed.header.hash))
            return
        }
        var entry = Unsealed(block: block, hash: hash)
        if let index = validatorIndex {
            let vote = VoteMessage(height: height, headerHash: hash,
                                   vote: BlockVote(index: index, key: configuration.nodeKey, headerHash: hash))
            entry.votes[index] = vote.vote
            entry.ownVote = vote
            entry.lastSent = now
            sendToValidators(.vote(vote))
        }
        for early in earlyVotes.removeValue(forKey: height) ?? [] where early.headerHash == hash {
            entry.votes[early.vote.validator] = early.vote
        }
        unsealed[height] = entry
        trySeal(height)
    }

    mutating func receive(vote v: VoteMessage, from peer: NodeID) {
        let validators = configuration.genesis.validators
        guard raft != nil, v.height > applied.height, v.height <= applied.height + configuration.settings.maxAhead else { return }
        guard Int(v.vote.validator) < validators.count,
              validatorNodeIDs[Int(v.vote.validator)] == peer,
              configuration.signatureVerifier.isValid(v.vote.signature, by: validators[Int(v.vote.validator)].nodeKey,
                                                      for: v.headerHash.bytes, domain: .blockVote)
        else {
            out.events.append(.refused("vote for block \(v.height) from \(peer): not a valid signature of that validator"))
            return
        }
        guard var entry = unsealed[v.height] else {
            var early = earlyVotes[v.height, default: []]
            if !early.contains(v), early.count < validators.count * 2 { early.append(v) }
            earlyVotes[v.height] = early
            return
        }
        guard entry.hash == v.headerHash else {
            out.events.append(.refused("vote for block \(v.height) from \(peer) names \(v.headerHash.hex), built here: \(entry.hash.hex)"))
            return
        }
        entry.votes[v.vote.validator] = v.vote
        unsealed[v.height] = entry
        trySeal(v.height)
    }

    mutating func trySeal(_ height: UInt64) {
        guard let entry = unsealed[height], entry.votes.count * 2 > configuration.genesis.validators.count else { return }
        let certificate = CommitCertificate(height: height, headerHash: entry.hash, votes: entry.votes.values.sorted())
        let sealed = SealedBlock(block: entry.block, certificate: certificate)
        unsealed[height] = nil
        if entry.block.header.proposer == validatorIndex {
            publish(.sealedBlock(sealed))
        }
        accept(sealed)
    }

    mutating func resendVotes() {
        let period = configuration.settings.voteResend
        for height in unsealed.keys.sorted() {
            guard let vote = unsealed[height]?.ownVote, now - unsealed[height]!.lastSent >= period else { continue }
            unsealed[height]!.lastSent = now
            sendToValidators(.vote(vote))
        }
    }

    mutating func sendToValidators(_ message: ConsensusMessage) {
        for node in validatorNodeIDs where node != selfNodeID {
            out.sends.append((node, message))
        }
    }

    // MARK: - Applying in order

    /// `block` is proven (sealed here, or its certificate checked): apply it
    /// once every block below it is applied.
    mutating func accept(_ block: SealedBlock) {
        guard block.height > applied.height, sealedAhead[block.height] == nil else { return }
        sealedAhead[block.height] = block
        defer {
            // Emptied, they hold no storage of their own: every tick reads them.
            if sealedAhead.isEmpty { sealedAhead = [:] }
            if unsealed.isEmpty { unsealed = [:] }
        }
        while let next = sealedAhead.removeValue(forKey: applied.height + 1) {
            let hash = next.header.hash
            guard next.header.previous == applied.hash else {
                out.events.append(.refused("sealed block \(next.height) does not extend the applied head \(applied)"))
                break
            }
            guard acceptAnchored(next, hash: hash) else { break }
            if let entry = unsealed.removeValue(forKey: next.height), entry.hash != hash {
                out.events.append(.divergence(height: next.height, built: entry.hash, known: hash))
            }
            earlyVotes[next.height] = nil
            applied = ChainPosition(height: next.height, hash: hash, time: next.header.time)
            lastProgress = now
            recentHashes[next.height] = hash
            recentHashes[next.height &- configuration.settings.maxAhead] = nil
            out.apply.append(next)
            publishCheckpointIfDue(next)
            relayRecordedCheckpoints(next)
        }
        // Blocks block sync holds just above the new head come back in its
        // directives' `apply` and through `carry` to here again, each once.
        carry(blockSync.advanced(to: applied.height, head: applied.hash, now: now))
    }

    mutating func carry(_ d: BlockSyncDirectives) {
        out.gossipSends += d.sends
        for (peer, reason) in d.disconnects { out.disconnects.append((peer, .blockSync(reason))) }
        for block in d.apply where block.height > applied.height { accept(block) }
    }
}

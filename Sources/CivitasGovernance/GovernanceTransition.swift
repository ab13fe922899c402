public import CivitasCodec
public import CivitasLedger

/// The governance transition, pure: a transaction (with its place in a
/// block) and a read view of the state in, typed state changes out — or a
/// refusal with its one-line reason. No clock, no I/O, no randomness: the
/// same blocks on the same state give the same changes on every node.
///
/// Contract with a store (`GovernanceStore`): per transaction of a block, in
/// order, ask `transaction` on the state as it stands, then apply every
/// change it returned, in order, before asking about the next transaction
/// (a transaction sees the effects of the ones before it in its block). After
/// the last one, apply `endOfBlock`'s changes. `applyBlock` does exactly
/// this, with the block's bookkeeping (`transactionRecorded`,
/// `blockRecorded`); a store records changes and decides nothing.
///
/// Per transaction: `NonceRule` first (another community's transaction or a
/// nonce out of order: rejected, no change); then the nonce is consumed and
/// `GovernanceRules` decide — a refusal changes nothing but the nonce, an
/// allowed transaction adds its kind's effects.
public enum GovernanceTransition {
    /// The changes the genesis document makes: its subjects, registered at
    /// height 0, in document order (a later duplicate key wins).
    public static func genesis(_ genesis: GenesisDocument) -> [StateChange] {
        genesis.subjects.map { s in
            .subjectRecorded(SubjectEntry(id: s.key.subjectID, publicKey: s.key, displayName: s.displayName, unit: s.unit,
                                          roles: s.roles, isActive: true, registeredHeight: 0, updatedHeight: 0,
                                          lastTransaction: nil))
        }
    }

    /// The outcome of `tx` at `context` on `state`, and the changes it makes.
    public static func transaction<R: GovernanceReader>(_ tx: Transaction, in context: TransactionContext,
                                                        genesis: GenesisDocument, state: R) throws(R.Failure) -> TransactionTransition {
        try transaction(tx, id: tx.id, in: context, genesis: genesis, state: state)
    }

    static func transaction<R: GovernanceReader>(_ tx: Transaction, id: Hash, in context: TransactionContext,
                                                 genesis: GenesisDocument, state: R) throws(R.Failure) -> TransactionTransition {
        let latest = try state.latestNonce(of: tx.signer)
        if case let .refused(reason) = NonceRule.check(tx, community: genesis.community, latest: latest) {
            return TransactionTransition(outcome: .rejected(reason), changes: [])
        }
        let nonce = StateChange.nonceConsumed(NonceEntry(signer: tx.signer, nonce: tx.nonce, height: context.height))
        switch try GovernanceRules.decide(tx, id: id, context: context, genesis: genesis, state: state, withEffects: true) {
        case let .refused(reason): return TransactionTransition(outcome: .rejected(reason), changes: [nonce])
        case let .allowed(effects): return TransactionTransition(outcome: .applied, changes: [nonce] + effects)
        }
    }

    /// The changes at the end of the block `header` describes, after its
    /// transactions: proposals due to close are tallied, in opening order;
    /// every `checkpointInterval` blocks the community's own head is recorded.
    public static func endOfBlock<R: GovernanceReader>(_ header: BlockHeader, genesis: GenesisDocument,
                                                       state: R) throws(R.Failure) -> [StateChange] {
        var changes = try ProposalTransition.closeDue(height: header.height, time: StateInteger.clamp(header.time), state: state)
        if let own = CheckpointTransition.ownCheckpoint(header, genesis: genesis) { changes.append(own) }
        return changes
    }

    /// Applies `block` to `store` transaction by transaction as the contract
    /// says, with a `transactionRecorded` change after each transaction's
    /// own and a `blockRecorded` change last. The caller checks first that
    /// the block is the next one.
    public static func applyBlock<S: GovernanceStore>(_ block: Block, genesis: GenesisDocument,
                                                      to store: inout S) throws(S.Reader.Failure) -> GovernanceBlockResult {
        let header = block.header
        var outcomes: [TransactionOutcome] = []
        outcomes.reserveCapacity(block.transactions.count)
        var rejected = 0
        for (i, tx) in block.transactions.enumerated() {
            let id = tx.id
            let context = TransactionContext(height: header.height, time: header.time, index: i)
            let t = try transaction(tx, id: id, in: context, genesis: genesis, state: store.reader)
            for change in t.changes { try store.apply(change) }
            try store.apply(.transactionRecorded(TransactionEntry(
                height: header.height, index: i, id: id, kind: tx.kind, signer: tx.signer, nonce: tx.nonce,
                time: StateInteger.clamp(tx.time), rejectionReason: t.outcome.rejectionReason)))
            if t.outcome != .applied { rejected += 1 }
            outcomes.append(t.outcome)
        }
        var closed: [Hash] = []
        for change in try endOfBlock(header, genesis: genesis, state: store.reader) {
            if case let .proposalClosed(tally) = change { closed.append(tally.proposal) }
            try store.apply(change)
        }
        try store.apply(.blockRecorded(BlockEntry(
            height: header.height, hash: header.hash, previous: header.previous, time: StateInteger.clamp(header.time),
            proposer: header.proposer, transactionCount: block.transactions.count, rejectedCount: rejected,
            transactionRoot: header.transactionRoot)))
        return GovernanceBlockResult(height: header.height, outcomes: outcomes, closedProposals: closed)
    }
}

/// Where a transaction is decided: its block's height and time, and its position.
public struct TransactionContext: Hashable, Sendable {
    public var height: UInt64
    /// The block's time as its header gives it (closing times are compared with it).
    public var time: Timestamp
    /// The position in the block.
    public var index: Int

    public init(height: UInt64, time: Timestamp, index: Int) {
        self.height = height
        self.time = time
        self.index = index
    }

    /// The block time the state records (clamped).
    public var recordedTime: Timestamp { StateInteger.clamp(time) }
}

/// What happened to one transaction of an applied block.
public enum TransactionOutcome: Hashable, Sendable {
    case applied
    /// Refused: the state is as if the transaction were absent (its nonce may still be consumed).
    case rejected(String)

    public var rejectionReason: String? {
        if case let .rejected(reason) = self { return reason }
        return nil
    }
}

/// One transaction's outcome and the changes it makes (for a rejection, at
/// most the consumed nonce).
public struct TransactionTransition: Hashable, Sendable {
    public var outcome: TransactionOutcome
    public var changes: [StateChange]
}

/// The result of applying a block.
public struct GovernanceBlockResult: Hashable, Sendable {
    public var height: UInt64
    /// One per transaction, in block order.
    public var outcomes: [TransactionOutcome]
    /// Proposals this block closed, in opening order (their tallies are recorded).
    public var closedProposals: [Hash]
}

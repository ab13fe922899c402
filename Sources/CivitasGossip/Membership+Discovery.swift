public import CivitasLedger
public import CivitasTime

/// A member's state in SWIM.
public enum MemberState: Sendable, Hashable {
    case alive, suspect, dead
}

/// Discovery: members are learnt from signed peer records (an `alive`
/// update carries one), each checked once, and kept in the address book.
extension Membership {
    /// One known member.
    public struct Member: Sendable {
        public var record: PeerRecord
        public var state: MemberState
        public var incarnation: UInt64
        public var stateChanged: MonotonicTime
        var suspicion: Suspicion?
    }

    /// A saved address book with every record's signature checked again (an
    /// edited file cannot inject peers) and each address's quality as saved.
    static func verified(_ saved: AddressBook, excluding selfID: NodeID, signatures: SignatureVerifier) -> AddressBook {
        var book = AddressBook()
        for e in saved.entries where e.record.nodeID != selfID && e.record.hasValidSignature(using: signatures) {
            book.learn(e.record, now: e.lastSeen)
            for (a, q) in zip(e.record.addresses, e.quality) where q != AddressBook.initialQuality {
                // learn() starts every address at the initial quality.
                book.setQuality(node: e.record.nodeID, address: a, quality: q)
            }
        }
        return book
    }

    /// Members of this node's community; a gateway also keeps the gateways of other communities.
    private func accepts(_ record: PeerRecord) -> Bool {
        if record.community == selfRecord.community { return true }
        return selfRecord.role == .gateway && record.role == .gateway
    }

    /// An `alive` update: learns or refreshes a member (a record not seen
    /// before costs a signature check), or refutes one about this node.
    /// False if the sender was dropped for a bad signature.
    mutating func applyAlive(_ record: PeerRecord, incarnation inc: UInt64, from peer: NodeID, now: MonotonicTime,
                             into out: inout MembershipDirectives) -> Bool {
        let id = record.nodeID
        if id == selfID {
            if inc > incarnation || (inc == incarnation && record != selfRecord && record.sequence >= selfRecord.sequence) { refute(inc, into: &out) }
            return true
        }
        guard accepts(record) else { return true }
        let known = members[id]
        if let known, inc < known.incarnation { return true }
        if let known, inc == known.incarnation, known.state != .alive || known.record == record { return true }
        if let known, known.record != record, record.sequence < known.record.sequence { return true }
        if known?.record != record {
            guard record.hasValidSignature(using: signatures) else {
                penalise(peer, "peer record of \(id) has a bad signature", now: now, into: &out)
                return !policy.isBanned(peer, now: now)
            }
            addressBook.learn(record, now: now)
        }
        if var m = known {
            let wasAlive = m.state == .alive
            m.record = record.sequence >= m.record.sequence ? record : m.record
            m.incarnation = inc
            m.state = .alive
            m.suspicion = nil
            m.stateChanged = now
            setMember(id, m)
            if !wasAlive { out.events.append(.recovered(id)) }
        } else {
            guard memberOrder.count < settings.maxMembers else { return true }
            setMember(id, Member(record: record, state: .alive, incarnation: inc, stateChanged: now))
            memberOrder.append(id)
            // A newcomer goes to a random place in the current probe pass (memberlist does the same).
            let at = probeIndex + Int(random.next() % UInt64(probeList.count - probeIndex + 1))
            probeList.insert(id, at: at)
            out.events.append(.joined(id))
        }
        enqueue(.alive(incarnation: inc, record: record))
        return true
    }
}

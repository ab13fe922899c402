import CivitasLedger

/// Registration: the residents' committee (or a genesis registrar) registers,
/// updates or revokes a subject.
enum RegistrationTransition: KindTransition {
    typealias Payload = Registration

    /// Roles that may register, update and revoke subjects (besides genesis registrars).
    static let registeringRoles: [Role] = [.residentsCommittee]

    static func check<R: GovernanceReader>(_ r: Registration, _ s: Submission<R>) throws(R.Failure) -> String? {
        if !s.genesis.registrars.contains(s.tx.signer), let refused = s.refusal("a registration", registeringRoles) {
            return refused + " and is not a genesis registrar"
        }
        let sid = r.subject.subjectID
        let existing = try s.state.subject(sid)
        switch r.action {
        case .register:
            if existing?.isActive == true { return "subject \(sid) is already registered" }
            if r.roles.isEmpty { return "a registration must grant at least one role" }
        case .update:
            guard let existing else { return "update of unknown subject \(sid)" }
            guard existing.isActive else { return "update of revoked subject \(sid)" }
            if r.roles.isEmpty { return "an update must leave at least one role (revoke the subject instead)" }
        case .revoke:
            guard let existing else { return "revocation of unknown subject \(sid)" }
            guard existing.isActive else { return "subject \(sid) is already revoked" }
        }
        return nil
    }

    /// The subject as the record leaves it. A revoked subject registered again
    /// keeps its first registration height; a revocation clears the roles.
    static func effects<R: GovernanceReader>(_ r: Registration, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        let sid = r.subject.subjectID
        let existing = try s.state.subject(sid)
        var subject: SubjectEntry
        switch r.action {
        case .register:
            subject = SubjectEntry(id: sid, publicKey: r.subject, displayName: r.displayName, unit: r.unit, roles: r.roles,
                                   isActive: true, registeredHeight: existing?.registeredHeight ?? s.height,
                                   updatedHeight: s.height, lastTransaction: s.id)
        case .update:
            guard let existing else { return [] }
            subject = existing
            subject.displayName = r.displayName
            subject.unit = r.unit
            subject.roles = r.roles
        case .revoke:
            guard let existing else { return [] }
            subject = existing
            subject.roles = RoleSet()
            subject.isActive = false
        }
        subject.updatedHeight = s.height
        subject.lastTransaction = s.id
        return [.subjectRecorded(subject)]
    }
}

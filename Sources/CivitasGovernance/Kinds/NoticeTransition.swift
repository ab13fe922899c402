import CivitasLedger

/// Notices: each category has its issuers; a correction is a new version by
/// the same author in the same category, and a version is corrected once.
enum NoticeTransition: KindTransition {
    typealias Payload = Notice

    /// Roles that may issue a notice of `category`.
    static func issuers(of category: Notice.Category) -> [Role] {
        switch category {
        case .partyAffairs: return [.partyBranch]
        case .housingAffairs: return [.ownersCommittee, .propertyManager]
        case .finance: return [.residentsCommittee, .ownersCommittee]
        case .services: return [.residentsCommittee, .propertyManager, .serviceProvider, .streetOffice]
        case .general: return Role.allCases.filter { $0 != .resident }
        }
    }

    static func check<R: GovernanceReader>(_ n: Notice, _ s: Submission<R>) throws(R.Failure) -> String? {
        if let refused = s.refusal("notice category \(n.category)", issuers(of: n.category)) { return refused }
        guard let earlier = n.supersedes else { return nil }
        guard let e = try s.state.notice(earlier) else { return "supersedes unknown notice \(earlier.hex)" }
        if e.author != s.signerID {
            return "notice \(earlier.hex) was issued by \(e.author); only its author may supersede it, not \(s.signerID)"
        }
        if e.category != n.category {
            return "notice \(earlier.hex) is in category \(e.category); a correction keeps the category, not \(n.category)"
        }
        if let by = e.supersededBy { return "notice \(earlier.hex) is already superseded by \(by.hex)" }
        return nil
    }

    /// The new version, which continues the earlier one's chain, and the
    /// earlier one marked as superseded.
    static func effects<R: GovernanceReader>(_ n: Notice, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        var chainRoot = s.id
        var version = 1
        var superseded: [StateChange] = []
        if let earlier = n.supersedes, let e = try s.state.notice(earlier) {
            chainRoot = e.chainRoot
            version = e.version + 1
            superseded = [.noticeSuperseded(notice: earlier, by: s.id)]
        }
        let published = NoticeEntry(
            id: s.id, height: s.height, index: s.index, time: s.time, issuer: s.signerID, category: n.category,
            title: n.title, body: n.body, supersedes: n.supersedes, supersededBy: nil, chainRoot: chainRoot,
            version: version, attachments: n.attachments)
        return [.noticePublished(published)] + superseded
    }
}

import CivitasLedger

/// Volunteer records: a social organisation attests an active subject's
/// hours; points accrue at the genesis rate.
enum VolunteerRecordTransition: KindTransition {
    typealias Payload = VolunteerRecord

    /// Roles that may attest volunteer hours.
    static let volunteerRoles: [Role] = [.socialOrganization]

    static func check<R: GovernanceReader>(_ v: VolunteerRecord, _ s: Submission<R>) throws(R.Failure) -> String? {
        if let refused = s.refusal("a volunteer record", volunteerRoles) { return refused }
        guard let volunteer = try s.state.subject(v.volunteer) else { return "volunteer record for unknown subject \(v.volunteer)" }
        guard volunteer.isActive else { return "volunteer record for revoked subject \(v.volunteer)" }
        return nil
    }

    /// The record with ⌊minutes × pointsPerHour / 60⌋ points, and the volunteer's new totals.
    static func effects<R: GovernanceReader>(_ v: VolunteerRecord, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        let minutes = UInt64(v.minutes)
        let points = minutes * UInt64(s.genesis.parameters.pointsPerHour) / 60
        var totals = try s.state.volunteerTotals(v.volunteer) ?? VolunteerTotals(volunteer: v.volunteer, records: 0, minutes: 0, points: 0)
        totals.records = StateInteger.sum(totals.records, 1)
        totals.minutes = StateInteger.sum(totals.minutes, minutes)
        totals.points = StateInteger.sum(totals.points, points)
        let record = VolunteerEntry(id: s.id, height: s.height, index: s.index, organisation: s.signerID, volunteer: v.volunteer,
                                    activity: v.activity, minutes: v.minutes, day: v.day, points: points)
        return [.volunteerHoursRecorded(record, totals: totals)]
    }
}

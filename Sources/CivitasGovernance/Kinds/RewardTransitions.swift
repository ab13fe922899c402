import CivitasLedger

/// Reward offers: social organisations and the property manager put items
/// on offer at a price in volunteer points.
enum RewardOfferTransition: KindTransition {
    typealias Payload = RewardOffer

    /// Roles that may offer rewards.
    static let offeringRoles: [Role] = [.socialOrganization, .propertyManager]

    static func check<R: GovernanceReader>(_ o: RewardOffer, _ s: Submission<R>) throws(R.Failure) -> String? {
        s.refusal("a reward offer", offeringRoles)
    }

    static func effects<R: GovernanceReader>(_ o: RewardOffer, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        [.rewardOfferRecorded(RewardOfferEntry(id: s.id, height: s.height, index: s.index, time: s.time, publisher: s.signerID,
                                               title: o.title, description: o.description, price: o.price, quantity: o.quantity,
                                               redeemed: 0))]
    }
}

/// Redemptions: a subject spends points it holds — its volunteer points minus
/// what it spent before — on one item of an offer with items left, from a
/// publisher that is still active and is not itself. Points are never
/// created here, only spent, so the points outstanding are always the points
/// issued minus the points redeemed.
enum RedemptionTransition: KindTransition {
    typealias Payload = Redemption

    static func check<R: GovernanceReader>(_ r: Redemption, _ s: Submission<R>) throws(R.Failure) -> String? {
        guard let offer = try s.state.rewardOffer(r.offer) else { return "redemption of unknown reward offer \(r.offer.hex)" }
        if offer.publisher == s.signerID { return "the publisher of reward \(r.offer.hex) cannot redeem it" }
        guard try s.state.subject(offer.publisher)?.isActive == true else {
            return "reward \(r.offer.hex) was offered by \(offer.publisher), which is revoked"
        }
        guard offer.redeemed < UInt64(offer.quantity) else {
            return "reward \(r.offer.hex) is all taken (\(offer.redeemed) of \(offer.quantity))"
        }
        let balance = try self.balance(of: s.signerID, s.state)
        guard balance >= UInt64(offer.price) else {
            return "signer \(s.signerID) holds \(balance) points; reward \(r.offer.hex) costs \(offer.price)"
        }
        return nil
    }

    static func effects<R: GovernanceReader>(_ r: Redemption, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        guard var offer = try s.state.rewardOffer(r.offer) else { return [] }
        let points = UInt64(offer.price)
        offer.redeemed = StateInteger.sum(offer.redeemed, 1)
        var totals = try s.state.redeemedTotals(s.signerID) ?? RedeemedTotals(subject: s.signerID, redemptions: 0, points: 0)
        totals.redemptions = StateInteger.sum(totals.redemptions, 1)
        totals.points = StateInteger.sum(totals.points, points)
        let redemption = RedemptionEntry(id: s.id, height: s.height, index: s.index, time: s.time, offer: r.offer, redeemer: s.signerID,
                                         publisher: offer.publisher, points: points)
        return [.pointsRedeemed(redemption, offer: offer, totals: totals)]
    }

    /// Volunteer points earned less points spent (never below 0).
    static func balance<R: GovernanceReader>(of subject: SubjectID, _ state: R) throws(R.Failure) -> UInt64 {
        let earned = try state.volunteerTotals(subject)?.points ?? 0
        let spent = try state.redeemedTotals(subject)?.points ?? 0
        return earned > spent ? earned - spent : 0
    }
}

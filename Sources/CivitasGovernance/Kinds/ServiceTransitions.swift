import CivitasLedger

// A service request's life: request → assignment → responses → closure with a
// rating, or reopening. Every time recorded is the block's; the deadline runs
// from the request's block time, so nobody can back-date a response.

/// Service request: any active subject may file one.
enum ServiceRequestTransition: KindTransition {
    typealias Payload = ServiceRequest

    static func check<R: GovernanceReader>(_ r: ServiceRequest, _ s: Submission<R>) throws(R.Failure) -> String? { nil }

    /// The request, open, due by its block time plus its service code's
    /// response deadline (genesis; the default otherwise).
    static func effects<R: GovernanceReader>(_ r: ServiceRequest, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        let parameters = s.genesis.parameters
        let seconds = parameters.responseDeadlines.last { $0.serviceCode == r.serviceCode }?.seconds
            ?? parameters.defaultResponseDeadline
        let request = ServiceRequestEntry(
            id: s.id, height: s.height, index: s.index, requestedTime: s.time, requester: s.signerID,
            serviceCode: r.serviceCode, description: r.description, location: r.location,
            deadline: StateInteger.sum(s.time, StateInteger.milliseconds(seconds: seconds)), status: .open,
            resolution: nil, provider: nil, assignmentCount: 0, firstResponseTime: nil, resolvedTime: nil,
            closedTime: nil, rating: nil, reopenCount: 0)
        return [.serviceRequestRecorded(request), event(s, request: s.id, .request, status: "open", note: "")]
    }

    /// A step of `request`'s timeline recorded by `s`'s transaction.
    static func event<R: GovernanceReader>(_ s: Submission<R>, request: Hash, _ kind: ServiceEventEntry.Kind, status: String,
                                           note: String, rating: UInt8? = nil) -> StateChange {
        .serviceEventRecorded(ServiceEventEntry(request: request, height: s.height, index: s.index, transaction: s.id,
                                                kind: kind, actor: s.signerID, status: status, note: note, rating: rating))
    }
}

/// Assignment: a management act (property manager, residents' committee,
/// street office) to a provider holding `serviceProvider` or `propertyManager`.
enum AssignmentTransition: KindTransition {
    typealias Payload = Assignment

    /// Roles that may assign a service request.
    static let assigningRoles: [Role] = [.propertyManager, .residentsCommittee, .streetOffice]
    /// Roles a subject needs to be assigned a service request.
    static let providerRoles: [Role] = [.serviceProvider, .propertyManager]

    static func check<R: GovernanceReader>(_ a: Assignment, _ s: Submission<R>) throws(R.Failure) -> String? {
        if let refused = s.refusal("an assignment", assigningRoles) { return refused }
        guard let r = try s.state.serviceRequest(a.request) else { return "unknown service request \(a.request.hex)" }
        if r.status == .closed { return "service request \(a.request.hex) is closed" }
        guard let provider = try s.state.subject(a.provider) else { return "assignment to unknown provider \(a.provider)" }
        guard provider.isActive else { return "assignment to revoked provider \(a.provider)" }
        guard providerRoles.contains(where: provider.roles.contains) else {
            return "assignment to \(a.provider), which holds \(provider.roles): a provider holds \(GovernanceRules.names(providerRoles))"
        }
        return nil
    }

    /// The current assignment ends, a new one begins, and the request is
    /// assigned to the new provider with any earlier resolution cleared.
    static func effects<R: GovernanceReader>(_ a: Assignment, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        guard var request = try s.state.serviceRequest(a.request) else { return [] }
        var changes: [StateChange] = []
        if var current = try s.state.assignment(request: a.request, seq: request.assignmentCount), current.isActive {
            current.isActive = false
            current.endedTime = s.time
            changes.append(.assignmentRecorded(current))
        }
        request.assignmentCount += 1
        changes.append(.assignmentRecorded(AssignmentEntry(
            request: a.request, seq: request.assignmentCount, provider: a.provider, transaction: s.id,
            assignedHeight: s.height, assignedTime: s.time, note: a.note, isActive: true, endedTime: nil,
            firstResponseTime: nil, resolvedTime: nil, resolution: nil, rating: nil)))
        request.status = .assigned
        request.provider = a.provider
        request.resolution = nil
        request.resolvedTime = nil
        changes.append(.serviceRequestRecorded(request))
        changes.append(ServiceRequestTransition.event(s, request: a.request, .assignment, status: "assigned", note: a.note))
        return changes
    }
}

/// Service response: only the current assignment's provider answers, until
/// the request is resolved (only the requester's reopening lets it continue).
enum ServiceResponseTransition: KindTransition {
    typealias Payload = ServiceResponse

    static func check<R: GovernanceReader>(_ resp: ServiceResponse, _ s: Submission<R>) throws(R.Failure) -> String? {
        guard let r = try s.state.serviceRequest(resp.request) else { return "unknown service request \(resp.request.hex)" }
        if r.status == .closed { return "service request \(resp.request.hex) is closed" }
        if r.status == .resolved {
            return "service request \(resp.request.hex) is already resolved; only the requester's reopening lets it continue"
        }
        guard let provider = r.provider else { return "service request \(resp.request.hex) is not assigned to a provider" }
        guard provider == s.signerID else {
            return "only the assigned provider \(provider) may respond to service request \(resp.request.hex), not \(s.signerID)"
        }
        return nil
    }

    /// The first response time (once, on the request and on the assignment),
    /// the new status, and for a resolution its kind and time.
    static func effects<R: GovernanceReader>(_ resp: ServiceResponse, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        guard var request = try s.state.serviceRequest(resp.request),
              var current = try s.state.assignment(request: resp.request, seq: request.assignmentCount) else { return [] }
        let resolution = ServiceResolution(resp.status)
        current.firstResponseTime = current.firstResponseTime ?? s.time
        current.resolvedTime = resolution == nil ? nil : s.time
        current.resolution = resolution
        request.firstResponseTime = request.firstResponseTime ?? s.time
        request.status = switch resp.status {
        case .acknowledged: .acknowledged
        case .inProgress: .inProgress
        default: .resolved
        }
        request.resolution = resolution
        request.resolvedTime = resolution == nil ? nil : s.time
        return [.assignmentRecorded(current), .serviceRequestRecorded(request),
                ServiceRequestTransition.event(s, request: resp.request, .response, status: resp.status.description, note: resp.note)]
    }
}

/// Closure: only the requester closes (with a rating 1–5) or reopens a resolved request.
enum ClosureTransition: KindTransition {
    typealias Payload = Closure

    static func check<R: GovernanceReader>(_ cl: Closure, _ s: Submission<R>) throws(R.Failure) -> String? {
        guard let r = try s.state.serviceRequest(cl.request) else { return "unknown service request \(cl.request.hex)" }
        if r.status == .closed { return "service request \(cl.request.hex) is closed" }
        guard r.requester == s.signerID else {
            return "only the requester \(r.requester) may close or reopen service request \(cl.request.hex), not \(s.signerID)"
        }
        guard r.status == .resolved else { return "service request \(cl.request.hex) is \(r.status.rawValue), not resolved" }
        if cl.outcome == .closed && cl.rating == nil { return "closing service request \(cl.request.hex) needs a rating of 1 to 5" }
        return nil
    }

    /// Closing records the rating on the request and the current assignment;
    /// reopening clears the resolution (a rating given with it is kept only in
    /// the timeline).
    static func effects<R: GovernanceReader>(_ cl: Closure, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        guard var request = try s.state.serviceRequest(cl.request),
              var current = try s.state.assignment(request: cl.request, seq: request.assignmentCount) else { return [] }
        let status: String
        switch cl.outcome {
        case .closed:
            status = "closed"
            request.status = .closed
            request.closedTime = s.time
            request.rating = cl.rating
            current.rating = cl.rating
        case .reopened:
            status = "reopened"
            request.status = .reopened
            request.reopenCount += 1
            request.resolution = nil
            request.resolvedTime = nil
            current.resolvedTime = nil
            current.resolution = nil
        }
        return [.assignmentRecorded(current), .serviceRequestRecorded(request),
                ServiceRequestTransition.event(s, request: cl.request, .closure, status: status, note: cl.comment, rating: cl.rating)]
    }
}

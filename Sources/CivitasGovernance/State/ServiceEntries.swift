public import CivitasCodec
public import CivitasLedger

/// Where a service request stands.
public enum ServiceRequestStatus: String, Hashable, Sendable, CaseIterable {
    case open, assigned, acknowledged, inProgress, resolved, reopened, closed
}

/// How a provider resolved a request.
public enum ServiceResolution: String, Hashable, Sendable, CaseIterable {
    case fixed, notResponsible, duplicate, referred

    /// The resolution a response reports (nil for acknowledged and in progress).
    public init?(_ status: ServiceResponse.Status) {
        switch status {
        case .acknowledged, .inProgress: return nil
        case .resolvedFixed: self = .fixed
        case .resolvedNotResponsible: self = .notResponsible
        case .resolvedDuplicate: self = .duplicate
        case .resolvedReferred: self = .referred
        }
    }
}

/// A resident's service request and how far it has come.
public struct ServiceRequestEntry: StateEntry {
    /// The transaction ID.
    public var id: Hash
    public var height: UInt64
    public var index: Int
    /// Block time of the request: its deadline runs from here.
    public var requestedTime: Timestamp
    public var requester: SubjectID
    public var serviceCode: String
    public var description: String
    public var location: String
    /// `requestedTime` plus the service code's response deadline (genesis).
    public var deadline: Timestamp
    public var status: ServiceRequestStatus
    /// Set while resolved or closed.
    public var resolution: ServiceResolution?
    /// The current assignment's provider.
    public var provider: SubjectID?
    /// Assignments so far; the current one has this sequence number.
    public var assignmentCount: Int
    /// The first response by any provider.
    public var firstResponseTime: Timestamp?
    public var resolvedTime: Timestamp?
    public var closedTime: Timestamp?
    /// 1 … 5, given when the requester closed it.
    public var rating: UInt8?
    public var reopenCount: Int

    public init(id: Hash, height: UInt64, index: Int, requestedTime: Timestamp, requester: SubjectID, serviceCode: String,
                description: String, location: String, deadline: Timestamp, status: ServiceRequestStatus,
                resolution: ServiceResolution?, provider: SubjectID?, assignmentCount: Int, firstResponseTime: Timestamp?,
                resolvedTime: Timestamp?, closedTime: Timestamp?, rating: UInt8?, reopenCount: Int) {
        self.id = id
        self.height = height
        self.index = index
        self.requestedTime = requestedTime
        self.requester = requester
        self.serviceCode = serviceCode
        self.description = description
        self.location = location
        self.deadline = deadline
        self.status = status
        self.resolution = resolution
        self.provider = provider
        self.assignmentCount = assignmentCount
        self.firstResponseTime = firstResponseTime
        self.resolvedTime = resolvedTime
        self.closedTime = closedTime
        self.rating = rating
        self.reopenCount = reopenCount
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.id < b.id }

    public func encode(to w: inout ByteWriter) {
        w.write(id); w.writeVarint(height); w.writeCount(index); w.writeVarint(requestedTime); w.write(requester)
        w.writeString(serviceCode); w.writeString(description); w.writeString(location); w.writeVarint(deadline)
        w.writeString(status.rawValue); w.writeOptionalString(resolution?.rawValue); w.writeOptional(provider)
        w.writeCount(assignmentCount); w.writeOptional(firstResponseTime); w.writeOptional(resolvedTime)
        w.writeOptional(closedTime); w.writeOptionalVarint(rating); w.writeCount(reopenCount)
    }
}

/// One assignment of a request to a provider: the provider's stint, which its
/// supervision figures are computed from.
public struct AssignmentEntry: StateEntry {
    public var request: Hash
    /// 1, 2, … per request.
    public var seq: Int
    public var provider: SubjectID
    /// The assignment's transaction ID.
    public var transaction: Hash
    public var assignedHeight: UInt64
    public var assignedTime: Timestamp
    public var note: String
    /// True for the request's current assignment.
    public var isActive: Bool
    /// When a later assignment ended it.
    public var endedTime: Timestamp?
    public var firstResponseTime: Timestamp?
    public var resolvedTime: Timestamp?
    public var resolution: ServiceResolution?
    /// The requester's rating at closure, if it closed during this stint.
    public var rating: UInt8?

    public init(request: Hash, seq: Int, provider: SubjectID, transaction: Hash, assignedHeight: UInt64,
                assignedTime: Timestamp, note: String, isActive: Bool, endedTime: Timestamp?,
                firstResponseTime: Timestamp?, resolvedTime: Timestamp?, resolution: ServiceResolution?, rating: UInt8?) {
        self.request = request
        self.seq = seq
        self.provider = provider
        self.transaction = transaction
        self.assignedHeight = assignedHeight
        self.assignedTime = assignedTime
        self.note = note
        self.isActive = isActive
        self.endedTime = endedTime
        self.firstResponseTime = firstResponseTime
        self.resolvedTime = resolvedTime
        self.resolution = resolution
        self.rating = rating
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { (a.request, a.seq) < (b.request, b.seq) }

    public func encode(to w: inout ByteWriter) {
        w.write(request); w.writeCount(seq); w.write(provider); w.write(transaction); w.writeVarint(assignedHeight)
        w.writeVarint(assignedTime); w.writeString(note); w.writeBool(isActive); w.writeOptional(endedTime)
        w.writeOptional(firstResponseTime); w.writeOptional(resolvedTime); w.writeOptionalString(resolution?.rawValue)
        w.writeOptionalVarint(rating)
    }
}

/// One step of a request's timeline: the request, an assignment, a response or a closure.
public struct ServiceEventEntry: StateEntry {
    /// What kind of record the step was.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case request, assignment, response, closure
    }

    public var request: Hash
    public var height: UInt64
    public var index: Int
    public var transaction: Hash
    public var kind: Kind
    /// The signer's subject ID.
    public var actor: SubjectID
    /// The status it set, e.g. `assigned`, `resolved(fixed)` or `reopened`.
    public var status: String
    public var note: String
    /// The rating a closure carried (kept here even when reopening).
    public var rating: UInt8?

    public init(request: Hash, height: UInt64, index: Int, transaction: Hash, kind: Kind, actor: SubjectID,
                status: String, note: String, rating: UInt8?) {
        self.request = request
        self.height = height
        self.index = index
        self.transaction = transaction
        self.kind = kind
        self.actor = actor
        self.status = status
        self.note = note
        self.rating = rating
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool {
        (a.request, a.height, a.index) < (b.request, b.height, b.index)
    }

    public func encode(to w: inout ByteWriter) {
        w.write(request); w.writeVarint(height); w.writeCount(index); w.write(transaction); w.writeString(kind.rawValue)
        w.write(actor); w.writeString(status); w.writeString(note); w.writeOptionalVarint(rating)
    }
}

public import CivitasCodec
public import CivitasLedger

/// One attested volunteer record and the points it earned.
public struct VolunteerEntry: StateEntry {
    /// The transaction ID.
    public var id: Hash
    public var height: UInt64
    public var index: Int
    /// The attesting social organisation.
    public var organisation: SubjectID
    public var volunteer: SubjectID
    public var activity: String
    public var minutes: UInt32
    /// Days since 1970-01-01.
    public var day: UInt32
    /// ⌊minutes × pointsPerHour / 60⌋.
    public var points: UInt64

    public init(id: Hash, height: UInt64, index: Int, organisation: SubjectID, volunteer: SubjectID, activity: String,
                minutes: UInt32, day: UInt32, points: UInt64) {
        self.id = id
        self.height = height
        self.index = index
        self.organisation = organisation
        self.volunteer = volunteer
        self.activity = activity
        self.minutes = minutes
        self.day = day
        self.points = points
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.id < b.id }

    public func encode(to w: inout ByteWriter) {
        w.write(id); w.writeVarint(height); w.writeCount(index); w.write(organisation); w.write(volunteer)
        w.writeString(activity); w.writeVarint(minutes); w.writeVarint(day); w.writeVarint(points)
    }
}

/// A volunteer's accumulated hours and points.
public struct VolunteerTotals: StateEntry {
    public var volunteer: SubjectID
    public var records: UInt64
    public var minutes: UInt64
    /// Sum over records of ⌊minutes × pointsPerHour / 60⌋.
    public var points: UInt64

    public init(volunteer: SubjectID, records: UInt64, minutes: UInt64, points: UInt64) {
        self.volunteer = volunteer
        self.records = records
        self.minutes = minutes
        self.points = points
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.volunteer < b.volunteer }

    public func encode(to w: inout ByteWriter) {
        w.write(volunteer); w.writeVarint(records); w.writeVarint(minutes); w.writeVarint(points)
    }
}

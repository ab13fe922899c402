public import CivitasCodec
public import CivitasLedger

/// One version of a notice. A correction is a new version; the earlier one
/// only learns which version superseded it.
public struct NoticeEntry: StateEntry {
    /// The transaction ID.
    public var id: Hash
    public var height: UInt64
    public var index: Int
    /// Block time.
    public var time: Timestamp
    public var issuer: SubjectID
    public var category: Notice.Category
    public var title: String
    public var body: String
    /// The version this one corrects.
    public var supersedes: Hash?
    /// The version that corrects this one; nil for the current version.
    public var supersededBy: Hash?
    /// The first version of the correction chain.
    public var chainRoot: Hash
    /// 1 for the first version, 2 for its correction, …
    public var version: Int
    /// SHA-256 digests of off-chain documents, in order.
    public var attachments: [Hash]

    public init(id: Hash, height: UInt64, index: Int, time: Timestamp, issuer: SubjectID, category: Notice.Category,
                title: String, body: String, supersedes: Hash?, supersededBy: Hash?, chainRoot: Hash, version: Int,
                attachments: [Hash]) {
        self.id = id
        self.height = height
        self.index = index
        self.time = time
        self.issuer = issuer
        self.category = category
        self.title = title
        self.body = body
        self.supersedes = supersedes
        self.supersededBy = supersededBy
        self.chainRoot = chainRoot
        self.version = version
        self.attachments = attachments
    }

    /// True for the current version of its chain.
    public var isCurrent: Bool { supersededBy == nil }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.id < b.id }

    public func encode(to w: inout ByteWriter) {
        w.write(id); w.writeVarint(height); w.writeCount(index); w.writeVarint(time); w.write(issuer)
        w.writeByte(category.rawValue); w.writeString(title); w.writeString(body); w.writeOptional(supersedes)
        w.writeOptional(supersededBy); w.write(chainRoot); w.writeCount(version); w.writeList(attachments)
    }
}

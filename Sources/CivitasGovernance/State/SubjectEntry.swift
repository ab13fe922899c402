public import CivitasCodec
public import CivitasLedger

/// A registered subject, active or revoked.
public struct SubjectEntry: StateEntry {
    public var id: SubjectID
    public var publicKey: PublicKey
    public var displayName: String
    public var unit: String
    /// Empty once revoked.
    public var roles: RoleSet
    public var isActive: Bool
    /// 0 for subjects of the genesis document; kept when a revoked subject is registered again.
    public var registeredHeight: UInt64
    /// The height of the last registration record that changed it.
    public var updatedHeight: UInt64
    /// That record's transaction ID (nil for genesis subjects).
    public var lastTransaction: Hash?

    public init(id: SubjectID, publicKey: PublicKey, displayName: String, unit: String, roles: RoleSet, isActive: Bool,
                registeredHeight: UInt64, updatedHeight: UInt64, lastTransaction: Hash?) {
        self.id = id
        self.publicKey = publicKey
        self.displayName = displayName
        self.unit = unit
        self.roles = roles
        self.isActive = isActive
        self.registeredHeight = registeredHeight
        self.updatedHeight = updatedHeight
        self.lastTransaction = lastTransaction
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.id < b.id }

    public func encode(to w: inout ByteWriter) {
        w.write(id); w.write(publicKey); w.writeString(displayName); w.writeString(unit); w.write(roles); w.writeBool(isActive)
        w.writeVarint(registeredHeight); w.writeVarint(updatedHeight); w.writeOptional(lastTransaction)
    }
}

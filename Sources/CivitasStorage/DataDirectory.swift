/// The layout of a node's data directory (docs/storage.md):
///
///     DIR/
///       genesis.civ     the community's genesis document (canonical encoding)
///       wal/            Raft write-ahead log segments
///       blocks/         block store segments and their index
///       state.sqlite    the state database (SQLite; rebuilt from blocks if lost)
public struct DataDirectory: Sendable, Hashable {
    public let root: String

    public init(_ root: String) { self.root = root }

    public var genesis: String { joinPath(root, "genesis.civ") }
    public var wal: String { joinPath(root, "wal") }
    public var blocks: String { joinPath(root, "blocks") }
    public var stateDatabase: String { joinPath(root, "state.sqlite") }
}

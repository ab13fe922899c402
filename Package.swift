// swift-tools-version:6.0
// Civitas — a permissioned ledger network for community governance.
//
// The module map follows docs/architecture.md. Imports point one way only:
// the deterministic cores (Time, Codec, Ledger, Governance, Raft, Gossip, NodeCore) never import
// NIO, Foundation networking or the file system; the shells (Storage, Network,
// Simulation, the `civitas` tool) drive them.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Civitas",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "civitas", targets: ["civitas"]),
        .library(name: "CivitasTime", targets: ["CivitasTime"]),
        .library(name: "CivitasCodec", targets: ["CivitasCodec"]),
        .library(name: "CivitasLedger", targets: ["CivitasLedger"]),
        .library(name: "CivitasGovernance", targets: ["CivitasGovernance"]),
        .library(name: "CivitasRaft", targets: ["CivitasRaft"]),
        .library(name: "CivitasStorage", targets: ["CivitasStorage"]),
        .library(name: "CivitasSimulation", targets: ["CivitasSimulation"]),
        .library(name: "CivitasGossip", targets: ["CivitasGossip"]),
        .library(name: "CivitasIdentity", targets: ["CivitasIdentity"]),
        .library(name: "CivitasNetwork", targets: ["CivitasNetwork"]),
        .library(name: "CivitasGossipHarness", targets: ["CivitasGossipHarness"]),
        .library(name: "CivitasNodeCore", targets: ["CivitasNodeCore"]),
        .library(name: "CivitasNode", targets: ["CivitasNode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // libzstd from the system (Debian: libzstd-dev).
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        // Time types (`MonotonicTime`): no dependencies, no clock reads.
        .target(
            name: "CivitasTime",
            swiftSettings: strict
        ),
        // Canonical compact binary encoding and bounded zstd frames. No I/O.
        .target(
            name: "CivitasCodec",
            dependencies: ["CZstd"],
            swiftSettings: strict
        ),
        // Keys, transactions, blocks, certificates, checkpoints, Merkle proofs. No I/O.
        .target(
            name: "CivitasLedger",
            dependencies: [
                "CivitasCodec",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The governance transition: a transaction and a read view of the state in,
        // typed state changes (or a refusal with its reason) out; the in-memory
        // state, the state digest, supervision figures. Pure: no clock, no I/O.
        .target(
            name: "CivitasGovernance",
            dependencies: ["CivitasCodec", "CivitasLedger"],
            swiftSettings: strict
        ),
        // Raft ordering: a pure, deterministic core (no clock, no I/O).
        .target(
            name: "CivitasRaft",
            dependencies: ["CivitasCodec"],
            swiftSettings: strict
        ),
        // CRC-32C with the CPU's instruction (SSE4.2), detected at run time.
        .target(name: "CCRC32C"),
        // Durable storage (a shell): write-ahead log, block store, state database.
        // Runs on any `FileSystem` — the real disk or the simulator's.
        .target(
            name: "CivitasStorage",
            dependencies: [
                "CCRC32C",
                "CivitasCodec",
                "CivitasLedger",
                "CivitasGovernance",
                "CivitasRaft",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        // Membership (SWIM with Lifeguard), dissemination (Plumtree) and block
        // sync: pure, deterministic cores (no clock, no I/O, no global random).
        .target(
            name: "CivitasGossip",
            dependencies: ["CivitasTime", "CivitasCodec", "CivitasLedger"],
            swiftSettings: strict
        ),
        // Community CAs, node certificates (node ID, community, role), the
        // federation trust bundle and revocation lists (X.509 via swift-certificates).
        .target(
            name: "CivitasIdentity",
            dependencies: [
                "CivitasLedger",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict
        ),
        // The network shell: TLS 1.3 with mutual authentication over TCP,
        // length-prefixed frames, the hello, per-peer queues, reconnects.
        .target(
            name: "CivitasNetwork",
            dependencies: [
                "CivitasCodec",
                "CivitasLedger",
                "CivitasIdentity",
                "CivitasGossip",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
            ],
            swiftSettings: strict
        ),
        // The gossip cores on their own over real TLS links: a harness for the
        // network tests and benchmarks, not part of the node.
        .target(
            name: "CivitasGossipHarness",
            dependencies: ["CivitasTime", "CivitasGossip", "CivitasLedger", "CivitasNetwork"],
            swiftSettings: strict
        ),
        // The community node as a pure core (no clock, no I/O, no global random):
        // mempool, block production, certificate collection, Raft, the chain.
        .target(
            name: "CivitasNodeCore",
            dependencies: ["CivitasTime", "CivitasCodec", "CivitasLedger", "CivitasGovernance", "CivitasRaft", "CivitasGossip"],
            swiftSettings: strict
        ),
        // The node shell: runs the node core over storage and the network;
        // configuration (TOML), logging, lifecycle, the HTTP APIs and metrics.
        .target(
            name: "CivitasNode",
            dependencies: [
                "CivitasCodec", "CivitasLedger", "CivitasGovernance", "CivitasRaft", "CivitasNodeCore", "CivitasStorage",
                "CivitasIdentity", "CivitasGossip", "CivitasNetwork", "CivitasTime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The sample community (members, roles, units, validators' subjects, genesis
        // parameters), defined once for the demos, the pilot harness and the simulator.
        .target(
            name: "CivitasSample",
            dependencies: ["CivitasLedger"],
            swiftSettings: strict
        ),
        // The pilot harness: a community of real `civitas node run` processes on
        // loopback, set up through the CLI (`civitas demo` and the process tests).
        .target(
            name: "CivitasPilot",
            dependencies: ["CivitasLedger", "CivitasSample", "CivitasNode", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strict
        ),
        // The simulation shell: virtual clock, simulated links and disks, invariant checkers.
        .target(
            name: "CivitasSimulation",
            dependencies: ["CivitasTime", "CivitasRaft", "CivitasStorage", "CivitasGossip", "CivitasNodeCore", "CivitasLedger", "CivitasGovernance",
                           "CivitasSample", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strict
        ),
        // Live mode of the planners' simulator (`civitas sim city --live`): a
        // city plan as real nodes in one process over TLS on loopback, driven by
        // the simulator's workload and measured into its report.
        .target(
            name: "CivitasLive",
            dependencies: ["CivitasLedger", "CivitasNodeCore", "CivitasIdentity", "CivitasNode", "CivitasSimulation",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strict
        ),
        // The command-line tool (a shell: it may read files and clocks).
        .executableTarget(
            name: "civitas",
            dependencies: [
                "CivitasCodec",
                "CivitasLedger",
                "CivitasGovernance",
                "CivitasSimulation",
                "CivitasStorage",
                "CivitasIdentity",
                "CivitasNodeCore",
                "CivitasNode",
                "CivitasSample",
                "CivitasPilot",
                "CivitasLive",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Issue #17's benchmark: the city planners' district-40 (1,000 nodes,
        // one simulated hour) on the node simulation (`make bench-sim`).
        .executableTarget(
            name: "civitas-sim-bench",
            dependencies: ["CivitasSimulation"],
            swiftSettings: strict
        ),
        // The child process of the crash tests (Tests/CivitasStorageTests/CrashRecoveryTests.swift):
        // writes the WAL, block store and state database under load until it is killed.
        .executableTarget(
            name: "civitas-storage-stress",
            dependencies: ["CivitasCodec", "CivitasLedger", "CivitasStorage"],
            swiftSettings: strict
        ),
        // Helpers shared by the test suites (seeded generator, external tools).
        .target(
            name: "CivitasTestSupport",
            dependencies: ["CivitasCodec"],
            path: "Tests/CivitasTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "CivitasTimeTests",
            dependencies: ["CivitasTime"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CivitasCodecTests",
            dependencies: ["CivitasCodec", "CivitasTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CivitasLedgerTests",
            dependencies: ["CivitasLedger", "CivitasCodec", "CivitasTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CivitasGovernanceTests",
            dependencies: ["CivitasGovernance", "CivitasLedger", "CivitasCodec"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CivitasRaftTests",
            dependencies: ["CivitasRaft", "CivitasCodec"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CivitasSimulationTests",
            dependencies: ["CivitasSimulation", "CivitasRaft", "CivitasStorage", "CivitasNodeCore", "CivitasLedger", "CivitasTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CivitasStorageTests",
            dependencies: [
                "CivitasStorage", "CivitasLedger", "CivitasGovernance", "CivitasRaft", "CivitasCodec", "CivitasSimulation",
                "CivitasTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CivitasGossipTests",
            dependencies: ["CivitasGossip", "CivitasTime", "CivitasSimulation", "CivitasCodec", "CivitasLedger", "CivitasTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CivitasIdentityTests",
            dependencies: ["CivitasIdentity", "CivitasLedger", "CivitasTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CivitasNetworkTests",
            dependencies: [
                "CivitasNetwork", "CivitasGossipHarness", "CivitasIdentity", "CivitasGossip", "CivitasTime", "CivitasLedger", "CivitasCodec", "CivitasTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CivitasNodeCoreTests",
            dependencies: ["CivitasNodeCore", "CivitasLedger", "CivitasGovernance", "CivitasCodec", "CivitasRaft", "CivitasTime", "CivitasTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CivitasNodeTests",
            dependencies: [
                "CivitasNode", "CivitasNodeCore", "CivitasLedger", "CivitasGovernance", "CivitasCodec", "CivitasStorage",
                "CivitasIdentity", "CivitasTestSupport", "CivitasPilot", "CivitasSimulation", "CivitasLive",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CivitasSpecTests",
            dependencies: ["CivitasLedger", "CivitasCodec", "CivitasTestSupport"],
            swiftSettings: strict
        ),
    ]
)

// swift-tools-version:6.0
// Civitas benchmarks: a separate package so the library's own build and test
// runs never compile swift-protobuf. Run with `Benchmarks/run-codec.sh`.
import PackageDescription

let package = Package(
    name: "CivitasBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The library under test, by path; named so product references do not
        // depend on the name of the folder the repository is cloned into.
        .package(name: "Civitas", path: ".."),
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        // Already a dependency of the library; named here so the TLS benchmark
        // can measure bare NIOSSL beside the Civitas link.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // The ordering benchmark talks to etcd in its native protocol (gRPC
        // over HTTP/2), so the peer is not handicapped by its JSON gateway.
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
    ],
    targets: [
        .executableTarget(
            name: "CodecBenchmark",
            dependencies: [
                .product(name: "CivitasCodec", package: "Civitas"),
                .product(name: "CivitasLedger", package: "Civitas"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .executableTarget(
            name: "StorageBenchmark",
            dependencies: [
                .product(name: "CivitasCodec", package: "Civitas"),
                .product(name: "CivitasLedger", package: "Civitas"),
                .product(name: "CivitasRaft", package: "Civitas"),
                .product(name: "CivitasStorage", package: "Civitas"),
            ]
        ),
        .executableTarget(
            name: "TLSBenchmark",
            dependencies: [
                .product(name: "CivitasNetwork", package: "Civitas"),
                .product(name: "CivitasIdentity", package: "Civitas"),
                .product(name: "CivitasCodec", package: "Civitas"),
                .product(name: "CivitasLedger", package: "Civitas"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "GossipBenchmark",
            dependencies: [
                .product(name: "CivitasGossip", package: "Civitas"),
                .product(name: "CivitasSimulation", package: "Civitas"),
            ]
        ),
        .executableTarget(
            name: "RaftBenchmark",
            dependencies: [
                .product(name: "CivitasRaft", package: "Civitas"),
                .product(name: "CivitasSimulation", package: "Civitas"),
            ]
        ),
        .executableTarget(
            name: "NetworkBenchmark",
            dependencies: [
                .product(name: "CivitasGossip", package: "Civitas"),
                .product(name: "CivitasIdentity", package: "Civitas"),
                .product(name: "CivitasLedger", package: "Civitas"),
                .product(name: "CivitasNetwork", package: "Civitas"),
                .product(name: "CivitasGossipHarness", package: "Civitas"),
            ]
        ),
        .executableTarget(
            name: "OrderingLoad",
            dependencies: [
                .product(name: "CivitasCodec", package: "Civitas"),
                .product(name: "CivitasLedger", package: "Civitas"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

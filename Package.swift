// swift-tools-version:6.0
// Gust — multi-task GNN training for large heterogeneous graphs.
// Layers (docs/ARCHITECTURE.md): foundations (Tensor, Parquet, Proto) import no other project
// target; executables are thin and hold no logic that tests cannot reach.
import PackageDescription

let package = Package(
  name: "Gust",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "gust", targets: ["Launcher"]),
    .executable(name: "gust-server", targets: ["GraphServer"]),
    .executable(name: "gust-trainer", targets: ["Trainer"]),
    .executable(name: "gust-bench", targets: ["Bench"]),
    .library(name: "Tensor", targets: ["Tensor"]),
    .library(name: "Parquet", targets: ["Parquet"]),
    .library(name: "Proto", targets: ["Proto"]),
    .library(name: "Graph", targets: ["Graph"]),
    .library(name: "Net", targets: ["Net"]),
    .library(name: "Collective", targets: ["Collective"]),
    .library(name: "GraphService", targets: ["GraphService"]),
    .library(name: "GraphClient", targets: ["GraphClient"]),
    .library(name: "Config", targets: ["Config"]),
    .library(name: "Model", targets: ["Model"]),
    .library(name: "Construct", targets: ["Construct"]),
    .library(name: "Training", targets: ["Training"]),
    .library(name: "RemoteAccess", targets: ["RemoteAccess"]),
    .library(name: "Launch", targets: ["Launch"]),
    .library(name: "Outputs", targets: ["Outputs"]),
  ],
  dependencies: [
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
  ],
  targets: [
    // System libraries (Debian -dev packages; `make deps` installs them).
    .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                   providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "CSnappy", path: "Sources/CSnappy", providers: [.apt(["libsnappy-dev"])]),
    .systemLibrary(name: "CZstd", path: "Sources/CZstd", providers: [.apt(["libzstd-dev"])]),
    .systemLibrary(name: "CLZ4", path: "Sources/CLZ4", providers: [.apt(["liblz4-dev"])]),
    .systemLibrary(name: "CMetis", path: "Sources/CMetis", providers: [.apt(["libmetis-dev"])]),

    // Foundations.
    .target(name: "CKernels"),
    // prctl(2) for the launcher's children (variadic in C, so Swift cannot call it directly).
    .target(name: "CProcess"),
    // Atomics, futex(2) and POSIX shared memory for the Collective target's shared-memory links.
    .target(name: "CShm"),
    .target(name: "Rand"),
    .target(name: "Tensor", dependencies: ["Rand", "CBLAS", "CKernels"]),
    .target(name: "Parquet", dependencies: ["CZlib", "CSnappy", "CZstd", "CLZ4"]),
    .target(name: "Proto"),
    .target(name: "Graph", dependencies: ["CZlib"]),

    // Subsystems (import foundations only).
    .target(name: "Net", dependencies: ["Proto", "COpenSSL", "CKernels"]),
    // Graph client (trainers link it): routing, fan-out, merging, block sampling.
    .target(name: "GraphClient", dependencies: ["Graph", "Proto", "Net"]),
    .target(name: "Config", dependencies: [.product(name: "Yams", package: "Yams"), "COpenSSL"]),
    // Data-parallel collectives among trainer ranks (ring all-reduce over Net or shared-memory links).
    .target(name: "Collective", dependencies: ["Net", "Proto", "CShm"]),
    // Subsystems.
    .target(name: "Model", dependencies: ["Tensor"]),
    .target(name: "Synth", dependencies: ["Parquet", "Rand"]),
    // Services.
    .target(name: "Construct", dependencies: ["Graph", "Parquet", "CMetis"]),
    .target(name: "GraphService", dependencies: ["Graph", "Proto", "Net", "Rand", "Tensor"]),

    // Subsystem: embedding and prediction files (Parquet/CSV chunks, raw ids, info JSON, remap).
    .target(name: "Outputs", dependencies: ["Parquet", "Graph"]),

    // Services: the training loop (graph access over the network is injected; ranks join
    // through Collective's ring).
    .target(name: "Training", dependencies: ["Model", "Config", "Graph", "Tensor", "Outputs", "Collective", "Net"]),
    // The adapter: Training's GraphAccess over a GraphClient talking to gust-server processes.
    .target(name: "RemoteAccess", dependencies: ["Training", "GraphClient", "Graph", "Net", "Rand", "Tensor"]),

    // Services: the launcher's job planning and process supervision (no numeric code).
    .target(name: "Launch", dependencies: ["Config", "Graph", "Net", "Collective", "CProcess"]),

    // Executables (thin).
    .executableTarget(name: "Launcher", dependencies: ["Construct", "Synth", "Launch", "Outputs"], path: "Sources/Launcher"),
    .executableTarget(name: "GraphServer", dependencies: ["GraphService"], path: "Sources/GraphServer"),
    .executableTarget(name: "Trainer", dependencies: ["Training", "RemoteAccess"], path: "Sources/Trainer"),
    .executableTarget(name: "Bench", dependencies: ["Tensor", "CBLAS", "Graph", "Net", "Proto", "GraphClient", "Parquet", "Collective"],
                     path: "Sources/Bench"),

    // Tests (and what they share).
    .target(name: "TestSupport", dependencies: ["Graph", "Rand", "Net"]),
    .testTarget(name: "TensorTests", dependencies: ["Tensor", "CBLAS"]),
    .testTarget(name: "ParquetTests", dependencies: ["Parquet", "TestSupport"], exclude: ["Fixtures"]),
    .testTarget(name: "GraphTests", dependencies: ["Graph"]),
    .testTarget(name: "ProtoTests", dependencies: ["Proto"]),
    .testTarget(name: "NetTests", dependencies: ["Net", "Proto"]),
    .testTarget(name: "CollectiveTests", dependencies: ["Collective", "Net"]),
    .testTarget(name: "GraphServiceTests",
                dependencies: ["TestSupport", "GraphService", "GraphClient", "Graph", "Net", "Proto", "Tensor"]),
    .testTarget(name: "ConfigTests", dependencies: ["Config"]),
    .testTarget(name: "ModelTests", dependencies: ["Model", "Tensor"]),
    .testTarget(name: "SynthTests", dependencies: ["Synth", "Parquet", "Config"]),
    .testTarget(name: "ConstructTests", dependencies: ["Construct", "Graph", "Parquet", "TestSupport"]),
    .testTarget(name: "LaunchTests", dependencies: ["Launch", "Config", "Graph", "Collective", "Net", "TestSupport"]),
    .testTarget(name: "TrainingTests", dependencies: ["TestSupport", "Training", "Collective", "Net", "Model", "Config", "Graph", "Tensor"]),
    .testTarget(name: "OutputsTests", dependencies: ["TestSupport", "Outputs", "Training", "Parquet", "Graph", "Config", "Collective"]),
    .testTarget(name: "RemoteAccessTests",
                dependencies: ["TestSupport", "RemoteAccess", "Training", "GraphClient", "GraphService", "Graph", "Net", "Config", "Rand", "Tensor"]),
  ],
  swiftLanguageModes: [.v6]
)

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

    // Foundations.
    .target(name: "CKernels"),
    .target(name: "Tensor", dependencies: ["CBLAS", "CKernels"]),
    .target(name: "Parquet", dependencies: ["CZlib", "CSnappy", "CZstd", "CLZ4"]),
    .target(name: "Proto"),
    .target(name: "Graph", dependencies: ["CZlib"]),

    // Executables (thin).
    .executableTarget(name: "Launcher", path: "Sources/Launcher"),
    .executableTarget(name: "GraphServer", path: "Sources/GraphServer"),
    .executableTarget(name: "Trainer", path: "Sources/Trainer"),
    .executableTarget(name: "Bench", dependencies: ["Tensor", "CBLAS", "Parquet"], path: "Sources/Bench"),

    // Tests.
    .testTarget(name: "TensorTests", dependencies: ["Tensor", "CBLAS"]),
    .testTarget(name: "ParquetTests", dependencies: ["Parquet"], exclude: ["Fixtures"]),
    .testTarget(name: "GraphTests", dependencies: ["Graph"]),
  ],
  swiftLanguageModes: [.v6]
)

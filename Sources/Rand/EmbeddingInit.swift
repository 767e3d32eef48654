/// The one initialisation rule of learnable node embeddings, shared by the trainer's in-process
/// tables (`Training.LocalGraphAccess`) and the graph servers (`GraphService`), so a `--local`
/// run and a run through `gust-server` processes start from the same rows.
///
/// Row of node `globalID` of node type id `ntype`: U(−1, 1) per element — DGL's and
/// GraphStorm's `init_emb` for sparse node embeddings (`nn.init.uniform_(emb, -1.0, 1.0)`),
/// not `nn.Embedding`'s N(0, 1) — drawn from a stream derived from (job seed, node type id,
/// global node id). A row therefore depends neither on which process builds it, nor on the
/// number of partitions, nor on the order rows are built in.
public enum EmbeddingInit {
  /// The stream of one row.
  @inline(__always)
  public static func rowSeed(jobSeed: UInt64, ntype: Int, globalID: Int64) -> UInt64 {
    deriveSeed(base: jobSeed, task: ntype, step: Int(globalID), salt: 0x656D_6265_6464_696E)  // "embeddin"
  }

  /// Writes the initial row of (`ntype`, `globalID`) to `out[0..<dim]`.
  @inline(__always)
  public static func row(jobSeed: UInt64, ntype: Int, globalID: Int64, dim: Int, into out: UnsafeMutablePointer<Float>) {
    var g = Generator(seed: rowSeed(jobSeed: jobSeed, ntype: ntype, globalID: globalID))
    for j in 0..<dim { out[j] = -1 + g.nextFloat() * 2 }
  }

  /// Fills `out` (`count × dim`, row-major) with the rows of global ids `first ..< first + count`.
  public static func rows(jobSeed: UInt64, ntype: Int, first: Int64, count: Int, dim: Int,
                          into out: UnsafeMutablePointer<Float>) {
    for r in 0..<count {
      row(jobSeed: jobSeed, ntype: ntype, globalID: first + Int64(r), dim: dim, into: out + r * dim)
    }
  }

  /// The initial row of one node (tests and checks).
  public static func row(jobSeed: UInt64, ntype: Int, globalID: Int64, dim: Int) -> [Float] {
    var v = [Float](repeating: 0, count: dim)
    v.withUnsafeMutableBufferPointer { row(jobSeed: jobSeed, ntype: ntype, globalID: globalID, dim: dim, into: $0.baseAddress!) }
    return v
  }
}

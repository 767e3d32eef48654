/// Kernels: plain forward/backward function pairs over buffers (karpathy/llm.c's shape).
///
/// Conventions, the same in every file of this folder:
/// - Buffers are row-major; shapes are in each function's comment, `[rows × cols]`.
/// - Forward functions overwrite their output. Backward functions ACCUMULATE (`+=`) into the
///   gradients of their inputs, so a value used twice simply receives both contributions.
/// - Kernels never allocate, log or fail on input: shapes are checked by the callers (the tape
///   and public boundaries) and by `precondition` only for programmer errors.
/// - Large loops split row ranges with `parallelFor`; scatters (backward of a gather) split
///   column ranges instead, so workers never write the same element.
public enum Kernels {
  public typealias In = UnsafePointer<Float>
  public typealias Out = UnsafeMutablePointer<Float>
}

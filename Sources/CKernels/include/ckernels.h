// Tiny C helpers for Swift kernels: what Swift cannot spell (software prefetch, CPU features).
#ifndef GUST_CKERNELS_H
#define GUST_CKERNELS_H

#include <stdint.h>

/// Hints the CPU to bring the cache line at `p` towards L1 for reading.
static inline void gust_prefetch_read(const void *p) { __builtin_prefetch(p, 0, 3); }
/// Hints the CPU to bring the cache line at `p` towards L1 for writing.
static inline void gust_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }
/// Hints the CPU to bring the cache line at `p` into L2 (not L1) for reading: the far stage of a
/// two-stage prefetch, so more random rows are in flight than L1's miss buffers allow.
static inline void gust_prefetch_read_l2(const void *p) { __builtin_prefetch(p, 0, 2); }
/// The same for a line that will be written.
static inline void gust_prefetch_write_l2(const void *p) { __builtin_prefetch(p, 1, 2); }

/// When the process's OpenBLAS is a DYNAMIC_ARCH build that did not recognise this CPU (it
/// then falls back to its SSE3 "Prescott" kernels, ~5× slower than AVX2/AVX-512 ones) and
/// `OPENBLAS_CORETYPE` is unset, re-initialises it with the best kernel family the CPU supports
/// (SkylakeX, Haswell, Sandybridge) and returns the new core name; NULL when nothing changed.
/// Call before the first BLAS call.
const char *gust_openblas_select_core(void);

/// 1 when this CPU runs the AVX2 builds of the segment kernels below (x86-64 with AVX2), else 0.
int gust_segment_avx2_available(void);

/// Segment sum/mean forward for destinations `d0 ..< d1` (see `Kernels.segmentReduceForward`),
/// AVX2 build: `out[d * ldo + c] = scale(d) · Σ_e inp[indices[e] * dim + c]`. Only call when
/// `gust_segment_avx2_available()`; the bits equal the portable Swift loops'.
void gust_segment_forward_avx2(float *out, long ldo, const float *inp, const int32_t *offsets,
                               const int32_t *indices, long d0, long d1, long dim, int mean,
                               long prefetchDistance);

/// Segment sum/mean backward over columns `c0 ..< c1` (see `Kernels.segmentReduceBackward`),
/// AVX2 build: `dInp[indices[e] * dim + c] += w(d) · dOut[d * ldg + c]` in edge order.
void gust_segment_backward_avx2(float *dInp, const float *dOut, long ldg, const int32_t *offsets,
                                const int32_t *indices, long numDst, long c0, long c1, long dim,
                                int mean, long prefetchDistance);

/// This thread's "inside a parallel region" flag (`Threads.insideParallel`): thread-local, so a
/// background sampling thread's parallel regions never change how the main thread's kernels split.
int gust_inside_parallel(void);
void gust_set_inside_parallel(int value);
/// Names the calling thread (Linux: up to 15 bytes, shown in /proc/self/task/*/comm).
void gust_name_this_thread(const char *name);

#endif

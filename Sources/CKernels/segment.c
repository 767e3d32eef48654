// Segment sum/mean over a destination-sorted CSR, forward and backward, compiled for AVX2 and
// chosen at run time (see ckernels.h). Swift cannot compile one function for a wider vector
// ISA than the rest of its module; these are the same loops as `Kernels.reduceRowPanels` and
// `Kernels.scatterRowPanels` in Sources/Tensor/Kernels/Sparse.swift, with the same floating-point
// operations in the same order (no contraction into FMA), so both paths give identical bits.
#include "ckernels.h"
#include <string.h>

#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__clang__)
#define GUST_AVX2 __attribute__((target("avx2")))
typedef float v8 __attribute__((vector_size(32), aligned(4)));

GUST_AVX2 static inline v8 ld(const float *p) { v8 v; memcpy(&v, p, sizeof v); return v; }
GUST_AVX2 static inline void st(float *p, v8 v) { memcpy(p, &v, sizeof v); }
GUST_AVX2 static inline v8 splat(float s) { v8 v = {s, s, s, s, s, s, s, s}; return v; }

/// Prefetches `n` floats of row `i` of `base` (rows `dim` floats apart) into L1.
static inline void prefetch_row(const float *base, int32_t i, long dim, long n) {
  const char *r = (const char *)(base + (long)i * dim);
  for (long off = 0; off < n * 4; off += 64) __builtin_prefetch(r + off, 0, 3);
}

/// `out[0..<8k] = scale · Σ_e inp[indices[e], c..<c+8k]` for k = 8, 4 or 2 register vectors.
#define SUM_PANEL(K)                                                                            \
  GUST_AVX2 static void sum_panel_##K(float *out, const float *inp, const int32_t *indices,      \
                                      long e0, long e1, long dim, long c, float scale,           \
                                      int prefetch, long end, long pfd) {                        \
    v8 a[K];                                                                                    \
    for (int k = 0; k < K; k++) a[k] = splat(0);                                                \
    for (long e = e0; e < e1; e++) {                                                            \
      if (prefetch && e + pfd < end) prefetch_row(inp, indices[e + pfd], dim, dim);             \
      const float *p = inp + (long)indices[e] * dim + c;                                        \
      for (int k = 0; k < K; k++) a[k] += ld(p + 8 * k);                                        \
    }                                                                                           \
    v8 s = splat(scale);                                                                        \
    for (int k = 0; k < K; k++) st(out + c + 8 * k, a[k] * s);                                  \
  }
SUM_PANEL(8)
SUM_PANEL(4)
SUM_PANEL(2)

GUST_AVX2 static void segment_forward_avx2(float *out, long ldo, const float *inp,
                                           const int32_t *offsets, const int32_t *indices,
                                           long d0, long d1, long dim, int mean, long pfd) {
  long total = offsets[d1];  // prefetch no further than this chunk's last edge
  for (long d = d0; d < d1; d++) {
    long e0 = offsets[d], e1 = offsets[d + 1];
    float scale = mean && e1 > e0 ? 1.0f / (float)(e1 - e0) : 1.0f;
    float *row = out + d * ldo;
    long c = 0;
    int first = 1;
    for (; c + 64 <= dim; c += 64, first = 0) sum_panel_8(row, inp, indices, e0, e1, dim, c, scale, first, total, pfd);
    if (c + 32 <= dim) { sum_panel_4(row, inp, indices, e0, e1, dim, c, scale, first, total, pfd); first = 0; c += 32; }
    if (c + 16 <= dim) { sum_panel_2(row, inp, indices, e0, e1, dim, c, scale, first, total, pfd); c += 16; }
    for (; c < dim; c++) {
      float a = 0;
      for (long e = e0; e < e1; e++) a += inp[(long)indices[e] * dim + c];
      row[c] = a * scale;
    }
  }
}

/// `inp[indices[e], c..<c+8k] += scale · g[c..<c+8k]` for every edge of the segment.
#define SCATTER_PANEL(K)                                                                        \
  GUST_AVX2 static void scatter_panel_##K(float *inp, const float *g, const int32_t *indices,   \
                                          long e0, long e1, long dim, long c, float scale,       \
                                          int prefetch, long end, long pfd, long span) {         \
    v8 s = splat(scale), gv[K];                                                                 \
    for (int k = 0; k < K; k++) gv[k] = s * ld(g + c + 8 * k);                                  \
    for (long e = e0; e < e1; e++) {                                                            \
      if (prefetch && e + pfd < end) prefetch_row(inp, indices[e + pfd], dim, span);            \
      float *p = inp + (long)indices[e] * dim + c;                                              \
      for (int k = 0; k < K; k++) st(p + 8 * k, ld(p + 8 * k) + gv[k]);                         \
    }                                                                                           \
  }
SCATTER_PANEL(8)
SCATTER_PANEL(4)
SCATTER_PANEL(2)

GUST_AVX2 static void segment_backward_avx2(float *dInp, const float *dOut, long ldg,
                                            const int32_t *offsets, const int32_t *indices,
                                            long numDst, long c0, long c1, long dim, int mean,
                                            long pfd) {
  long total = numDst > 0 ? offsets[numDst] : 0;
  long n = c1 - c0;
  float *base = dInp + c0;
  for (long d = 0; d < numDst; d++) {
    long e0 = offsets[d], e1 = offsets[d + 1];
    if (e0 == e1) continue;
    float w = mean ? 1.0f / (float)(e1 - e0) : 1.0f;
    const float *g = dOut + d * ldg + c0;
    long c = 0;
    int first = 1;
    for (; c + 64 <= n; c += 64, first = 0) scatter_panel_8(base, g, indices, e0, e1, dim, c, w, first, total, pfd, n);
    if (c + 32 <= n) { scatter_panel_4(base, g, indices, e0, e1, dim, c, w, first, total, pfd, n); first = 0; c += 32; }
    if (c + 16 <= n) { scatter_panel_2(base, g, indices, e0, e1, dim, c, w, first, total, pfd, n); c += 16; }
    for (; c < n; c++) {
      float v = w * g[c];
      for (long e = e0; e < e1; e++) base[(long)indices[e] * dim + c] += v;
    }
  }
}
#endif

int gust_segment_avx2_available(void) {
#if defined(__x86_64__) && defined(__clang__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
  return 0;
#endif
}

void gust_segment_forward_avx2(float *out, long ldo, const float *inp, const int32_t *offsets,
                               const int32_t *indices, long d0, long d1, long dim, int mean,
                               long prefetchDistance) {
#if defined(__x86_64__) && defined(__clang__)
  segment_forward_avx2(out, ldo, inp, offsets, indices, d0, d1, dim, mean, prefetchDistance);
#else
  (void)out; (void)ldo; (void)inp; (void)offsets; (void)indices; (void)d0; (void)d1; (void)dim;
  (void)mean; (void)prefetchDistance;
  __builtin_trap();  // callers check gust_segment_avx2_available() first
#endif
}

void gust_segment_backward_avx2(float *dInp, const float *dOut, long ldg, const int32_t *offsets,
                                const int32_t *indices, long numDst, long c0, long c1, long dim,
                                int mean, long prefetchDistance) {
#if defined(__x86_64__) && defined(__clang__)
  segment_backward_avx2(dInp, dOut, ldg, offsets, indices, numDst, c0, c1, dim, mean, prefetchDistance);
#else
  (void)dInp; (void)dOut; (void)ldg; (void)offsets; (void)indices; (void)numDst; (void)c0; (void)c1;
  (void)dim; (void)mean; (void)prefetchDistance;
  __builtin_trap();
#endif
}

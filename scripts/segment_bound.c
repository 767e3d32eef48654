// The memory bound of gust-bench's segment-mean row on this machine (`make segment-bound`).
//
// The same shape as `segment_mean_1M_d64_1thread` (1M edges, 10 per destination, 100k
// destinations, sources drawn from 200k graph nodes and numbered as the sampler numbers them:
// the destinations first, then new sources in order of first appearance), over 2 MiB-aligned
// buffers advised for huge pages. Interleaved, 30 times each, medians printed:
//   kernel  — segment mean forward then backward, the loops of Sources/CKernels/segment.c for
//             d = 64 (8 AVX2 accumulators, rows prefetched 12 edges ahead);
//   traffic — the same random rows and nothing else: one float of each cache line of every
//             edge's x row read, then one float of each line of its dx row incremented, with
//             the same prefetch; no y, no dy, no arithmetic to speak of.
// A kernel close to `traffic` is bound by how many random 256-byte rows a core can fetch.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

enum { E = 1000000, DIM = 64, AHEAD = 12, REPS = 30 };
typedef float v8 __attribute__((vector_size(32), aligned(4)));

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
static float *huge_floats(size_t n) {
  size_t bytes = (n * 4 + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
  float *p = aligned_alloc(2u << 20, bytes);
  if (!p) { perror("aligned_alloc"); exit(1); }
  madvise(p, bytes, MADV_HUGEPAGE);
  memset(p, 0, bytes);
  return p;
}
static uint64_t rng = 2;
static uint64_t next(void) {  // SplitMix64
  uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static inline v8 load(const float *p) { v8 v; memcpy(&v, p, sizeof v); return v; }
static inline void store(float *p, v8 v) { memcpy(p, &v, sizeof v); }
static inline void prefetch_row(const float *row) {
  for (int k = 0; k < DIM; k += 16) __builtin_prefetch(row + k, 0, 3);
}

static int nd;
static int32_t *off, *idx;
static float *x, *dx, *y, *dy;
static volatile float sink;

static void kernel(void) {
  for (int d = 0; d < nd; d++) {  // forward: y[d] = mean of x[src]
    int e0 = off[d], e1 = off[d + 1];
    v8 a[8] = {0};
    for (int e = e0; e < e1; e++) {
      if (e + AHEAD < E) prefetch_row(x + (size_t)idx[e + AHEAD] * DIM);
      const float *p = x + (size_t)idx[e] * DIM;
      for (int k = 0; k < 8; k++) a[k] += load(p + 8 * k);
    }
    float s = e1 > e0 ? 1.0f / (float)(e1 - e0) : 1.0f;
    for (int k = 0; k < 8; k++) store(y + (size_t)d * DIM + 8 * k, a[k] * s);
  }
  for (int d = 0; d < nd; d++) {  // backward: dx[src] += dy[d] / deg(d)
    int e0 = off[d], e1 = off[d + 1];
    if (e0 == e1) continue;
    float w = 1.0f / (float)(e1 - e0);
    v8 g[8];
    for (int k = 0; k < 8; k++) g[k] = w * load(dy + (size_t)d * DIM + 8 * k);
    for (int e = e0; e < e1; e++) {
      if (e + AHEAD < E) prefetch_row(dx + (size_t)idx[e + AHEAD] * DIM);
      float *p = dx + (size_t)idx[e] * DIM;
      for (int k = 0; k < 8; k++) store(p + 8 * k, load(p + 8 * k) + g[k]);
    }
  }
}

static void traffic(void) {
  float a = 0;
  for (int e = 0; e < E; e++) {
    if (e + AHEAD < E) prefetch_row(x + (size_t)idx[e + AHEAD] * DIM);
    const float *p = x + (size_t)idx[e] * DIM;
    a += p[0] + p[16] + p[32] + p[48];
  }
  sink = a;
  for (int e = 0; e < E; e++) {
    if (e + AHEAD < E) prefetch_row(dx + (size_t)idx[e + AHEAD] * DIM);
    float *p = dx + (size_t)idx[e] * DIM;
    p[0] += 1; p[16] += 1; p[32] += 1; p[48] += 1;
  }
}

static int by_value(const void *a, const void *b) {
  double u = *(const double *)a, v = *(const double *)b;
  return u < v ? -1 : u > v;
}

int main(void) {
  nd = E / 10;
  int nodes = E / 5, ns = 0;
  int32_t *local = malloc(sizeof(int32_t) * nodes);
  off = malloc(sizeof(int32_t) * (nd + 1));
  idx = malloc(sizeof(int32_t) * E);
  if (!local || !off || !idx) { perror("malloc"); return 1; }
  for (int i = 0; i < nodes; i++) local[i] = i < nd ? ns++ : -1;
  for (int e = 0; e < E; e++) {
    int v = (int)(next() % (uint64_t)nodes);
    if (local[v] < 0) local[v] = ns++;
    idx[e] = local[v];
  }
  for (int d = 0; d <= nd; d++) off[d] = d * 10;
  x = huge_floats((size_t)ns * DIM); dx = huge_floats((size_t)ns * DIM);
  y = huge_floats((size_t)nd * DIM); dy = huge_floats((size_t)nd * DIM);
  for (size_t i = 0; i < (size_t)ns * DIM; i++) x[i] = (float)(next() % 1000) / 500.0f - 1;
  for (size_t i = 0; i < (size_t)nd * DIM; i++) dy[i] = (float)(next() % 1000) / 500.0f - 1;
  double tk[REPS], tt[REPS];
  for (int r = -2; r < REPS; r++) {  // 2 warm-up rounds
    double t0 = now();
    kernel();
    double t1 = now();
    traffic();
    double t2 = now();
    if (r >= 0) { tk[r] = t1 - t0; tt[r] = t2 - t1; }
  }
  qsort(tk, REPS, sizeof(double), by_value);
  qsort(tt, REPS, sizeof(double), by_value);
  double k = E / tk[REPS / 2] / 1e6, t = E / tt[REPS / 2] / 1e6;
  printf("segment mean fwd+bwd, %d dst, %d src, d%d, 1 thread (medians of %d, interleaved):\n", nd, ns, DIM, REPS);
  printf("  kernel   %6.2f M edges/s\n  traffic  %6.2f M edges/s  (the same random rows alone)\n  kernel / traffic  %.2f\n",
         k, t, k / t);
  return 0;
}

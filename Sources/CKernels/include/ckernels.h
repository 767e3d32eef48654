// Tiny C helpers for Swift kernels: what Swift cannot spell (software prefetch).
#ifndef GUST_CKERNELS_H
#define GUST_CKERNELS_H

/// Hints the CPU to bring the cache line at `p` towards L1 for reading.
static inline void gust_prefetch_read(const void *p) { __builtin_prefetch(p, 0, 3); }
/// Hints the CPU to bring the cache line at `p` towards L1 for writing.
static inline void gust_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }

#endif

// Shared-memory ring links of the Collective target: what Swift cannot spell on memory shared
// between processes — C11 atomics at raw addresses, futex(2), POSIX shared-memory objects.
#ifndef GUST_CSHM_H
#define GUST_CSHM_H

#include <stddef.h>
#include <stdint.h>

/// Load-acquire / store-release of a 64-bit ring cursor (8-byte aligned).
uint64_t gust_load_acquire_u64(const void *p);
void gust_store_release_u64(void *p, uint64_t v);
/// Sequentially consistent 32-bit load, store and fetch-add (doorbells and flags).
uint32_t gust_load_u32(const void *p);
void gust_store_u32(void *p, uint32_t v);
uint32_t gust_fetch_add_u32(void *p, uint32_t v);
/// Sequentially consistent compare-and-swap: 1 when `*p` was `expected` and is now `desired`.
int gust_cas_u32(void *p, uint32_t expected, uint32_t desired);
/// A full (sequentially consistent) fence.
void gust_fence(void);
/// A spin-wait hint (x86 `pause`).
void gust_cpu_relax(void);

/// futex(FUTEX_WAIT) on a word in a shared mapping (not FUTEX_PRIVATE): sleeps while `*word ==
/// expected`, at most `timeout_ns`. Returns 0 when woken (or spuriously), else the errno
/// (EAGAIN: the word had changed; ETIMEDOUT; EINTR; ENOSYS off Linux).
int gust_futex_wait(void *word, uint32_t expected, int64_t timeout_ns);
/// futex(FUTEX_WAKE): wakes up to `count` waiters; returns how many, or -errno.
int gust_futex_wake(void *word, int count);

/// shm_open(name, O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC, 0600), flock(LOCK_EX) on it, then
/// ftruncate(size): a new object only this user can open. Returns the fd, or -errno (the object
/// is unlinked again on failure). The lock lives as long as the fd (the creator's process):
/// keep the fd open while the name is linked, so that `gust_shm_lock_free` tells a live
/// creator's object from one whose creator died.
int gust_shm_create(const char *name, size_t size);
/// 1 when nobody holds `name`'s creator lock (flock can be taken: the fd that created it is
/// closed, its process gone), 0 when someone does, -errno when it cannot be opened.
int gust_shm_lock_free(const char *name);
/// shm_open(name, O_RDWR|O_CLOEXEC). Returns the fd, or -errno.
int gust_shm_open(const char *name);
/// shm_unlink(name): 0 or -errno.
int gust_shm_unlink(const char *name);

#endif

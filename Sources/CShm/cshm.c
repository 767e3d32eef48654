#define _GNU_SOURCE
#include "cshm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

uint64_t gust_load_acquire_u64(const void *p) {
  return atomic_load_explicit((const _Atomic uint64_t *)p, memory_order_acquire);
}
void gust_store_release_u64(void *p, uint64_t v) {
  atomic_store_explicit((_Atomic uint64_t *)p, v, memory_order_release);
}
uint32_t gust_load_u32(const void *p) { return atomic_load((const _Atomic uint32_t *)p); }
void gust_store_u32(void *p, uint32_t v) { atomic_store((_Atomic uint32_t *)p, v); }
uint32_t gust_fetch_add_u32(void *p, uint32_t v) { return atomic_fetch_add((_Atomic uint32_t *)p, v); }
int gust_cas_u32(void *p, uint32_t expected, uint32_t desired) {
  return atomic_compare_exchange_strong((_Atomic uint32_t *)p, &expected, desired) ? 1 : 0;
}
void gust_fence(void) { atomic_thread_fence(memory_order_seq_cst); }

void gust_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

#if defined(__linux__)
int gust_futex_wait(void *word, uint32_t expected, int64_t timeout_ns) {
  struct timespec ts;
  if (timeout_ns < 0) timeout_ns = 0;
  ts.tv_sec = (time_t)(timeout_ns / 1000000000);
  ts.tv_nsec = (long)(timeout_ns % 1000000000);
  long r = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, expected, &ts, NULL, 0);
  return r == 0 ? 0 : errno;
}
int gust_futex_wake(void *word, int count) {
  long r = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, count, NULL, NULL, 0);
  return r >= 0 ? (int)r : -errno;
}
#else
int gust_futex_wait(void *word, uint32_t expected, int64_t timeout_ns) {
  (void)word; (void)expected; (void)timeout_ns;
  return ENOSYS;
}
int gust_futex_wake(void *word, int count) { (void)word; (void)count; return -ENOSYS; }
#endif

int gust_shm_create(const char *name, size_t size) {
  int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return -errno;
  // Blocking: only a cleaner probing the lock (open, flock, close) can hold it meanwhile.
  int locked;
  while ((locked = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {}
  if (locked != 0 || ftruncate(fd, (off_t)size) != 0) {
    int e = errno;
    close(fd);
    shm_unlink(name);
    return -e;
  }
  return fd;
}

int gust_shm_open(const char *name) {
  int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
  return fd < 0 ? -errno : fd;
}

int gust_shm_unlink(const char *name) { return shm_unlink(name) == 0 ? 0 : -errno; }

int gust_shm_lock_free(const char *name) {
  int fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int r = flock(fd, LOCK_EX | LOCK_NB) == 0 ? 1 : (errno == EWOULDBLOCK ? 0 : -errno);
  close(fd);
  return r;
}

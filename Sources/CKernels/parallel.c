// Thread-local "inside a parallel region" flag of the numeric core (see ckernels.h).
#define _GNU_SOURCE
#include "ckernels.h"
#include <pthread.h>

static _Thread_local int inside_parallel = 0;

int gust_inside_parallel(void) { return inside_parallel; }
void gust_set_inside_parallel(int value) { inside_parallel = value; }

void gust_name_this_thread(const char *name) {
#if defined(__linux__)
  pthread_setname_np(pthread_self(), name);
#elif defined(__APPLE__)
  pthread_setname_np(name);
#endif
}

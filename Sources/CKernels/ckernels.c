// OpenBLAS kernel selection for CPUs newer than the installed OpenBLAS (see ckernels.h).
#define _GNU_SOURCE
#include "ckernels.h"
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *gust_openblas_select_core(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (getenv("OPENBLAS_CORETYPE") != NULL) return NULL;  // the user chose
  char *(*corename)(void) = (char *(*)(void))dlsym(RTLD_DEFAULT, "openblas_get_corename");
  void (*dyn_init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
  void (*dyn_quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
  if (corename == NULL || dyn_init == NULL || dyn_quit == NULL) return NULL;  // not DYNAMIC_ARCH
  const char *now = corename();
  // DYNAMIC_ARCH falls back to Prescott (SSE3) for CPU models it does not know.
  if (now == NULL || (strcasecmp(now, "prescott") != 0 && strcasecmp(now, "unknown") != 0)) return NULL;
  __builtin_cpu_init();
  const char *want = NULL;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      dlsym(RTLD_DEFAULT, "gotoblas_SKYLAKEX") != NULL) {
    want = "SkylakeX";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             dlsym(RTLD_DEFAULT, "gotoblas_HASWELL") != NULL) {
    want = "Haswell";
  } else if (__builtin_cpu_supports("avx") && dlsym(RTLD_DEFAULT, "gotoblas_SANDYBRIDGE") != NULL) {
    want = "Sandybridge";
  }
  if (want == NULL) return NULL;
  setenv("OPENBLAS_CORETYPE", want, 0);
  dyn_quit();
  dyn_init();
  return corename();
#else
  return NULL;
#endif
}

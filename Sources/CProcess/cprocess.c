#define _GNU_SOURCE
#include "cprocess.h"
#include <fcntl.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#include <signal.h>

int gust_set_parent_death_signal(int sig) { return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0); }
int gust_pipe_cloexec(int fds[2], int extra_flags) { return pipe2(fds, O_CLOEXEC | extra_flags); }
#else
int gust_set_parent_death_signal(int sig) { (void)sig; return 0; }
int gust_pipe_cloexec(int fds[2], int extra_flags) {
  if (pipe(fds) != 0) return -1;
  for (int i = 0; i < 2; i++) {
    fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    if (extra_flags) fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | extra_flags);
  }
  return 0;
}
#endif

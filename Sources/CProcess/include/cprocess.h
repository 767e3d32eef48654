#ifndef GUST_CPROCESS_H
#define GUST_CPROCESS_H

/// prctl(PR_SET_PDEATHSIG, sig) on Linux: the calling process gets `sig` when the thread that
/// created it exits. Returns 0, or -1 with errno set; 0 and nothing done on other systems.
int gust_set_parent_death_signal(int sig);

/// pipe2(fds, O_CLOEXEC | extra_flags) (glibc declares pipe2 only under _GNU_SOURCE).
int gust_pipe_cloexec(int fds[2], int extra_flags);

#endif

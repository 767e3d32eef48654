// OpenBLAS's CBLAS interface, including openblas_set_num_threads.
// Debian installs the header under /usr/include/<triple>/openblas-pthread/; pkg-config adds it.
#include <cblas.h>

#ifndef HR_MEMORY_SHIMS_H
#define HR_MEMORY_SHIMS_H

#include <malloc.h>

// glibc's malloc_trim(0), which Swift's Glibc module does not show: hands the free memory of every malloc arena back
// to the kernel (ProfileCollector, once per profile window).
static inline void hr_release_free_memory(void) { malloc_trim(0); }

#endif

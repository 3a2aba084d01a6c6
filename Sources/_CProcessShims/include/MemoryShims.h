#ifndef HR_MEMORY_SHIMS_H
#define HR_MEMORY_SHIMS_H

#include <malloc.h>

// glibc's malloc_trim(0), which Swift's Glibc module does not show: hands the free memory of every malloc arena back
// to the kernel (ProfileCollector, once per profile window).
static inline void hr_release_free_memory(void) { malloc_trim(0); }

// Bytes the program has allocated and not freed (glibc's mallinfo2: in arenas and in mmapped chunks), for tests
// that check a refusal or a forgotten process keeps nothing.
static inline size_t hr_heap_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

#endif

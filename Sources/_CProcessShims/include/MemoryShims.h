#ifndef HR_MEMORY_SHIMS_H
#define HR_MEMORY_SHIMS_H

#include <malloc.h>

// glibc's malloc_trim(0), which Swift's Glibc module does not show: hands the free memory of every malloc arena back
// to the kernel (ProfileCollector, once per profile window).
static inline void hr_release_free_memory(void) { malloc_trim(0); }

// glibc's mallopt(M_ARENA_MAX, 1): every thread allocates from the main arena. glibc gives threads that allocate at
// the same time arenas of their own (up to 8 per core), and hybrid-run's reader, collector and uploaders each left
// theirs fragmented at its busiest size, which malloc_trim cannot hand back: the peak of a 2,000-file build's profile
// went from 144.7 to 118.7 MiB with one arena (BENCHMARKS.md, "Memory of a build of thousands of processes"). Only
// arenas chosen after the call are bounded, so hybrid-run calls it first thing in main, before any thread starts.
// The command is not affected: it is another process, and its environment is left alone.
static inline void hr_use_one_malloc_arena(void) { mallopt(M_ARENA_MAX, 1); }

// Bytes the program has allocated and not freed (glibc's mallinfo2: in arenas and in mmapped chunks), for tests
// that check a refusal or a forgotten process keeps nothing.
static inline size_t hr_heap_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

#endif

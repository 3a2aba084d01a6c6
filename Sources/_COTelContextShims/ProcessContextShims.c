#define _GNU_SOURCE
#include "ProcessContextShims.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

// Newer than Debian 12's headers: Linux 6.3 (MFD_NOEXEC_SEAL) and 5.17 (PR_SET_VMA).
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

/// The OTEP's header, in host byte order.
struct process_context_header {
    char signature[8];
    uint32_t version;
    uint32_t payload_size;
    uint64_t monotonic_published_at_ns;
    uint64_t payload;
};
_Static_assert(sizeof(struct process_context_header) == 32, "OTEP 4719: a 32-byte header");
_Static_assert(offsetof(struct process_context_header, monotonic_published_at_ns) == 16, "OTEP 4719 header layout");

static atomic_flag published = ATOMIC_FLAG_INIT;

int hr_process_context_publish(const uint8_t *payload, uint32_t size) {
    if (size == 0) return EINVAL;
    if (atomic_flag_test_and_set(&published)) return EALREADY;
    long page = sysconf(_SC_PAGESIZE);
    size_t length = ((sizeof(struct process_context_header) + size + (size_t)page - 1) / (size_t)page) * (size_t)page;

    // Steps 2-4: a memfd (without MFD_NOEXEC_SEAL on kernels before 6.3), else an anonymous mapping.
    int fd = memfd_create("OTEL_CTX", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
    if (fd < 0) fd = memfd_create("OTEL_CTX", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    int has_memfd = fd >= 0;
    void *mapping;
    if (has_memfd) {
        if (ftruncate(fd, (off_t)length) != 0) {
            int error = errno;
            close(fd);
            atomic_flag_clear(&published);
            return error;
        }
        mapping = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        close(fd);
    } else {
        mapping = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    int error = 0;
    if (mapping == MAP_FAILED) {
        error = errno;
        atomic_flag_clear(&published);
        return error;
    }
    // Step 5: a forked child must not show its parent's context.
    if (madvise(mapping, length, MADV_DONTFORK) != 0) {
        error = errno;
        goto failed;
    }

    // Steps 6-9: the payload after the header, the header without its timestamp, a full barrier, the timestamp.
    struct process_context_header *header = mapping;
    memcpy(header + 1, payload, size);
    memcpy(header->signature, "OTEL_CTX", sizeof header->signature);
    header->version = 2;
    header->payload_size = size;
    header->payload = (uint64_t)(uintptr_t)(header + 1);
    atomic_thread_fence(memory_order_seq_cst);
    struct timespec now;
    if (clock_gettime(CLOCK_BOOTTIME, &now) != 0) {
        error = errno;
        goto failed;
    }
    uint64_t published_at = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
    // Zero means "being updated" to a reader; a clock that reads zero is nudged.
    atomic_store_explicit((_Atomic uint64_t *)&header->monotonic_published_at_ns, published_at ? published_at : 1,
                          memory_order_seq_cst);

    // Step 10, done unconditionally; without memfd the name is the only way readers find the mapping.
    int named = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)mapping, length, (unsigned long)"OTEL_CTX");
    if (!has_memfd && named != 0) {
        error = errno;
        goto failed;
    }
    return 0;

failed:
    munmap(mapping, length);
    atomic_flag_clear(&published);
    return error;
}

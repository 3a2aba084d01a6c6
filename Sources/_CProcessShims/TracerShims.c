#define _GNU_SOURCE
#include "TracerShims.h"

ssize_t hr_process_vm_readv(pid_t pid, const struct iovec *local, unsigned long local_count,
                            const struct iovec *remote, unsigned long remote_count) {
    return process_vm_readv(pid, local, local_count, remote, remote_count, 0);
}

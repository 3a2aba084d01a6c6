#ifndef HYBRID_RUN_TRACER_SHIMS_H
#define HYBRID_RUN_TRACER_SHIMS_H

// The PTRACE_* request, option and event constants, for the profiler's tracer thread.
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

/// `process_vm_readv`. Why C: glibc declares it only under `_GNU_SOURCE`, which Swift's Glibc module is not
/// built with. Returns what `process_vm_readv` returns; `errno` is left as it set it.
ssize_t hr_process_vm_readv(pid_t pid, const struct iovec *local, unsigned long local_count,
                            const struct iovec *remote, unsigned long remote_count);

#endif

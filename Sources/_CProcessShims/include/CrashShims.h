#ifndef HYBRID_RUN_CRASH_SHIMS_H
#define HYBRID_RUN_CRASH_SHIMS_H

#include <sys/types.h>

/// Catches the signals of a fatal bug in this process (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP), in
/// whichever thread, so that the child keeps running and this process still exits with its status.
///
/// The handler writes one line to stderr, `PROGRAM: internal error (SIGNAL at MODULE+0xADDRESS); …` (or `SIGNAL
/// sent by process PID` for a signal some process sent), blocks
/// every signal (pending ones stay pending across `exec`) and `execve`s `/proc/self/exe` with the argument
/// vector `PROGRAM REAP_ARGUMENT CHILD STATUS` (STATUS: the one recorded with `hr_crash_guard_record_status`,
/// or `-`). `exec` ends every other thread (a tracer thread's tracees are detached by the kernel as it exits,
/// perf event descriptors are close-on-exec) and keeps this process's pid, so the child is still its child.
/// If `execve` fails, the signal takes its default action, as without the handler.
///
/// Why C: a signal handler may only run async-signal-safe code; the argument vector and every buffer are
/// prepared here, before any crash, in static storage. (`sigaction` cannot fail for these signals.)
void hr_crash_guard_install(const char *program, const char *reap_argument, pid_t child);

/// The child's exit status (0–255, 128+N for signal N) once this process has reaped it, for the argument vector.
void hr_crash_guard_record_status(int status);

/// Gives the calling thread an alternate signal stack, so the handler runs even when the crash is the
/// thread's own stack overflowing. Each thread needs its own (`sigaltstack` is per thread).
/// Why C: it is the handler's own set-up. Without memory for it, the thread goes without.
void hr_crash_guard_prepare_thread(void);

#endif

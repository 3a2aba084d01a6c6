#ifndef HYBRID_RUN_PROCESS_SHIMS_H
#define HYBRID_RUN_PROCESS_SHIMS_H

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
// getxattr(2), for the file capabilities of the program to run: Swift's Glibc module leaves <sys/xattr.h> out.
#include <sys/xattr.h>
// getauxval(3), for where the kernel mapped this process's vDSO (AT_SYSINFO_EHDR): the Glibc module leaves <sys/auxv.h> out.
#include <sys/auxv.h>

/// Forks a child that blocks on a gate pipe and then calls `execvpe`.
///
/// Why C: between `fork` and `exec` a multi-threaded process may run only async-signal-safe code, and
/// Swift code may allocate or take runtime locks. The gate lets the parent attach (ptrace) or record the
/// child before it runs a single instruction of COMMAND.
///
/// The child sets `child_mask` as its signal mask, resets each of `default_signals` to its default action
/// (undoing any `SIG_IGN` a library set in this process, which `exec` would otherwise pass on), closes every
/// descriptor from 3 up except `kept_fds` (ascending: those this process inherited, so the child inherits
/// exactly them and none that libraries here opened without close-on-exec), sets `file_limit` as its
/// `RLIMIT_NOFILE` (the limit this process was started with, before it raised its own), reads one byte from the gate, then calls
/// `execvpe(file, argv, envp)`. If the gate closes without a byte it exits with 125 (the parent gave up);
/// if `execvpe` fails it writes its `errno` (an `int`) to the status pipe and exits with 127.
/// The status pipe is close-on-exec, so the parent reads end-of-file on a successful exec.
///
/// Returns 0 and fills `pid`, `gate_fd` (write end; write one byte to release the child) and `status_fd`
/// (read end), or returns an `errno` value with nothing left open.
int hr_spawn_gated(const char *file, char *const argv[], char *const envp[], const sigset_t *child_mask,
                   const int *default_signals, int default_signal_count,
                   const int *kept_fds, int kept_fd_count, const struct rlimit *file_limit,
                   pid_t *pid, int *gate_fd, int *status_fd);

/// One caught signal, as `hr_install_relay_handlers` writes it to its pipe.
typedef struct {
    int signal;
    /// `si_code`: `SI_USER`/`SI_QUEUE`/`SI_TKILL` when a process sent it, `SI_KERNEL` when the terminal did.
    int code;
    pid_t sender;
} hr_relayed_signal;

/// Catches each of `signals` with a handler that writes one `hr_relayed_signal` to `pipe_fd` (non-blocking).
///
/// Why C: a signal handler may only run async-signal-safe code. Catching (rather than blocking) works
/// whichever thread the kernel picks, including threads the Swift runtime started before `main`.
/// Caught signals revert to their default action in an exec'd child, so the child is unaffected.
/// Returns 0, or an `errno` value.
int hr_install_relay_handlers(const int *signals, int count, int pipe_fd);

/// `ptrace` with fixed arguments. Why C: glibc declares `ptrace` variadic, which Swift cannot call.
/// Returns what `ptrace` returns; `errno` is left as `ptrace` set it.
long hr_ptrace(int request, pid_t pid, void *addr, void *data);

/// The `<sys/wait.h>` status macros. Why C: they are function-like macros, which Swift cannot import.
int hr_wifexited(int status);
int hr_wexitstatus(int status);
int hr_wifsignaled(int status);
int hr_wtermsig(int status);
int hr_wifstopped(int status);
int hr_wstopsig(int status);

#endif

#define _GNU_SOURCE
#include "ProcessShims.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int hr_spawn_gated(const char *file, char *const argv[], char *const envp[], const sigset_t *child_mask,
                   const int *default_signals, int default_signal_count,
                   const int *kept_fds, int kept_fd_count, const struct rlimit *file_limit,
                   pid_t *pid, int *gate_fd, int *status_fd) {
    int gate[2];
    int status[2];
    if (pipe2(gate, O_CLOEXEC) != 0) return errno;
    if (pipe2(status, O_CLOEXEC) != 0) {
        int error = errno;
        close(gate[0]);
        close(gate[1]);
        return error;
    }
    // The descriptors the child keeps, ascending: built before `fork`, where allocating is still allowed.
    int keep_count = kept_fd_count + 2;
    int *keep = malloc(sizeof(int) * (size_t)keep_count);
    if (keep == NULL) {
        close(gate[0]);
        close(gate[1]);
        close(status[0]);
        close(status[1]);
        return ENOMEM;
    }
    for (int i = 0; i < kept_fd_count; i++) keep[i] = kept_fds[i];
    keep[kept_fd_count] = gate[0];
    keep[kept_fd_count + 1] = status[1];
    for (int i = 1; i < keep_count; i++) {
        for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
            int swap = keep[j];
            keep[j] = keep[j - 1];
            keep[j - 1] = swap;
        }
    }
    pid_t child = fork();
    if (child != 0) free(keep);
    if (child < 0) {
        int error = errno;
        close(gate[0]);
        close(gate[1]);
        close(status[0]);
        close(status[1]);
        return error;
    }
    if (child == 0) {
        for (int i = 0; i < default_signal_count; i++) signal(default_signals[i], SIG_DFL);
        unsigned int next = 3;
        for (int i = 0; i < keep_count; i++) {
            unsigned int fd = (unsigned int)keep[i];
            if (fd > next) close_range(next, fd - 1, 0);
            if (fd + 1 > next) next = fd + 1;
        }
        close_range(next, ~0U, 0);
        setrlimit(RLIMIT_NOFILE, file_limit);
        sigprocmask(SIG_SETMASK, child_mask, NULL);
        char released;
        ssize_t n;
        do {
            n = read(gate[0], &released, 1);
        } while (n < 0 && errno == EINTR);
        if (n != 1) _exit(125);
        execvpe(file, argv, envp);
        int error = errno;
        ssize_t ignored = write(status[1], &error, sizeof error);
        (void)ignored;
        _exit(127);
    }
    close(gate[0]);
    close(status[1]);
    *pid = child;
    *gate_fd = gate[1];
    *status_fd = status[0];
    return 0;
}

static int relay_fd = -1;

static void relay_handler(int signal, siginfo_t *info, void *context) {
    (void)context;
    int saved_errno = errno;
    hr_relayed_signal relayed = {signal, info->si_code, info->si_pid};
    ssize_t ignored = write(relay_fd, &relayed, sizeof relayed);
    (void)ignored;
    errno = saved_errno;
}

int hr_install_relay_handlers(const int *signals, int count, int pipe_fd) {
    relay_fd = pipe_fd;
    struct sigaction action = {0};
    action.sa_sigaction = relay_handler;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < count; i++) {
        if (sigaction(signals[i], &action, NULL) != 0) return errno;
    }
    return 0;
}

long hr_ptrace(int request, pid_t pid, void *addr, void *data) {
    return ptrace((enum __ptrace_request)request, pid, addr, data);
}

int hr_wifexited(int status) { return WIFEXITED(status); }
int hr_wexitstatus(int status) { return WEXITSTATUS(status); }
int hr_wifsignaled(int status) { return WIFSIGNALED(status); }
int hr_wtermsig(int status) { return WTERMSIG(status); }
int hr_wifstopped(int status) { return WIFSTOPPED(status); }
int hr_wstopsig(int status) { return WSTOPSIG(status); }

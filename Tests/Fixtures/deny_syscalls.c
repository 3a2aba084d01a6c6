// Runs a command with some system calls refused, as a container's seccomp profile refuses them.
//
//   deny_syscalls perf_event_open,ptrace -- COMMAND ARGS...
//
// Each named call fails with EACCES in COMMAND and everything it starts; every other call is allowed.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int number(const char *name) {
    if (strcmp(name, "perf_event_open") == 0) return SYS_perf_event_open;
    if (strcmp(name, "ptrace") == 0) return SYS_ptrace;
    return -1;
}

int main(int argc, char **argv) {
    if (argc < 4 || strcmp(argv[2], "--") != 0) {
        fprintf(stderr, "usage: deny_syscalls NAME[,NAME] -- COMMAND ARGS...\n");
        return 2;
    }
    struct sock_filter program[16];
    int length = 0;
    program[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    program[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (char *name = strtok(argv[1], ","); name != NULL && length < 14; name = strtok(NULL, ",")) {
        int call = number(name);
        if (call < 0) {
            fprintf(stderr, "deny_syscalls: unknown system call %s\n", name);
            return 2;
        }
        program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)call, 0, 1);
        program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES);
    }
    program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog filter = {.len = (unsigned short)length, .filter = program};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0) {
        perror("deny_syscalls: seccomp");
        return 2;
    }
    execvp(argv[3], argv + 3);
    perror("deny_syscalls: exec");
    return 127;
}

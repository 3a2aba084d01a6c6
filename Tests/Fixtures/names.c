// Code whose samples a profiler easily names wrong, for the symbolization tests. Each mode spins for
// SECONDS of its own CPU time in code of one kind:
//
//   names beyond SECONDS   code with no symbol, in a section of its own placed right after the section of
//                          `zero_size_marker`, an unsized function symbol (as `_fini` is, last in `.fini`)
//   names remap SECONDS    `remapped_spin`, run from a second mapping of this program's own file, placed
//                          1 GiB above the program (no other file between: as node maps its text again)
//   names jit SECONDS      a loop copied into anonymous executable memory, named `jitted_loop` in
//                          /tmp/perf-PID.map as a JIT writes it (and left there, as JITs leave it); prints PID
//   names forks COUNT      forks COUNT children that exit at once, then waits for them all (process counting)
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// An unsized function symbol that ends its section, and code after it that no symbol names: a loop of
// RDI iterations. `beyond_text_address` (data, not a function) is how C reaches it.
__asm__(".section zero_size_end,\"ax\",@progbits\n"
        ".globl zero_size_marker\n"
        ".type zero_size_marker, @function\n"
        "zero_size_marker:\n"
        "  ret\n"
        ".section beyond_text,\"ax\",@progbits\n"
        ".Lbeyond_text:\n"
        "  mov %rdi, %rax\n"
        "1:\n"
        "  dec %rax\n"
        "  jnz 1b\n"
        "  ret\n"
        ".section .data.rel.ro,\"aw\"\n"
        ".globl beyond_text_address\n"
        "beyond_text_address:\n"
        "  .quad .Lbeyond_text\n"
        ".text\n");
extern void (*const beyond_text_address)(long);
void zero_size_marker(void);

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

// Runs `loop` (RDI iterations) until SECONDS of CPU time have passed.
// The clock is read every few milliseconds only: the ptrace sampler's stops land on system calls far more
// often than their share of the time (each call drew about one sample), so frequent reads made the loop's
// share of a ptrace profile fall to a half under load.
static void spin(void (*loop)(long), double seconds) {
    double end = cpu_now() + seconds;
    while (cpu_now() < end) loop(20000000);
}

// A leaf that touches nothing but registers and its own stack, so it runs from any copy of this file.
__attribute__((noinline)) void remapped_spin(long iterations) {
    for (volatile long i = 0; i < iterations; i++) {}
}

// The file offset of `address` in this program's file, and the end of the program's highest mapping.
static int locate_self(uintptr_t address, uintptr_t *offset, uintptr_t *end) {
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[4096], self[4096];
    ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
    if (!maps || length <= 0) return -1;
    self[length] = 0;
    int found = -1;
    while (fgets(line, sizeof line, maps)) {
        unsigned long start, stop, file_offset;
        char path[4096] = "";
        if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %4095s", &start, &stop, &file_offset, path) < 3) continue;
        if (strcmp(path, self) != 0) continue;
        if (address >= start && address < stop) {
            *offset = address - start + file_offset;
            found = 0;
        }
        if (stop > *end) *end = stop;
    }
    fclose(maps);
    return found;
}

static int remap(double seconds) {
    uintptr_t offset = 0, end = 0;
    if (locate_self((uintptr_t)remapped_spin, &offset, &end) != 0) return 1;
    FILE *self = fopen("/proc/self/exe", "r");
    if (!self) return 1;
    fseek(self, 0, SEEK_END);
    long size = ftell(self);
    uintptr_t target = ((end + (1UL << 30)) | 0xffff) + 1;
    void *copy = mmap((void *)target, size, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fileno(self), 0);
    if (copy == MAP_FAILED) {
        perror("names: mmap");
        return 1;
    }
    spin((void (*)(long))((uintptr_t)copy + offset), seconds);
    return 0;
}

// mov %rdi,%rax; 1: dec %rax; jnz 1b; ret
static const unsigned char loop_code[] = {0x48, 0x89, 0xf8, 0x48, 0xff, 0xc8, 0x75, 0xfb, 0xc3};

static int jit(double seconds) {
    void *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) return 1;
    memcpy(code, loop_code, sizeof loop_code);
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%d.map", getpid());
    FILE *map = fopen(path, "w");
    if (!map) return 1;
    fprintf(map, "%lx %zx jitted_loop\n", (unsigned long)code, sizeof loop_code);
    fclose(map);
    printf("%d\n", getpid());
    fflush(stdout);
    spin((void (*)(long))code, seconds);
    return 0;
}

static int forks(int count) {
    for (int i = 0; i < count; i++) {
        pid_t child = fork();
        if (child == 0) _exit(0);
        if (child < 0) return 1;
    }
    while (wait(NULL) > 0) {}
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    double seconds = atof(argv[2]);
    if (strcmp(argv[1], "beyond") == 0) spin(beyond_text_address, seconds);
    else if (strcmp(argv[1], "remap") == 0) return remap(seconds);
    else if (strcmp(argv[1], "jit") == 0) return jit(seconds);
    else if (strcmp(argv[1], "forks") == 0) return forks(atoi(argv[2]));
    else return 2;
    return 0;
}

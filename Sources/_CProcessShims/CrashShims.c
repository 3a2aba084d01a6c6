#define _GNU_SOURCE
#include "CrashShims.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

extern char **environ;

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
static const char *const crash_signal_names[] = {"SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGABRT", "SIGTRAP"};
#define CRASH_SIGNAL_COUNT (sizeof crash_signals / sizeof crash_signals[0])

static char program_name[64];
static char reap_argument[64];
static char child_text[24];
static char status_text[8] = "-";
static char *reap_argv[] = {program_name, reap_argument, child_text, status_text, NULL};
static atomic_int recorded_status = -1;
static atomic_int crashing = 0;
/// /proc/self/maps, read at the crash to name the module of the faulting instruction.
static char maps[1 << 20];
static char line[1024];
static size_t line_length;

static void append(const char *text) {
    size_t length = strlen(text);
    if (line_length + length >= sizeof line) length = sizeof line - 1 - line_length;
    memcpy(line + line_length, text, length);
    line_length += length;
}

static void append_number(uint64_t value, unsigned base) {
    char digits[24];
    int count = 0;
    do {
        digits[count++] = "0123456789abcdef"[value % base];
        value /= base;
    } while (value != 0);
    char text[24];
    for (int i = 0; i < count; i++) text[i] = digits[count - 1 - i];
    text[count] = 0;
    append(text);
}

static uint64_t parse_hex(const char **cursor, const char *end) {
    uint64_t value = 0;
    for (; *cursor < end; (*cursor)++) {
        char c = **cursor;
        unsigned digit = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
        if (digit == 16) break;
        value = value * 16 + digit;
    }
    return value;
}

static const char *skip_field(const char *cursor, const char *end) {
    while (cursor < end && *cursor != ' ') cursor++;
    while (cursor < end && *cursor == ' ') cursor++;
    return cursor;
}

/// Appends `MODULE+0xADDRESS` for `pc`: the mapped file and the address in its ELF image (what `addr2line -e`
/// takes), from /proc/self/maps and the ELF header the file's first mapping holds; the bare address otherwise.
static void append_location(uint64_t pc) {
    ssize_t total = 0;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t count;
        while (total < (ssize_t)sizeof maps && (count = read(fd, maps + total, sizeof maps - (size_t)total)) > 0) total += count;
        close(fd);
    }
    const char *cursor = maps;
    const char *end = maps + (total > 0 ? total : 0);
    // The last readable mapping of a file's start (offset 0): where its ELF header is.
    uint64_t header_address = 0;
    const char *header_path = NULL;
    size_t header_path_length = 0;
    while (cursor < end) {
        const char *line_end = memchr(cursor, '\n', (size_t)(end - cursor));
        if (line_end == NULL) line_end = end;
        // start-end perms offset dev inode path
        uint64_t start = parse_hex(&cursor, line_end);
        if (cursor < line_end) cursor++;
        uint64_t stop = parse_hex(&cursor, line_end);
        cursor = skip_field(cursor, line_end);
        int readable = cursor < line_end && *cursor == 'r';
        cursor = skip_field(cursor, line_end);
        uint64_t offset = parse_hex(&cursor, line_end);
        cursor = skip_field(skip_field(skip_field(cursor, line_end), line_end), line_end);
        const char *path = cursor;
        size_t path_length = (size_t)(line_end - cursor);
        int is_file = path_length > 0 && *path == '/';
        if (is_file && offset == 0 && readable) {
            header_address = start;
            header_path = path;
            header_path_length = path_length;
        }
        if (pc >= start && pc < stop && is_file) {
            // A shared object or PIE executable (ET_DYN) is linked at 0: its address is pc minus where it starts.
            const Elf64_Ehdr *header = (const Elf64_Ehdr *)(uintptr_t)header_address;
            int relative = header_path != NULL && header_path_length == path_length
                && memcmp(header_path, path, path_length) == 0 && memcmp(header->e_ident, ELFMAG, SELFMAG) == 0
                && header->e_type == ET_DYN;
            if (line_length + path_length >= sizeof line) path_length = sizeof line - 1 - line_length;
            memcpy(line + line_length, path, path_length);
            line_length += path_length;
            append("+0x");
            append_number(relative ? pc - header_address : pc, 16);
            return;
        }
        cursor = line_end + 1;
    }
    append("0x");
    append_number(pc, 16);
}

static void crash_handler(int signal, siginfo_t *info, void *context) {
    // One thread replaces the image; any other that crashes meanwhile waits to be ended by its exec.
    if (atomic_exchange(&crashing, 1)) {
        for (;;) pause();
    }
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    const char *name = "signal";
    for (size_t i = 0; i < CRASH_SIGNAL_COUNT; i++) {
        if (crash_signals[i] == signal) name = crash_signal_names[i];
    }
    line_length = 0;
    append(program_name);
    append(": internal error (");
    append(name);
    if (info->si_code <= 0) {
        append(" sent by process ");
        append_number((uint64_t)info->si_pid, 10);
    } else {
        append(" at ");
        append_location((uint64_t)((ucontext_t *)context)->uc_mcontext.gregs[REG_RIP]);
    }
    append("); the command runs on, unprofiled, and hybrid-run will exit with its status\n");
    ssize_t ignored = write(STDERR_FILENO, line, line_length);
    int status = atomic_load(&recorded_status);
    if (status >= 0) {
        line_length = 0;
        append_number((uint64_t)status, 10);
        memcpy(status_text, line, line_length);
        status_text[line_length] = 0;
    }
    execve("/proc/self/exe", reap_argv, environ);
    line_length = 0;
    append(program_name);
    append(": cannot keep waiting for the command: execve /proc/self/exe failed (errno ");
    append_number((uint64_t)errno, 10);
    append(")\n");
    ignored = write(STDERR_FILENO, line, line_length);
    (void)ignored;
    struct sigaction fallback = {0};
    fallback.sa_handler = SIG_DFL;
    sigaction(signal, &fallback, NULL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, signal);
    sigprocmask(SIG_UNBLOCK, &only, NULL);
    raise(signal);
}

static void copy(char *destination, size_t size, const char *source) {
    size_t length = strlen(source);
    if (length >= size) length = size - 1;
    memcpy(destination, source, length);
    destination[length] = 0;
}

void hr_crash_guard_install(const char *program, const char *reap, pid_t child) {
    copy(program_name, sizeof program_name, program);
    copy(reap_argument, sizeof reap_argument, reap);
    line_length = 0;
    append_number((uint64_t)child, 10);
    memcpy(child_text, line, line_length);
    child_text[line_length] = 0;
    struct sigaction action = {0};
    action.sa_sigaction = crash_handler;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    // A second fault inside the handler then kills the process outright instead of re-entering it.
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < CRASH_SIGNAL_COUNT; i++) sigaddset(&action.sa_mask, crash_signals[i]);
    for (size_t i = 0; i < CRASH_SIGNAL_COUNT; i++) sigaction(crash_signals[i], &action, NULL);
}

void hr_crash_guard_record_status(int status) { atomic_store(&recorded_status, status); }

void hr_crash_guard_prepare_thread(void) {
    stack_t stack = {0};
    stack.ss_size = 64 * 1024;
    stack.ss_sp = malloc(stack.ss_size);
    if (stack.ss_sp != NULL && sigaltstack(&stack, NULL) != 0) free(stack.ss_sp);
}

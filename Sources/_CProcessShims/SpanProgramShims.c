#include "SpanProgramShims.h"
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(HR_SPAN_RING_BUSY == BPF_RINGBUF_BUSY_BIT && HR_SPAN_RING_DISCARDED == BPF_RINGBUF_DISCARD_BIT, "ring record bits");

static int bpf_call(int command, union bpf_attr *attributes) {
    return (int)syscall(SYS_bpf, command, attributes, sizeof(*attributes));
}

int hr_span_map_create(int ring, uint32_t entries) {
    union bpf_attr attributes;
    memset(&attributes, 0, sizeof(attributes));
    if (ring) {
        attributes.map_type = BPF_MAP_TYPE_RINGBUF;
        attributes.max_entries = entries;
    } else {
        attributes.map_type = BPF_MAP_TYPE_HASH;
        attributes.key_size = sizeof(uint32_t);
        attributes.value_size = sizeof(struct hr_span_location);
        attributes.max_entries = entries;
    }
    return bpf_call(BPF_MAP_CREATE, &attributes);
}

int hr_span_location_set(int map, uint32_t pid, const struct hr_span_location *location) {
    union bpf_attr attributes;
    memset(&attributes, 0, sizeof(attributes));
    attributes.map_fd = (uint32_t)map;
    attributes.key = (uint64_t)(uintptr_t)&pid;
    if (location == NULL) return bpf_call(BPF_MAP_DELETE_ELEM, &attributes);
    attributes.value = (uint64_t)(uintptr_t)location;
    attributes.flags = BPF_ANY;
    return bpf_call(BPF_MAP_UPDATE_ELEM, &attributes);
}

int hr_perf_event_set_program(int event, int program) {
    return ioctl(event, PERF_EVENT_IOC_SET_BPF, program);
}

uint64_t hr_span_ring_producer(const void *producer_page) {
    return __atomic_load_n((const uint64_t *)producer_page, __ATOMIC_ACQUIRE);
}

uint32_t hr_span_ring_length(const void *record) {
    return __atomic_load_n((const uint32_t *)record, __ATOMIC_ACQUIRE);
}

void hr_span_ring_consume(void *consumer_page, uint64_t position) {
    __atomic_store_n((uint64_t *)consumer_page, position, __ATOMIC_RELEASE);
}

// A tiny assembler: instructions as the kernel's own `filter.h` macros spell them, and jumps to labels resolved
// once the program is complete, so the program below reads top to bottom like its pseudo-C.
struct program {
    struct bpf_insn instructions[128];
    int count;
    int labels[8];
    struct { int at; int label; } jumps[32];
    int jump_count;
    /// Set when the program outgrew the arrays above: it is then not loaded.
    int overflowed;
};

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ADD_IMM(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define ADD_REG(d, s) INSN(BPF_ALU64 | BPF_ADD | BPF_X, d, s, 0, 0)
#define AND_IMM(d, i) INSN(BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, i)
#define RSH_IMM(d, i) INSN(BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, i)
#define LSH_IMM(d, i) INSN(BPF_ALU64 | BPF_LSH | BPF_K, d, 0, 0, i)
#define LOAD(size, d, s, o) INSN(BPF_LDX | (size) | BPF_MEM, d, s, o, 0)
#define STORE(size, d, o, s) INSN(BPF_STX | (size) | BPF_MEM, d, s, o, 0)
#define STORE_IMM(size, d, o, i) INSN(BPF_ST | (size) | BPF_MEM, d, 0, o, i)
#define CALL(function) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, function)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { OUT, SUBMIT, DISCARD, STATIC_BLOCK };

static void emit(struct program *p, struct bpf_insn instruction) {
    if (p->count == (int)(sizeof(p->instructions) / sizeof(p->instructions[0]))) {
        p->overflowed = 1;
        return;
    }
    p->instructions[p->count++] = instruction;
}

static void jump_with(struct program *p, struct bpf_insn instruction, int label) {
    if (p->jump_count == (int)(sizeof(p->jumps) / sizeof(p->jumps[0]))) {
        p->overflowed = 1;
        return;
    }
    p->jumps[p->jump_count].at = p->count;
    p->jumps[p->jump_count++].label = label;
    emit(p, instruction);
}

static void jump(struct program *p, int operation, int reg, int32_t immediate, int label) {
    jump_with(p, INSN(BPF_JMP | operation | BPF_K, reg, 0, 0, immediate), label);
}

static void jump_if_greater(struct program *p, int reg, int other, int label) {
    jump_with(p, INSN(BPF_JMP | BPF_JGT | BPF_X, reg, other, 0, 0), label);
}

static void label(struct program *p, int label) { p->labels[label] = p->count; }

static void load_map(struct program *p, int reg, int map) {
    emit(p, INSN(BPF_LD | BPF_DW | BPF_IMM, reg, BPF_PSEUDO_MAP_FD, 0, map));
    emit(p, INSN(0, 0, 0, 0, 0));
}

/// `*(u64 *)(r10 + slot) = *(u64 *)(r3)` from user memory, on to `SUBMIT` when it fails.
static void read_user_word(struct program *p, int16_t slot) {
    emit(p, MOV_REG(BPF_REG_1, BPF_REG_10));
    emit(p, ADD_IMM(BPF_REG_1, slot));
    emit(p, MOV_IMM(BPF_REG_2, 8));
    emit(p, CALL(BPF_FUNC_probe_read_user));
    jump(p, BPF_JNE, BPF_REG_0, 0, SUBMIT);
}

int hr_span_program_load(int locations, int ring, uint32_t fsbase_offset, char *log, size_t log_size) {
    struct program p = { .count = 0, .jump_count = 0, .overflowed = 0 };
    const int32_t entry_size = (int32_t)sizeof(struct hr_span_entry);
    const int16_t status = offsetof(struct hr_span_entry, status), record = offsetof(struct hr_span_entry, record);
    // r6: the process's location, r7: pid and tgid, r8: the entry being written, r9: the address being followed.
    emit(&p, CALL(BPF_FUNC_get_current_pid_tgid));
    emit(&p, MOV_REG(BPF_REG_7, BPF_REG_0));
    emit(&p, RSH_IMM(BPF_REG_0, 32));
    emit(&p, STORE(BPF_W, BPF_REG_10, -4, BPF_REG_0));
    emit(&p, MOV_REG(BPF_REG_2, BPF_REG_10));
    emit(&p, ADD_IMM(BPF_REG_2, -4));
    load_map(&p, BPF_REG_1, locations);
    emit(&p, CALL(BPF_FUNC_map_lookup_elem));
    jump(&p, BPF_JEQ, BPF_REG_0, 0, OUT);  // a process that publishes no spans: nothing more per sample
    emit(&p, MOV_REG(BPF_REG_6, BPF_REG_0));
    load_map(&p, BPF_REG_1, ring);
    emit(&p, MOV_IMM(BPF_REG_2, entry_size));
    emit(&p, MOV_IMM(BPF_REG_3, 0));
    emit(&p, CALL(BPF_FUNC_ringbuf_reserve));
    jump(&p, BPF_JEQ, BPF_REG_0, 0, OUT);
    emit(&p, MOV_REG(BPF_REG_8, BPF_REG_0));
    emit(&p, STORE(BPF_W, BPF_REG_8, offsetof(struct hr_span_entry, tid), BPF_REG_7));
    emit(&p, MOV_REG(BPF_REG_1, BPF_REG_7));
    emit(&p, RSH_IMM(BPF_REG_1, 32));
    emit(&p, STORE(BPF_W, BPF_REG_8, offsetof(struct hr_span_entry, pid), BPF_REG_1));
    emit(&p, STORE_IMM(BPF_W, BPF_REG_8, offsetof(struct hr_span_entry, reserved), 0));
    emit(&p, STORE_IMM(BPF_W, BPF_REG_8, status, HR_SPAN_UNLOCATED));
    emit(&p, STORE_IMM(BPF_DW, BPF_REG_8, offsetof(struct hr_span_entry, record_address), 0));
    emit(&p, CALL(BPF_FUNC_ktime_get_ns));
    emit(&p, STORE(BPF_DW, BPF_REG_8, offsetof(struct hr_span_entry, time), BPF_REG_0));
    // The thread pointer: current->thread.fsbase.
    emit(&p, CALL(BPF_FUNC_get_current_task));
    emit(&p, MOV_REG(BPF_REG_3, BPF_REG_0));
    emit(&p, ADD_IMM(BPF_REG_3, (int32_t)fsbase_offset));
    emit(&p, MOV_REG(BPF_REG_1, BPF_REG_10));
    emit(&p, ADD_IMM(BPF_REG_1, -16));
    emit(&p, MOV_IMM(BPF_REG_2, 8));
    emit(&p, CALL(BPF_FUNC_probe_read_kernel));
    jump(&p, BPF_JNE, BPF_REG_0, 0, SUBMIT);
    emit(&p, LOAD(BPF_DW, BPF_REG_9, BPF_REG_10, -16));
    jump(&p, BPF_JEQ, BPF_REG_9, 0, SUBMIT);
    emit(&p, LOAD(BPF_DW, BPF_REG_1, BPF_REG_6, offsetof(struct hr_span_location, kind)));
    jump(&p, BPF_JEQ, BPF_REG_1, HR_SPAN_LOCATION_STATIC, STATIC_BLOCK);
    // Dynamic TLS: the DTV at thread pointer + 8, its length at entry -1, the module's block at entry `module`.
    emit(&p, MOV_REG(BPF_REG_3, BPF_REG_9));
    emit(&p, ADD_IMM(BPF_REG_3, 8));
    read_user_word(&p, -16);
    emit(&p, LOAD(BPF_DW, BPF_REG_9, BPF_REG_10, -16));
    jump(&p, BPF_JEQ, BPF_REG_9, 0, SUBMIT);
    emit(&p, MOV_REG(BPF_REG_3, BPF_REG_9));
    emit(&p, ADD_IMM(BPF_REG_3, -16));
    read_user_word(&p, -24);
    emit(&p, LOAD(BPF_DW, BPF_REG_1, BPF_REG_10, -24));
    emit(&p, LOAD(BPF_DW, BPF_REG_2, BPF_REG_6, offsetof(struct hr_span_location, module)));
    jump_if_greater(&p, BPF_REG_2, BPF_REG_1, SUBMIT);
    emit(&p, LSH_IMM(BPF_REG_2, 4));
    emit(&p, MOV_REG(BPF_REG_3, BPF_REG_9));
    emit(&p, ADD_REG(BPF_REG_3, BPF_REG_2));
    read_user_word(&p, -16);
    emit(&p, LOAD(BPF_DW, BPF_REG_9, BPF_REG_10, -16));
    jump(&p, BPF_JEQ, BPF_REG_9, 0, SUBMIT);
    jump(&p, BPF_JEQ, BPF_REG_9, -1, SUBMIT);  // TLS_DTV_UNALLOCATED
    label(&p, STATIC_BLOCK);
    emit(&p, LOAD(BPF_DW, BPF_REG_1, BPF_REG_6, offsetof(struct hr_span_location, offset)));
    emit(&p, ADD_REG(BPF_REG_9, BPF_REG_1));
    // The TLS pointer, then the record it points to.
    emit(&p, MOV_REG(BPF_REG_3, BPF_REG_9));
    read_user_word(&p, -16);
    emit(&p, LOAD(BPF_DW, BPF_REG_9, BPF_REG_10, -16));
    jump(&p, BPF_JEQ, BPF_REG_9, 0, DISCARD);  // no span published: not a failure
    emit(&p, STORE_IMM(BPF_W, BPF_REG_8, status, HR_SPAN_UNREADABLE));
    emit(&p, STORE(BPF_DW, BPF_REG_8, offsetof(struct hr_span_entry, record_address), BPF_REG_9));
    emit(&p, MOV_REG(BPF_REG_1, BPF_REG_9));
    emit(&p, AND_IMM(BPF_REG_1, 1));
    jump(&p, BPF_JNE, BPF_REG_1, 0, SUBMIT);
    emit(&p, MOV_REG(BPF_REG_1, BPF_REG_8));
    emit(&p, ADD_IMM(BPF_REG_1, record));
    emit(&p, MOV_IMM(BPF_REG_2, HR_SPAN_RECORD_HEADER));
    emit(&p, MOV_REG(BPF_REG_3, BPF_REG_9));
    emit(&p, CALL(BPF_FUNC_probe_read_user));
    jump(&p, BPF_JNE, BPF_REG_0, 0, SUBMIT);
    emit(&p, STORE_IMM(BPF_W, BPF_REG_8, status, HR_SPAN_READ));
    emit(&p, LOAD(BPF_H, BPF_REG_2, BPF_REG_8, record + HR_SPAN_RECORD_HEADER - 2));  // attrs-data-size
    jump(&p, BPF_JGT, BPF_REG_2, HR_SPAN_RECORD_ATTRIBUTES, SUBMIT);  // refused by its header in user space
    emit(&p, MOV_REG(BPF_REG_1, BPF_REG_8));
    emit(&p, ADD_IMM(BPF_REG_1, record + HR_SPAN_RECORD_HEADER));
    emit(&p, MOV_REG(BPF_REG_3, BPF_REG_9));
    emit(&p, ADD_IMM(BPF_REG_3, HR_SPAN_RECORD_HEADER));
    emit(&p, CALL(BPF_FUNC_probe_read_user));
    jump(&p, BPF_JEQ, BPF_REG_0, 0, SUBMIT);
    emit(&p, STORE_IMM(BPF_W, BPF_REG_8, status, HR_SPAN_UNREADABLE));
    label(&p, SUBMIT);
    emit(&p, MOV_REG(BPF_REG_1, BPF_REG_8));
    emit(&p, MOV_IMM(BPF_REG_2, BPF_RB_NO_WAKEUP));
    emit(&p, CALL(BPF_FUNC_ringbuf_submit));
    jump(&p, BPF_JA, 0, 0, OUT);
    label(&p, DISCARD);
    emit(&p, MOV_REG(BPF_REG_1, BPF_REG_8));
    emit(&p, MOV_IMM(BPF_REG_2, BPF_RB_NO_WAKEUP));
    emit(&p, CALL(BPF_FUNC_ringbuf_discard));
    label(&p, OUT);
    emit(&p, MOV_IMM(BPF_REG_0, 1));  // 1: the kernel writes the sample as usual
    emit(&p, EXIT());
    if (p.overflowed) {
        errno = E2BIG;
        return -1;
    }
    for (int index = 0; index < p.jump_count; index++) {
        p.instructions[p.jumps[index].at].off = (int16_t)(p.labels[p.jumps[index].label] - p.jumps[index].at - 1);
    }

    union bpf_attr attributes;
    memset(&attributes, 0, sizeof(attributes));
    attributes.prog_type = BPF_PROG_TYPE_PERF_EVENT;
    attributes.insns = (uint64_t)(uintptr_t)p.instructions;
    attributes.insn_cnt = (uint32_t)p.count;
    // The helpers that read user and kernel memory are offered to GPL-compatible programs only.
    attributes.license = (uint64_t)(uintptr_t)"Dual MIT/GPL";
    int descriptor = bpf_call(BPF_PROG_LOAD, &attributes);
    if (descriptor >= 0 || log == NULL || log_size == 0) return descriptor;
    // Loaded again for the verifier's reasons only: a log too small for a program it accepts fails the load.
    int error = errno;
    log[0] = 0;
    attributes.log_buf = (uint64_t)(uintptr_t)log;
    attributes.log_size = (uint32_t)log_size;
    attributes.log_level = 1;
    int again = bpf_call(BPF_PROG_LOAD, &attributes);
    if (again >= 0) return again;
    errno = error;
    return -1;
}

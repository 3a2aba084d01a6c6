#define _GNU_SOURCE
#include "TemporaryFileShims.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

enum { slot_count = 16, slot_free = 0, slot_claimed = 1, slot_armed = 2 };

static atomic_int slot_state[slot_count];
static char slot_path[slot_count][PATH_MAX];

int hr_temporary_claim(void) {
    for (int slot = 0; slot < slot_count; slot++) {
        int expected = slot_free;
        if (atomic_compare_exchange_strong(&slot_state[slot], &expected, slot_claimed)) return slot;
    }
    return -1;
}

void hr_temporary_arm(int slot, const char *path) {
    // The last byte is never written, so the copy is always terminated.
    strncpy(slot_path[slot], path, PATH_MAX - 1);
    atomic_store(&slot_state[slot], slot_armed);
}

void hr_temporary_release(int slot) { atomic_store(&slot_state[slot], slot_free); }

static void cleanup_handler(int signal) {
    for (int slot = 0; slot < slot_count; slot++) {
        int state;
        // A claimed slot belongs to a thread that blocks this signal, so it settles without this handler's help.
        while ((state = atomic_load(&slot_state[slot])) == slot_claimed) {}
        if (state == slot_armed) unlink(slot_path[slot]);
    }
    struct sigaction action = {0};
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    sigaction(signal, &action, NULL);
    // Still blocked while the handler runs: delivered, with the default action, as soon as it returns.
    raise(signal);
}

int hr_install_temporary_cleanup(const int *signals, int count) {
    struct sigaction action = {0};
    action.sa_handler = cleanup_handler;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < count; i++) sigaddset(&action.sa_mask, signals[i]);
    for (int i = 0; i < count; i++) {
        if (sigaction(signals[i], &action, NULL) != 0) return errno;
    }
    return 0;
}

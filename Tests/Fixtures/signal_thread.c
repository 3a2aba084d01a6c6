// Sends a signal to one thread of another process (tgkill), which kill(1) cannot do.
//
//   signal_thread PID TID SIGNAL
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: signal_thread PID TID SIGNAL\n");
        return 2;
    }
    if (tgkill(atoi(argv[1]), atoi(argv[2]), atoi(argv[3])) != 0) {
        perror("signal_thread: tgkill");
        return 1;
    }
    return 0;
}

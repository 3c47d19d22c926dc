#include "hm_signals.h"
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t received = 0;

static void on_signal(int sig) { received = sig; }

void hm_install_preemption_handlers(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &action, 0);
    sigaction(SIGTERM, &action, 0);
}

int hm_preemption_signal(void) { return received; }

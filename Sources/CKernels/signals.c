#include "hm_signals.h"
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t received = 0;
static unsigned stop_timeout = 25;

/// Records the request; the first one also arms a watchdog (SIGALRM's default action ends
/// the process), so that a rank that cannot reach the agreed stop — blocked on a dead peer
/// while the job is being torn down — never outlives it by more than the timeout.
static void on_signal(int sig) {
    if (!received && stop_timeout > 0) alarm(stop_timeout);
    received = sig;
}

void hm_install_preemption_handlers(unsigned timeout_seconds) {
    stop_timeout = timeout_seconds;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &action, 0);
    sigaction(SIGTERM, &action, 0);
    // A file-size limit (ulimit -f) must fail the write with EFBIG, reported with the file's
    // name, rather than kill the process without a word.
    signal(SIGXFSZ, SIG_IGN);
    // A launcher may start us with them blocked: unblock, or the request would never arrive.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &set, 0);
}

int hm_preemption_signal(void) { return received; }

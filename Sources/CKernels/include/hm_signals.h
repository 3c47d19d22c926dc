// Preemption requests (SIGUSR1, SIGTERM) recorded by an async-signal-safe handler and read
// at step boundaries.
#ifndef HM_SIGNALS_H
#define HM_SIGNALS_H

/// Installs the handler for SIGUSR1 and SIGTERM. After the first signal the process has
/// `timeout_seconds` (0: no limit) to checkpoint and exit before SIGALRM ends it. Also ignores
/// SIGXFSZ, so that a write beyond `ulimit -f` fails with EFBIG and a clear error.
void hm_install_preemption_handlers(unsigned timeout_seconds);

/// The signal received (SIGUSR1 or SIGTERM), or 0.
int hm_preemption_signal(void);

#endif

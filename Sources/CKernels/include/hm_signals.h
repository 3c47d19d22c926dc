// Preemption requests (SIGUSR1, SIGTERM) recorded by an async-signal-safe handler and read
// at step boundaries.
#ifndef HM_SIGNALS_H
#define HM_SIGNALS_H

/// Installs the handler for SIGUSR1 and SIGTERM.
void hm_install_preemption_handlers(void);

/// The signal received (SIGUSR1 or SIGTERM), or 0.
int hm_preemption_signal(void);

#endif

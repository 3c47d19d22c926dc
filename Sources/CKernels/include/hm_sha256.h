// SHA-256 block compression with the x86 SHA extensions (SHA-NI), for HMCheckpoint's
// `SHA256`. The portable path stays in Swift; these are only the fast block function and
// the runtime check that decides whether it may be called.
#ifndef HM_SHA256_H
#define HM_SHA256_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SHA extensions (and SSE4.1) and `hm_sha256_blocks_shani` may be
/// called; 0 otherwise, always 0 on non-x86 builds. Cheap; the answer never changes.
int hm_sha256_has_shani(void);

/// Compresses `blocks` consecutive 64-byte blocks at `data` (any alignment) into `state`,
/// the eight working words a..h in native byte order (FIPS 180-4 H0..H7). Only call when
/// `hm_sha256_has_shani()` returned 1; on other builds it does nothing.
void hm_sha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif

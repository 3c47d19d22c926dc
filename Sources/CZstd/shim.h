// The static-linking-only part of zstd.h holds the buffer-less streaming functions
// (ZSTD_compressBegin_advanced, ZSTD_compressContinue), which compress straight from the
// caller's buffers where ZSTD_compressStream2 first copies its input into a window of its
// own; the shared libzstd exports them. zstd marks ZSTD_compressBegin_advanced deprecated in
// favour of the parameter API, which has no buffer-less form.
#define ZSTD_STATIC_LINKING_ONLY
#define ZSTD_DISABLE_DEPRECATE_WARNINGS
#include <zstd.h>
#include <zstd_errors.h>

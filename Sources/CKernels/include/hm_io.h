#ifndef HM_IO_H
#define HM_IO_H
#include <stdint.h>

/// Asks the kernel to start writing the given byte range of `fd` back to disk now, without
/// waiting (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`; nothing elsewhere). A later
/// fsync still makes it durable; this only lets the disk work while the writer goes on.
void hm_start_writeback(int fd, int64_t offset, int64_t length);

#endif

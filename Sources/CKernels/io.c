#define _GNU_SOURCE
#include "hm_io.h"
#include <fcntl.h>

void hm_start_writeback(int fd, int64_t offset, int64_t length) {
#ifdef __linux__
    (void)sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)length;
#endif
}

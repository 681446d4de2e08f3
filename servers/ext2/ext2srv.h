/* What servers/ext2's main.c and ipc.c share: the one mounted file system. */
#ifndef EXT2SRV_H
#define EXT2SRV_H

#include "ext2.h"

extern struct ext2_fs e2;
/* The Unix time (seconds) at which the timebase read 0 (K42_INFO_EPOCH),
 * 0 if the machine has no clock: fs.idl's times count from it. */
extern int64_t e2_epoch;
void e2srv_init(void);
/* After mounting: writes are written behind (ipc.c's flusher). */
int e2srv_write_behind(void);

#endif

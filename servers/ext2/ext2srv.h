/* What servers/ext2's main.c and ipc.c share: the one mounted file system. */
#ifndef EXT2SRV_H
#define EXT2SRV_H

#include "ext2.h"

extern struct ext2_fs e2;
void e2srv_init(void);

#endif

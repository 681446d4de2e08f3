/*
 * Starting init, the one process the kernel creates itself, from an ELF
 * file in the boot archive. Every other process is made by user code
 * (libk42's loader) through kernel calls.
 */
#ifndef KERN_EXEC_H
#define KERN_EXEC_H

#include <kern/bootinfo.h>

/* Load `path` from the archive as init, handing it `args` (the boot
 * arguments after "--", or NULL); 0 or a negative error (reported). */
int exec_init(const char *path, const char *args, const struct bootinfo *bi);
/* pid of init (0 before it exists). */
extern uint32_t init_pid;

#endif

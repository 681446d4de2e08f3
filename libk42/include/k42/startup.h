/*
 * The startup block: how a parent hands a new process its arguments, the
 * name server's pid and (from init) the boot archive. The loader
 * (spawn.c) writes it at the top of the child's stack with mem_write and
 * passes its address in r3; k42_start (runtime.c) recognises the magic
 * and fills k42_argc, k42_argv, k42_name_server. A process started any
 * other way (k42_spawn with a plain argument, or init from the kernel)
 * has k42_argc = 0 and an empty argv.
 */
#ifndef K42_STARTUP_H
#define K42_STARTUP_H

#include <stdint.h>

#define K42_STARTUP_MAGIC 0x7472617473323434ull	/* "442start", little-endian */
#define K42_STARTUP_MAX   (16 * 1024)		/* bytes of block, strings included */
#define K42_STARTUP_ARGS  256			/* most arguments */

/*
 * Layout, all in the child's address space: the header, argc + 1 argv
 * pointers (the last NULL), the NUL-terminated strings, then (8-aligned)
 * the inherited descriptor table and current directory (docs/files.md). The block
 * starts 16-byte aligned and the child's stack pointer is its address.
 */
struct k42_startup {
	uint64_t magic;
	uint64_t size;		/* bytes of the whole block */
	uint64_t name_server;	/* pid of the name server, 0 if none */
	uint64_t archive_size;	/* bytes of the boot archive shared at K42_INITRD_VA, 0 if none */
	uint64_t fds_off;	/* inherited descriptors (fs.c's format): offset in the block */
	uint64_t fds_len;	/* and length in bytes, 0 if none */
	uint64_t argc;
	uint64_t argv[];
};

/* Filled in by k42_start before main runs. */
extern int k42_argc;
extern char **k42_argv;
extern uint64_t k42_name_server;

#endif

/*
 * The boot-archive file server's parts: the archive index (archive.c),
 * the IPC glue to the generated file.idl dispatcher and the page-ins
 * (ipc.c), and the main loop (main.c).
 *
 * Where the archive comes from: init starts this server with
 * K42_SPAWN_SHARE_ARCHIVE, which maps init's boot archive read-only at
 * K42_FILES_ARCHIVE_VA in this process (a copy-on-write view made with
 * mem_cow before the server runs; nothing is copied) and puts its size
 * in the startup block. libk42 then finds it as k42_initrd_bytes().
 */
#ifndef FILES_SERVER_FILES_H
#define FILES_SERVER_FILES_H

#include <stdint.h>
#include "file.h"

#define K42_FILES_ARCHIVE_VA K42_INITRD_VA

/* One archive entry, or a directory implied by the paths under it. */
struct node {
	const char *name;	/* full path without a leading "/" or "./"; "" is the root */
	const char *base;	/* last component */
	const uint8_t *data;
	uint64_t size;
	struct file_stat st;
	int parent;		/* index of the directory holding it; -1 for the root */
	int64_t fr;		/* file representative for page-ins; 0 until mapped */
};

/* archive.c */
long archive_index(const void *archive, uint64_t len);
int archive_lookup(const char *path);		/* node index or -K42_ENOENT */
struct node *archive_node(int i);		/* NULL if out of range */
int archive_child(int dir, uint32_t index);	/* index-th entry of dir, or -K42_ENOENT */
int archive_count(void);

/* ipc.c */
void files_serve(void);

#endif

/*
 * tmpfs's file tree, pure (host-tested in tests/libk42/test_tmpfs.c):
 * nodes, directories, file data in 4 KiB pages, POSIX rename/link/unlink
 * rules and a byte budget that ends in -K42_ENOSPC, never a partial
 * change. Paths are fs.idl paths: relative, canonical, "" is the root.
 * Permissions as on Linux (without supplementary groups): search on every
 * directory a path passes through, write and search on a directory to
 * change its entries, and in a sticky directory (/tmp's root) only the
 * entry's owner, the directory's or uid 0 may remove or replace it.
 * No locks: the server runs one call at a time.
 */
#ifndef TMPFS_TREE_H
#define TMPFS_TREE_H

#include <stddef.h>
#include <stdint.h>

enum { TK_REG = 1, TK_DIR = 2, TK_LNK = 3, TK_CHR = 4, TK_FIFO = 5 };

#define TFS_PAGE 4096u
#define TFS_NODE_COST 256u	/* bytes charged per node, besides names and data */

struct tnode;
/* A directory's entries stay in the order they were made, each with a
 * number that never changes (seq): a listing goes on from the last number
 * it gave, so removing or adding entries meanwhile skips none of the
 * others (tfs_dir_from). */
struct tdirent {
	char *name;
	struct tnode *node;
	uint64_t seq;
};

struct tnode {
	uint64_t ino;
	uint8_t kind;
	uint32_t mode, nlink, rdev, opens;
	uint32_t uid, gid;	/* the creator's (tfs.uid/gid when it was made) */
	uint64_t size, atime, mtime, ctime;
	/* TK_REG: pages (NULL: a hole reading as zeros). */
	uint8_t **pages;
	uint64_t npages;
	uint64_t nalloc;	/* pages[] that are not holes (st_blocks) */
	/* TK_DIR */
	struct tdirent *ents;
	uint32_t nents, cap;
	uint64_t next_seq;	/* the seq of its next entry */
	struct tnode *parent;
	/* TK_LNK */
	char *link;
	/* TK_REG mapped through a file representative (mapped.c): 0 if not */
	uint64_t fr;
	int32_t map_slot;
	uint8_t map_shared;	/* another open file came after the mapping */
	/* TK_FIFO while some open file has it (fifo.c): NULL otherwise */
	struct tfifo *fifo;
};

struct tfs {
	struct tnode *root;
	uint64_t used, limit;	/* bytes; limit 0: none */
	uint64_t next_ino;
	uint64_t (*now)(void);	/* nanoseconds */
	/* The current call's user and group ids (the server sets them from the
	 * kernel's caller id before each call by path); checked only when
	 * enforce is set. uid 0 passes every check. */
	uint32_t uid, gid;
	int enforce;
};

/* Permission bits a check asks for. */
#define TFS_R 4u
#define TFS_W 2u
#define TFS_X 1u
/* May the current caller do `want` (TFS_R|W|X) to n, by owner, group and
 * mode? 0 or -K42_EACCES. */
long tfs_may(const struct tfs *fs, const struct tnode *n, unsigned want);
/* Is the current caller n's owner (chmod, utimes)? 0 or -K42_EPERM. */
long tfs_may_own(const struct tfs *fs, const struct tnode *n);

int tfs_init(struct tfs *fs, uint64_t limit, uint64_t (*now)(void));
/* fs.idl walk: see idl/fs.idl. */
void tfs_walk(struct tfs *fs, const char *path, uint32_t *done, int *err, struct tnode **n);
/* Exact lookup, final component not followed. */
long tfs_lookup(struct tfs *fs, const char *path, struct tnode **n);
long tfs_create(struct tfs *fs, const char *path, int kind, uint32_t mode, uint32_t rdev,
		const char *link, struct tnode **out);
long tfs_unlink(struct tfs *fs, const char *path);
long tfs_rmdir(struct tfs *fs, const char *path);
long tfs_rename(struct tfs *fs, const char *from, const char *to);
/* The position in d->ents of the first entry whose seq is at least seq;
 * d->nents if there is none. */
uint32_t tfs_dir_from(const struct tnode *d, uint64_t seq);
long tfs_link(struct tfs *fs, const char *from, const char *to);
long tfs_read(struct tfs *fs, struct tnode *n, uint64_t off, void *buf, uint64_t len);
long tfs_write(struct tfs *fs, struct tnode *n, uint64_t off, const void *buf, uint64_t len);
long tfs_truncate(struct tfs *fs, struct tnode *n, uint64_t size);
/* Give every hole below the size a page (charged): -K42_ENOSPC leaves
 * the pages made so far. A mapped file's pages come back whole, and
 * taking them back must not fail. */
long tfs_fill(struct tfs *fs, struct tnode *n);
/* Open-count bookkeeping: a node unlinked while open lives until closed. */
void tfs_open_ref(struct tnode *n);
void tfs_close_ref(struct tfs *fs, struct tnode *n);
void tfs_destroy(struct tfs *fs);

#endif

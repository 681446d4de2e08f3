/*
 * tmpfs's mapped files (mapped.c): the hooks main.c calls around the
 * tree's operations on a file that may be mapped through an FR.
 */
#ifndef TMPFS_MAPPED_H
#define TMPFS_MAPPED_H

#include <stdint.h>
#include <k42/dispatcher.h>
#include "tree.h"

/* fs.idl map: an FR for n, whose only open file asks (0 or -K42_E*). */
long tmap_grant(struct tfs *fs, struct tnode *n, int writable, uint64_t *fr);
/* Take dirty pages of [off, off + len) (or all) back into the tree. */
void tmap_pull(struct tfs *fs, struct tnode *n, uint64_t off, uint64_t len);
void tmap_pull_all(struct tfs *fs, struct tnode *n);
/* Another open file came: tell the mapper. */
void tmap_opened(struct tnode *n);
/* Someone else wrote [off, off + len) (the size was old_size before). */
void tmap_wrote(struct tfs *fs, struct tnode *n, uint64_t off, const void *data, uint64_t len,
		uint64_t old_size);
/* The size changed from old_size (truncate): -K42_ENOSPC if a grown
 * mapped file cannot have its pages. */
long tmap_resized(struct tfs *fs, struct tnode *n, uint64_t old_size);
/* An open file of n is going away (n->opens not yet dropped). */
void tmap_closing(struct tfs *fs, struct tnode *n);
/* A kernel message (page-in, page-out): 1 if it was one. */
int tmap_message(struct tfs *fs, const struct k42_msg *m);
extern uint64_t tmap_pageouts;

#endif

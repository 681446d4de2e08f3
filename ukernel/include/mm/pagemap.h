/*
 * Page map: a sparse virtual array from a page number (any 64-bit value)
 * to a pointer, as a radix tree of 256-slot nodes whose height grows with
 * the largest page number stored. A lookup costs one step per level, so
 * the cost of finding a page depends on how far apart page numbers are
 * (at most 8 levels), never on how many pages are stored: an FCM holding
 * a million pages finds one as fast as one holding ten.
 *
 * No lock of its own: the owner (an FCM) holds its lock around every call.
 * Nodes come from kmem and stay until pagemap_destroy, so clearing a slot
 * never allocates and never fails.
 */
#ifndef MM_PAGEMAP_H
#define MM_PAGEMAP_H

#include <stdint.h>

#define PAGEMAP_BITS 8
#define PAGEMAP_SLOTS (1u << PAGEMAP_BITS)	/* 2 KiB nodes: a kmem size class */

struct pagemap {
	void **root;		/* a node of PAGEMAP_SLOTS pointers, or NULL */
	unsigned height;	/* levels below root; keys < 2^(8 * height) fit */
	uint64_t nodes;		/* nodes allocated (for the owner's accounting) */
};

void *pagemap_get(const struct pagemap *m, uint64_t key);
/* Store val (non-NULL) at key: 0, or -K42_ENOMEM (nothing changed). */
int pagemap_set(struct pagemap *m, uint64_t key, void *val);
/* Empty the slot of key (if any); never allocates. */
void pagemap_clear(struct pagemap *m, uint64_t key);
/* Free every node (not what the slots point at); m is empty after. */
void pagemap_destroy(struct pagemap *m);

#endif

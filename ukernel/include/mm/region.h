/*
 * Region: a range of a process's virtual addresses mapped to a range of
 * pages of one FCM, with permissions. Regions never overlap and are kept
 * sorted in their process.
 */
#ifndef MM_REGION_H
#define MM_REGION_H

#include <stdint.h>

struct fcm;
struct process;

struct region {
	uint64_t start, end;	/* page aligned, end exclusive */
	unsigned prot;		/* K42_PROT_* */
	struct fcm *fcm;	/* holds a reference */
	uint64_t pgoff;		/* FCM page of `start` */
	struct region *next;
	struct process *proc;
	struct region *fcm_next;	/* in fcm->mappers */
	int shared;		/* K42_MAP_SHARED: mem_cow_all shares it instead of copying */
};

/* Map [va, va+len) of p onto fcm from page pgoff. Takes a new reference on fcm. */
int region_create(struct process *p, uint64_t va, uint64_t len, unsigned prot, struct fcm *fcm,
		  uint64_t pgoff) __attribute__((warn_unused_result));
/* Whether region_create(p, va, len, ...) would find room: 0, -K42_EINVAL,
 * -K42_EEXIST (overlap) or -K42_EDQUOT; changes nothing. */
int region_room(struct process *p, uint64_t va, uint64_t len);
struct region *region_find(struct process *p, uint64_t va);
/* Cut the regions that straddle va or va+len there (page aligned), so
 * that [va, va+len) is covered by whole regions: 0, -K42_EDQUOT,
 * -K42_ENOMEM, -K42_EINVAL. */
int region_split_range(struct process *p, uint64_t va, uint64_t len) __attribute__((warn_unused_result));
/* Remove the regions inside [va, va+len), splitting those that straddle
 * its ends; -K42_ENOENT if nothing was mapped there. */
int region_destroy_range(struct process *p, uint64_t va, uint64_t len);
void region_destroy_all(struct process *p);
/* Drop every translation of r from p's HAT (after its FCM changed). */
void region_unmap_pages(struct process *p, struct region *r);

#endif

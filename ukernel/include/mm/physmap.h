/*
 * The boot-time physical memory map: RAM ranges minus reserved ranges (the
 * kernel image, the device tree, the initrd, firmware reservations), page
 * aligned. Pure logic; physmap_build is host-tested.
 */
#ifndef MM_PHYSMAP_H
#define MM_PHYSMAP_H

#include <kern/bootinfo.h>

#define PHYSMAP_MAX 32

struct physmap {
	struct phys_range free[PHYSMAP_MAX];
	int nfree;
	uint64_t lowest, highest;	/* span of all RAM */
};

/*
 * Compute free = ram - reserved; reserved ranges are widened to whole pages,
 * free ones narrowed. Returns 0 or -K42_ENOSPC if the map does not fit.
 */
int physmap_build(struct physmap *pmap, const struct phys_range *ram, int nram,
		  const struct phys_range *reserved, int nreserved);

/* Take `size` bytes (page aligned) off the start of the first free range
 * large enough; returns the real address, or 0 if none is. */
uint64_t physmap_steal(struct physmap *pmap, uint64_t size);

uint64_t physmap_free_bytes(const struct physmap *pmap);

#endif

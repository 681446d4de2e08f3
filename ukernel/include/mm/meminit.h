/*
 * Boot-time memory set-up: builds the physical memory map from the device
 * tree and the kernel's own extent, and hands every free frame to the root
 * PM (page manager).
 */
#ifndef MM_MEMINIT_H
#define MM_MEMINIT_H

#include <kern/bootinfo.h>
#include <mm/pm.h>

int meminit(const struct bootinfo *bi, uint64_t fdt_pa, const char **why)
	__attribute__((warn_unused_result));

/* The PM that owns all of real memory. */
struct pm *pm_root(void);

#endif

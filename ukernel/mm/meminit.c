/*
 * Boot-time memory set-up (see mm/meminit.h).
 */
#include <string.h>
#include <arch/memlayout.h>
#include <k42/errno.h>
#include <mm/meminit.h>
#include <mm/physmap.h>

extern char __kernel_start[], __kernel_end[];

static struct pm root_pm;

struct pm *pm_root(void)
{
	return &root_pm;
}

int meminit(const struct bootinfo *bi, uint64_t fdt_pa, const char **why)
{
	static struct physmap map;
	struct phys_range res[BOOTINFO_MAX_RANGES + 3];
	int nres = 0, rc;
	uint64_t state_pa;
	size_t state_bytes;

	res[nres].base = virt_to_phys(__kernel_start);
	res[nres].size = (uint64_t)(__kernel_end - __kernel_start);
	nres++;
	res[nres].base = fdt_pa;
	res[nres].size = bi->fdt_size;
	nres++;
	if (bi->has_initrd) {
		res[nres].base = bi->initrd_start;
		res[nres].size = bi->initrd_end - bi->initrd_start;
		nres++;
	}
	for (int i = 0; i < bi->nreserved; i++)
		res[nres++] = bi->reserved[i];

	rc = physmap_build(&map, bi->mem, bi->nmem, res, nres);
	if (rc < 0) {
		*why = "memory map has too many pieces";
		return rc;
	}
	state_bytes = pm_state_bytes(map.lowest, map.highest - map.lowest);
	state_pa = physmap_steal(&map, state_bytes);
	if (!state_pa) {
		*why = "no free range can hold the page manager's frame table";
		return -K42_ENOMEM;
	}
	pm_init(&root_pm, map.lowest, map.highest - map.lowest, phys_to_virt(state_pa),
		phys_to_virt(map.lowest & ~((PM_PAGE_SIZE << (PM_ORDERS - 1)) - 1)));
	for (int i = 0; i < map.nfree; i++) {
		rc = pm_add_free(&root_pm, map.free[i].base, map.free[i].size);
		if (rc < 0) {
			*why = "free range outside the page manager's span";
			return rc;
		}
	}
	return 0;
}

/*
 * Helper of the page-in tests: once its parent says the page at
 * 0x50000000 is mapped (it writes a word into the page this child maps
 * at PAGEIN_GO_VA: with several CPUs the child runs at once, before its
 * parent could map the file), reads the first byte of that page, enabled
 * (the fault is reflected) or, with arg 1, disabled (it waits in the
 * kernel), then exits with that byte.
 */
#include <k42/k42.h>
#include "pagein_child.h"

int main(uint64_t arg)
{
	volatile uint64_t *go = (volatile uint64_t *)PAGEIN_GO_VA;
	uint8_t v;

	if (k42_sc_mem_map_anon(k42_info(K42_INFO_PID), PAGEIN_GO_VA, K42_PAGE_SIZE,
				K42_PROT_READ | K42_PROT_WRITE) < 0)
		return 1;
	while (!*go)
		k42_sc_yield();
	if (arg == 1)
		k42_disable();
	v = *(volatile uint8_t *)0x50000000ul;
	if (arg == 1)
		k42_enable();
	return v;
}

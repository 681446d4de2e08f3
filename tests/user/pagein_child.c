/*
 * Helper of the page-in tests: reads the first byte of the page at
 * 0x50000000 (which its parent maps from an FR), enabled (the fault is
 * reflected) or, with arg 1, disabled (it waits in the kernel), then
 * exits with that byte.
 */
#include <k42/k42.h>

int main(uint64_t arg)
{
	uint8_t v;

	if (arg == 1)
		k42_disable();
	v = *(volatile uint8_t *)0x50000000ul;
	if (arg == 1)
		k42_enable();
	return v;
}

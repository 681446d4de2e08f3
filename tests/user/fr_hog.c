/*
 * Helper of fr_free_test: creates arg FRs, never destroys them, and exits
 * with the number it got; its end must give them all back.
 */
#include <k42/k42.h>

int main(uint64_t arg)
{
	int n = 0;

	for (uint64_t i = 0; i < arg; i++)
		n += k42_sc_fr_create(i, K42_PAGE_SIZE) > 0;
	return n;
}

/*
 * Helper of sched_storm_test: with upcalls disabled, alternately yields
 * and blocks until its parent has woken it WAKES times (K42_SOFTINTR_USER0,
 * raised from another CPU, one at a time: the parent raises again only
 * once the count of wake-ups taken, at SCHED_STORM_VA, has moved on, so a
 * lost wake-up leaves this worker blocked and the test sees it). A
 * running sum kept in registers and on the stack across every kernel call
 * must agree at the end (exit 0), so a context resumed in the wrong
 * dispatcher, or half restored, shows.
 */
#include <k42/k42.h>
#include "sched_storm.h"

int main(uint64_t arg)
{
	volatile uint64_t on_stack = 0, *taken = (volatile uint64_t *)SCHED_STORM_VA;
	uint64_t sum = 0, wakes = 0, seed = arg * 0x9e3779b97f4a7c15ull + 1;

	(void)k42_disable_save();	/* pending bits stay ours to take */
	if (k42_sc_mem_map_anon(k42_info(K42_INFO_PID), SCHED_STORM_VA, K42_PAGE_SIZE,
				K42_PROT_READ | K42_PROT_WRITE) < 0)
		return 2;
	while (wakes < SCHED_STORM_WAKES) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		sum += seed >> 33;
		on_stack += seed >> 33;
		if (seed & (1ull << 40)) {
			k42_sc_yield();
			continue;
		}
		k42_sc_block();
		if (__atomic_fetch_and(&k42_disp()->pending, ~K42_SOFTINTR_USER0, __ATOMIC_ACQ_REL) &
		    K42_SOFTINTR_USER0)
			__atomic_store_n(taken, ++wakes, __ATOMIC_RELEASE);
	}
	return sum == on_stack ? 0 : 1;
}

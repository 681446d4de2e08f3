/*
 * Helper of sched_storm_test: with upcalls disabled, alternately yields
 * and blocks until its parent has woken it WAKES times (K42_SOFTINTR_USER0,
 * raised from another CPU), keeping a running sum in registers and on the
 * stack across every kernel call; exits 0 if the sum is what it must be,
 * so a context resumed in the wrong dispatcher (or half restored) shows.
 */
#include <k42/k42.h>

#define WAKES 300

int main(uint64_t arg)
{
	volatile uint64_t on_stack = 0;
	uint64_t sum = 0, wakes = 0, blocks = 0, seed = arg * 0x9e3779b97f4a7c15ull + 1;

	(void)k42_disable_save();	/* pending bits stay ours to take */
	while (wakes < WAKES) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		sum += seed >> 33;
		on_stack += seed >> 33;
		if (seed & (1ull << 40)) {
			k42_sc_yield();
			continue;
		}
		k42_sc_block();
		blocks++;
		if (__atomic_fetch_and(&k42_disp()->pending, ~K42_SOFTINTR_USER0, __ATOMIC_ACQ_REL) &
		    K42_SOFTINTR_USER0)
			wakes++;
	}
	return sum == on_stack && blocks >= WAKES ? 0 : 1;
}

/*
 * Timers expiring on every CPU while another dispatcher runs there
 * (issue 16; docs/smp.md, "Without the kernel lock": ticks), run as
 * init. On every CPU a sleeper dispatcher (disp_create, as vp_test) sets
 * its one kernel timer a few milliseconds ahead and blocks, ROUNDS
 * times, while a spinner dispatcher keeps that CPU busy, so the ticks
 * that expire the timers find the spinner running and the sleeper's
 * wake-up goes to the same CPU's queue (the tick's fast path). Each
 * wake-up must carry the timer's soft interrupt and come no earlier
 * than its deadline, and every round must end. One verdict line.
 */
#include "storm.h"

#define ROUNDS 60

static struct {
	uint64_t stop;
	uint64_t done[K42_VPS_MAX];	/* rounds a sleeper finished */
	uint64_t early[K42_VPS_MAX];	/* wake-ups before the deadline */
	uint64_t cpu[K42_VPS_MAX];
} ctl __attribute__((aligned(128)));

__attribute__((noreturn)) void vp_main(uint64_t me);

void vp_main(uint64_t me)
{
	struct k42_disp_shared *sh = storm_disp_shared();
	uint64_t ms = k42_info(K42_INFO_TIMEBASE_HZ) / 1000;

	ctl.cpu[me] = k42_info(K42_INFO_CPU);
	if (me % 2 == 0) {	/* a spinner */
		while (!__atomic_load_n(&ctl.stop, __ATOMIC_ACQUIRE))
			__asm__ volatile("or 1,1,1; or 2,2,2" ::: "memory");
		storm_park();
	}
	for (uint64_t r = 0; r < ROUNDS; r++) {
		uint64_t deadline = k42_timebase() + (1 + r % 3) * ms, bits = 0, prev[1];

		k42_sc_timer_set(deadline, prev);
		/* Disabled: block returns once something is pending. */
		while (!((bits |= __atomic_exchange_n(&sh->pending, 0, __ATOMIC_ACQ_REL)) &
			 K42_SOFTINTR_TIMER))
			k42_sc_block();
		ctl.early[me] += k42_timebase() < deadline;
		__atomic_store_n(&ctl.done[me], r + 1, __ATOMIC_RELEASE);
	}
	storm_park();
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	uint64_t early = 0, unfinished = 0;
	int n;

	(void)arg;
	/* Dispatchers 1, 3, 5 ... sleep; 2, 4, 6 ... spin; two per CPU. */
	n = storm_start(vp_main, 2 * ncpus, 0, 2);
	storm_wait(ctl.done, 1, 2, n, ROUNDS, 120);
	__atomic_store_n(&ctl.stop, 1, __ATOMIC_RELEASE);
	storm_check_cpus(ctl.cpu, 1, 2, n, 0, 2);
	for (int i = 1; i < n; i += 2) {
		unfinished += ctl.done[i] != ROUNDS;
		early += ctl.early[i];
	}
	k42_printf("timer_storm_test: %d sleepers beside a spinner each on %ld CPUs, %d rounds; "
		   "%lu unfinished, %lu early wake-ups\n", n / 2, ncpus, ROUNDS, unfinished, early);
	EXPECT(unfinished == 0, "%lu sleepers did not finish their rounds", unfinished);
	EXPECT(early == 0, "%lu wake-ups came before their deadline", early);
	return verdict("timer_storm_test");
}

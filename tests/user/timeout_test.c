/*
 * User-space timeouts (run as init): 10,000 timeouts are set in a
 * scrambled order and 9,000 cancelled; the 1,000 others must fire in
 * deadline order, none early, and the kernel timer (one per dispatcher)
 * must have been set far fewer than 10,000 times: only when the earliest
 * deadline moved earlier, and once per expiry. Cancels cost no kernel call,
 * except the one of the last timer, which disarms the kernel's (so no
 * stale expiry wakes the dispatcher).
 */
#include "check.h"

#define N 10000
#define KEEP_EVERY 10

static struct k42_timer tm[N];
static uint32_t order[N];
static uint64_t nfired, early;

static void fire(struct k42_timer *t)
{
	if ((int64_t)(k42_timebase() - t->deadline) < 0)
		early++;
	if (nfired < N)
		order[nfired] = (uint32_t)(t - tm);
	nfired++;
}

int main(uint64_t arg)
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), step = hz / 100000;	/* 10 us */
	uint64_t base, calls0, calls_set, calls_cancel, cancelled = 0;
	int bad_order = 0, bad_kept = 0;

	(void)arg;
	/* Disabled while setting and cancelling, so no timer can fire before
	 * every cancel is done however slowly the host runs the guest (without
	 * -icount guest time is host time: a loaded host once let 20 ms pass
	 * mid-setup and cancelled timers fire). Expiries wait for the enable. */
	int s = k42_disable_save();

	calls0 = k42_timer_kernel_calls;
	base = k42_timebase() + hz / 50;	/* 20 ms from now */
	for (uint64_t i = 0; i < N; i++) {
		uint64_t slot = (i * 7919) % N;	/* a scrambled permutation */

		tm[i].deadline = base + slot * step;
		tm[i].fn = fire;
		tm[i].arg = NULL;
		EXPECT(k42_timer_add(&tm[i]) == 0, "add %lu", i);
	}
	calls_set = k42_timer_kernel_calls - calls0;
	for (uint64_t i = 0; i < N; i++)
		if (i % KEEP_EVERY)
			cancelled += (uint64_t)k42_timer_cancel(&tm[i]);
	calls_cancel = k42_timer_kernel_calls - calls0 - calls_set;
	k42_restore(s);
	EXPECT(cancelled == N - N / KEEP_EVERY, "%lu cancelled", cancelled);
	EXPECT(calls_cancel == 0, "cancelling made %lu kernel timer calls", calls_cancel);

	k42_thread_sleep_until(base + N * step + hz / 200);

	EXPECT(nfired == N / KEEP_EVERY, "%lu fired", nfired);
	EXPECT(early == 0, "%lu fired early", early);
	for (uint64_t i = 0; i < nfired && i < N; i++) {
		if (order[i] % KEEP_EVERY)
			bad_kept++;
		if (i && tm[order[i]].deadline < tm[order[i - 1]].deadline)
			bad_order++;
	}
	EXPECT(bad_kept == 0, "%d cancelled timers fired", bad_kept);
	EXPECT(bad_order == 0, "%d fired out of deadline order", bad_order);
	k42_printf("timeout_test: %d timeouts set (%lu kernel timer calls), %lu cancelled (%lu calls), "
		   "%lu fired in deadline order; %lu kernel timer calls in all\n",
		   N, calls_set, cancelled, calls_cancel, nfired, k42_timer_kernel_calls - calls0);
	EXPECT(k42_timer_kernel_calls - calls0 < N / 4, "%lu kernel timer calls",
	       k42_timer_kernel_calls - calls0);

	/* A lone timer set and cancelled: armed, then disarmed (the kernel
	 * says what it held: nothing). */
	uint64_t prev[1] = { 1 };

	s = k42_disable_save();
	calls0 = k42_timer_kernel_calls;
	tm[0].deadline = k42_timebase() + hz;
	EXPECT(k42_timer_add(&tm[0]) == 0 && k42_timer_cancel(&tm[0]) == 1, "lone timer");
	EXPECT(k42_timer_kernel_calls - calls0 == 2, "a lone timer took %lu kernel timer calls",
	       k42_timer_kernel_calls - calls0);
	k42_sc_timer_set(0, prev);
	k42_restore(s);
	EXPECT(prev[0] == 0, "the kernel timer stayed armed (%lu)", prev[0]);
	return verdict("timeout_test");
}

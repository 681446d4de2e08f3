/*
 * Generic side of kernel time (see kern/timer.h).
 */
#include <arch/timer.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/sched.h>
#include <kern/smp.h>
#include <kern/spinlock.h>
#include <kern/timer.h>
#include <kern/trace.h>

static uint64_t tb_hz, tick_period;
static uint64_t tick_base;	/* the boot CPU's tick grid */
static uint32_t tick_spread;	/* CPUs the ticks are spread over */

void timer_init(uint64_t timebase_hz, uint32_t hz, uint32_t ncpus)
{
	tb_hz = timebase_hz;
	tick_period = timebase_hz / hz;
	tick_spread = ncpus ? ncpus : 1;
	tick_base = arch_timebase();
	timer_cpu_init();
}

/* The first tick of a CPU starting now: on the boot CPU's grid, shifted
 * by cpu_id / ncpus of a period (see kern/timer.h). */
static uint64_t first_tick(uint32_t cpu, uint64_t now)
{
	uint64_t t = tick_base + tick_period * (cpu % tick_spread) / tick_spread;

	if (tick_period == 0)
		return now;
	if ((int64_t)(t - now) <= 0)
		t += ((now - t) / tick_period + 1) * tick_period;
	return t;
}

void timer_cpu_init(void)
{
	struct percpu *pc = this_cpu();

	pc->slice_tb = timer_us_to_tb(SCHED_SLICE_US);
	arch_timer_start(tick_period, first_tick(pc->cpu_id, arch_timebase()));
}

static uint64_t next_event(struct percpu *pc)
{
	uint64_t d = sched_next_deadline();	/* UINT64_MAX: no timer */

	if (pc->tick_period == 0)
		return d;
	if (d == UINT64_MAX)
		return pc->next_tick_tb;
	return (int64_t)(d - pc->next_tick_tb) < 0 ? d : pc->next_tick_tb;
}

static void count_tick(struct percpu *pc, uint64_t now)
{
	if (pc->tick_period && (int64_t)(now - pc->next_tick_tb) >= 0) {
		pc->ticks++;
		trace_timer_tick(pc->ticks);
		if (pc->current && pc->current->state == DS_RUNNING) {
			if (disp_charge_tick(pc->current, pc->tick_period))
				pc->system_tb += pc->tick_period;
			else
				pc->user_tb += pc->tick_period;
		}
		pc->next_tick_tb += pc->tick_period;
		if ((int64_t)(pc->next_tick_tb - now) <= 0)	/* missed ticks count as one; */
			pc->next_tick_tb += ((now - pc->next_tick_tb) / pc->tick_period + 1) *
					    pc->tick_period;	/* the grid stays */
	}
}

uint64_t timer_interrupt(uint64_t now)
{
	struct percpu *pc = this_cpu();

	count_tick(pc, now);
	sched_timers_expire(now);
	ipc_calls_expire(now);
	return next_event(pc);
}

int timer_take_due(void)
{
	struct percpu *pc = this_cpu();
	uint64_t now = arch_timebase();

	if ((int64_t)(now - next_event(pc)) < 0)
		return 0;
	arch_timer_program(timer_interrupt(now));
	return 1;
}

/* Unlock the local locks of the CPUs in mask (taken by lock_others). */
static void unlock_others(uint64_t mask)
{
	for (uint32_t c = 0; mask; c++, mask >>= 1)
		if (mask & 1)
			spin_unlock(&percpu_of(c)->local_lock);
}

/* Take the local locks of the CPUs in mask, in CPU order (a lower-numbered
 * one than ours by a single try, percpu_lock_other): every wait is for a
 * lock above every one held, as the kernel lock's gatherer waits. 0, with
 * none of them held, if one is busy. */
static int lock_others(struct percpu *pc, uint64_t mask)
{
	uint64_t held = 0;

	for (uint32_t c = 0; c < (uint32_t)smp_ncpus; c++) {
		if (!(mask & (1ull << c)))
			continue;
		if (!percpu_lock_other(pc, percpu_of(c))) {
			unlock_others(held);
			return 0;
		}
		held |= 1ull << c;
	}
	return 1;
}

int timer_interrupt_expire_local(uint64_t now)
{
	struct percpu *pc = this_cpu();
	uint64_t remote = 0, others = 0, calls = 0, locks;
	int due = ipc_calls_due(now), expired = 0;

	/* Bounded calls made here that are due: their callers wait here, and
	 * their servers' CPUs are locked too (their lists and records). */
	if (due && ipc_calls_expire_locks(now, &calls) < 0)
		return 0;
	/* (Where a dispatcher lives changes under the local locks of its old
	 * CPU and its new one: kern/ppc_move.c, or the kernel lock.) */
	for (struct dispatcher *d = pc->timers; d && (int64_t)(now - d->timer_deadline) >= 0;
	     d = d->timer_next) {
		uint32_t cpu = __atomic_load_n(&d->cpu, __ATOMIC_RELAXED);

		if (cpu == pc->cpu_id)
			continue;
		if (cpu >= (uint32_t)smp_ncpus || cpu >= 64)
			return 0;
		others |= 1ull << cpu;
		remote++;
	}
	/* Their wake-ups go to the other CPUs' queues: those CPUs' locks too. */
	locks = others | calls;
	if (locks && !lock_others(pc, locks))
		return 0;
	/* A dispatcher 0 a call moved meanwhile (from a CPU not locked
	 * then) lives where one of the locks now held keeps it, or the
	 * locked path wakes it; the same for a due call's server. */
	for (struct dispatcher *d = pc->timers; locks && d &&
					       (int64_t)(now - d->timer_deadline) >= 0;
	     d = d->timer_next) {
		if (d->cpu != pc->cpu_id && !(locks & (1ull << d->cpu))) {
			unlock_others(locks);
			return 0;
		}
	}
	if (due) {
		uint64_t need = 0;

		if (ipc_calls_expire_locks(now, &need) < 0 || (need & ~locks)) {
			unlock_others(locks);
			return 0;
		}
	}
	count_tick(pc, now);
	sched_timers_expire(now);	/* wakes each where it lives */
	if (due)
		expired = ipc_calls_expire(now);	/* each caller made ready here */
	unlock_others(locks);
	pc->calls_expired_unlocked += (uint64_t)expired;
	pc->timer_wakes_remote += remote;
	if (others & (others - 1))
		pc->ticks_multi_unlocked++;	/* (two or more other CPUs: the locked path before) */
	if (ipc_calls_timed_any())
		pc->ticks_timed_unlocked++;	/* (the one global list sent these to the locked path) */
	arch_timer_program(next_event(pc));
	return 1;
}

void timer_reprogram(void)
{
	arch_timer_program(next_event(this_cpu()));
}

uint64_t timer_timebase_hz(void)
{
	return tb_hz;
}

uint64_t timer_ticks(void)
{
	return this_cpu()->ticks;
}

uint64_t timer_us_to_tb(uint64_t us)
{
	return us * (tb_hz / 1000000);
}

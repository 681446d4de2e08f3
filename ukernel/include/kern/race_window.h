/*
 * Race windows: a kernel build that widens the windows its lock-free and
 * cross-CPU paths leave between reading (or publishing) shared state and
 * acting on it, so that an interleaving that comes once in hundreds of
 * runs comes in most (docs/smp.md, "Hunting races").
 *
 * race_window(one_in) marks such a point: a read of where another CPU's
 * dispatcher lives before that CPU's lock is taken (percpu_lock_other),
 * a call marked taken before its caller's page is copied, the registers
 * a fast-path exit loads after its lock is let go. Compiled with
 * K42_RACE_WINDOW_SPINS=N (the build's kernel-race.elf, which the race/
 * tests and ./k42 test --race-kernel boot), one passage in one_in (1 on
 * paths taken rarely, more on hot ones) spins there for 0 to N-1 loop
 * turns, both chosen from the timebase; in the normal kernel N is 0 and
 * the call compiles to nothing (it is still compiled, so it cannot rot).
 */
#ifndef KERN_RACE_WINDOW_H
#define KERN_RACE_WINDOW_H

#include <stdint.h>
#include <arch/spr.h>

#ifndef K42_RACE_WINDOW_SPINS
#define K42_RACE_WINDOW_SPINS 0
#endif

static inline void race_window(uint32_t one_in)
{
	if (K42_RACE_WINDOW_SPINS > 0) {
		/* Fibonacci hashing of the timebase (whose low bits step
		 * alike on every CPU) picks the passages and the lengths.
		 * Long windows catch what only a tick or another CPU's whole
		 * call lands in; on hot paths they are opened rarely, so the
		 * kernel stays fast enough to run storms. */
		uint64_t h = mftb() * 0x9e3779b97f4a7c15ull;

		if (one_in <= 1 || (h >> 32) % one_in == 0) {
			uint64_t n = (h >> 8) %
				     (K42_RACE_WINDOW_SPINS > 0 ? K42_RACE_WINDOW_SPINS : 1);

			for (volatile uint64_t i = 0; i < n; i++)
				;
		}
	}
}

#endif

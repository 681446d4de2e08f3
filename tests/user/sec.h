/*
 * Shared by the security regression tests and their helper (sec_helper):
 * the pid-reuse attack's churn, and starting a helper role.
 */
#ifndef USER_SEC_H
#define USER_SEC_H

#include <lib/fmt.h>
#include <k42/k42.h>
#include <k42/privilege.h>
#include <k42/procinfo.h>
#include <k42/ktrace.h>

/*
 * A process table (or quota) full of ended processes: they are reclaimed
 * after quiescence. Wait blocked, not by yielding: the caller may be of
 * the system class (init), and a yield never leaves the CPU to a lower
 * class (classes are strict, docs/kernel-interface.md), so what has to
 * run meanwhile might not; an idle CPU passes its quiescent points.
 */
static inline void churn_wait(void)
{
	k42_thread_sleep_us(1000);
}

/*
 * Create and end empty processes until one is given the slot `slot` of the
 * process table (a pid's low bits): the attack of issue 12 item 4. Returns
 * that process's pid, still alive, or 0 after two full turns of the table.
 */
static inline long churn_to_slot(uint64_t slot)
{
	for (uint32_t i = 0; i < 2 * (K42_PID_SLOT_MASK + 1); i++) {
		long pid = k42_sc_proc_create((uint64_t)"churn", 5, K42_PRIO_BACKGROUND);

		if (pid < 0) {
			churn_wait();
			continue;
		}
		if (((uint64_t)pid & K42_PID_SLOT_MASK) == (slot & K42_PID_SLOT_MASK))
			return pid;
		k42_sc_proc_kill((uint64_t)pid);
	}
	return 0;
}

/*
 * Arrange that the next process created lands in slot `slot` (which must
 * be free): find the slot the allocator hands out just before it, and
 * take and end a process there. 0, or -1 if that did not work out.
 */
static inline int churn_before_slot(uint64_t slot)
{
	uint64_t prev = 0;
	long pid = 0;

	for (uint32_t i = 0; i < 2 * (K42_PID_SLOT_MASK + 1) && !prev; i++) {
		long next = k42_sc_proc_create((uint64_t)"churn", 5, K42_PRIO_BACKGROUND);

		if (next < 0) {
			churn_wait();
			continue;
		}
		k42_sc_proc_kill((uint64_t)next);
		if (((uint64_t)next & K42_PID_SLOT_MASK) == (slot & K42_PID_SLOT_MASK))
			prev = pid > 0 ? (uint64_t)pid : 0;
		pid = next;
	}
	if (!prev || !(pid = churn_to_slot(prev)))
		return -1;
	k42_sc_proc_kill((uint64_t)pid);
	return 0;
}

/* What a sec_helper probe managed to do (its exit status). */
#define PROBE_SYSTEM_CLASS	0x1
#define PROBE_REALTIME_CLASS	0x2
#define PROBE_SOFTINTR		0x4	/* on a process it does not manage */
#define PROBE_CONSOLE		0x8
#define PROBE_TRACE		0x10
#define PROBE_ESCALATE		0x20	/* granted itself privileges */
#define PROBE_HEIR		0x40	/* its child could do something privileged */
#define PROBE_OWN_FAILED	0x80	/* could not start and poke its own child */

/* The words of a call the snoop role looks for (low 16 bits: a count). */
#define SNOOP_MARK	0x5ec2e75ec2e70000ul

/* The hog's memory: far more than its quota. */
#define HOG_VA		0x40000000ul
#define HOG_BYTES	(64ul << 20)

/* Start sec_helper in `role` with up to three numeric arguments. */
static inline long sec_spawn_priv(const char *role, unsigned prio, uint64_t privileges,
				  uint64_t a, uint64_t b, uint64_t c)
{
	static char nums[3][24];
	const char *argv[] = { "sec_helper", role, nums[0], nums[1], nums[2], NULL };
	struct k42_spawn_opts o = { argv, prio, k42_name_server, K42_SPAWN_SHARE_ARCHIVE,
				    privileges, 0 };

	k_snprintf(nums[0], sizeof(nums[0]), "%lu", a);
	k_snprintf(nums[1], sizeof(nums[1]), "%lu", b);
	k_snprintf(nums[2], sizeof(nums[2]), "%lu", c);
	return k42_spawn_path_ex("tests/sec_helper", &o);
}

static inline long sec_spawn(const char *role, unsigned prio, uint64_t a, uint64_t b, uint64_t c)
{
	return sec_spawn_priv(role, prio, 0, a, b, c);
}

#endif

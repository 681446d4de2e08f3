/*
 * Process ids, and what proc_list reports about each live process (for
 * ps-like tools).
 *
 * A pid is never reused: it is a slot of the kernel's process table (the
 * low K42_PID_SLOT_BITS bits) and that slot's generation (the bits above),
 * which grows each time the slot is taken again. A slot whose generation
 * would pass K42_PID_GEN_MAX is retired for good. Only the kernel's lookup
 * cares about the split; everyone else compares whole pids.
 */
#ifndef K42_PROCINFO_H
#define K42_PROCINFO_H

#include <stdint.h>

#define K42_PID_SLOT_BITS 12
#define K42_PID_SLOT_MASK ((1u << K42_PID_SLOT_BITS) - 1)
#define K42_PID_GEN_MAX ((1u << (31 - K42_PID_SLOT_BITS)) - 1)	/* pids stay positive ints */

struct k42_procinfo {
	uint32_t pid;
	uint32_t parent;
	int32_t state;		/* K42_PROC_* */
	uint32_t prio;		/* K42_PRIO_* class of its dispatcher */
	uint64_t upcalls;	/* entries into its dispatcher so far */
	char name[32];
	uint64_t privileges;	/* K42_PRIV_* it holds (k42/privilege.h) */
	uint32_t cpu;		/* the CPU its dispatcher runs or last ran on */
	uint32_t running;	/* 1: on that CPU right now */
	uint32_t in_call;	/* pid of the server its dispatcher waits on in a synchronous
				 * call (made, queued or held there), 0 if none */
	uint32_t uid, gid;	/* its credentials (proc_cred): what file servers check */
	uint32_t reserved;
	uint64_t utime_tb;	/* CPU time of its dispatchers, timebase ticks, sampled */
	uint64_t stime_tb;	/* by the tick (see struct k42_proctimes) */
};

/* proc_times(pid, buf): the CPU time of a live process, or of one that
 * ended while its pid's slot is not yet taken again (a parent reaping a
 * child reads it after proc_status). Timebase ticks (K42_INFO_TIMEBASE_HZ
 * a second), sampled: each tick charges its whole period to the
 * dispatcher it finds running. System time is what a dispatcher whose
 * calls are reflected (the Linux personality) spends disabled, in the
 * personality; all other time is user time. */
struct k42_proctimes {
	uint64_t utime_tb;
	uint64_t stime_tb;
};

#endif

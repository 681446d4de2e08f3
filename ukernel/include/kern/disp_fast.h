/*
 * The "may be entered fast" word of a dispatcher (d->fast_off): one bit
 * per rarely-changing condition that keeps arch/ppc64/kern/ppc_fast.S
 * from taking a call or reply for it, so the assembly tests one word
 * instead of loading each field (docs/performance.md). 0 means none of
 * them holds; the fields stay the truth and everything else (kern/ppc.c,
 * kern/ppc_fast.c) still reads them.
 *
 * The bits are derived in one place, disp_fast_sync, from the fields
 * themselves, and every path that writes one of those fields calls it for
 * the bits it changed (each bit is set or cleared atomically on its own,
 * so writers of different fields under different locks cannot undo each
 * other's bit). A new dispatcher starts with every bit set (slow) until
 * its first sync. Being conservative is always safe: a set bit only
 * sends a call to the C paths, which decide from the fields.
 * tests/user/ppc_fastword_test.c flips each condition and checks that
 * the fast path declines; sys_info(K42_INFO_PPC_FAST_WORD_STALE) counts
 * dispatchers whose word disagrees with its fields.
 */
#ifndef KERN_DISP_FAST_H
#define KERN_DISP_FAST_H

#include <k42/layout.h>
#include <kern/dispatcher.h>
#include <kern/process.h>

#define FAST_OFF_REFLECT	0x01	/* reflect_sc: its `sc`s may go to user mode */
#define FAST_OFF_TIMED		0x02	/* call_timed: on ppc.c's list of bounded calls */
#define FAST_OFF_FR_UNSENT	0x04	/* fr_unsent: page-in messages owed */
#define FAST_OFF_BACKLOG	0x08	/* npgflt_backlog: fault completions owed */
#define FAST_OFF_ENTRY		0x10	/* no IPC-call entry (0 or not a user address) */
#define FAST_OFF_PROC		0x20	/* its process not running, redirected, or with vps[1] */
#define FAST_OFF_ALL		0x3f

/* What each side of ppc_fast.S tests (asm-offsets.c exports them). */
#define FAST_OFF_CALL_CALLER	(FAST_OFF_REFLECT | FAST_OFF_TIMED | FAST_OFF_FR_UNSENT)
#define FAST_OFF_CALL_SERVER	(FAST_OFF_FR_UNSENT | FAST_OFF_BACKLOG | FAST_OFF_ENTRY | FAST_OFF_PROC)
#define FAST_OFF_REPLY_SERVER	(FAST_OFF_REFLECT | FAST_OFF_FR_UNSENT)
#define FAST_OFF_REPLY_CALLER	(FAST_OFF_FR_UNSENT | FAST_OFF_BACKLOG)

/* The bits of d's word as its fields say now. */
static inline uint32_t disp_fast_bits(const struct dispatcher *d)
{
	const struct process *p = d->proc;
	uint64_t e = d->entries[K42_ENTRY_IPC_CALL];
	uint32_t off = 0;

	if (d->reflect_sc)
		off |= FAST_OFF_REFLECT;
	if (d->call_timed)
		off |= FAST_OFF_TIMED;
	if (d->fr_unsent)
		off |= FAST_OFF_FR_UNSENT;
	if (d->npgflt_backlog)
		off |= FAST_OFF_BACKLOG;
	if (!e || e >= K42_USER_TOP)
		off |= FAST_OFF_ENTRY;
	if (!p || p->state != K42_PROC_RUNNING || p->redirected || p->vps[1])
		off |= FAST_OFF_PROC;
	return off;
}

/* After a write of the fields behind `bits`: d's word says so again. */
static inline void disp_fast_sync(struct dispatcher *d, uint32_t bits)
{
	uint32_t now = disp_fast_bits(d);

	if (now & bits)
		__atomic_or_fetch(&d->fast_off, now & bits, __ATOMIC_RELAXED);
	if (~now & bits)
		__atomic_and_fetch(&d->fast_off, ~(~now & bits), __ATOMIC_RELAXED);
}

/* The process-wide bit (tested on its dispatcher 0, the one the assembly
 * enters as a server), after p's state, successor or dispatchers change. */
static inline void proc_fast_sync(struct process *p)
{
	disp_fast_sync(&p->disp, FAST_OFF_PROC);
	for (int i = 1; i < K42_VPS_MAX && p->vps[i]; i++)
		disp_fast_sync(p->vps[i], FAST_OFF_PROC);
}

#endif

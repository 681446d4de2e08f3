/*
 * Hostile programs against mem_expose (kernel call 67) and mem_read of an
 * exposed range, proc_times and fr_complete (run as init; docs/security.md,
 * "Regression tests"). Targets and readers are siblings (children of
 * this test), so a reader never manages its target: every read goes by
 * the exposure and user-id rules (kern/process.h, process_may_peek).
 * Helper: tests/user/hostile_expose.c (its modes say what each checks).
 */
#include "check.h"

#define WIN 0x50000000ul
#define WIN_LEN (64ul << 10)
#define READY (WIN + 4 * WIN_LEN)
#define COUNT 0x60000000ul	/* the ending target's reader's reads */

static long spawn(unsigned mode, unsigned uid, uint64_t pid)
{
	long p = k42_spawn_path("tests/hostile_expose", K42_PRIO_GENERAL,
				mode | (uint64_t)uid << 8 | pid << 32);

	EXPECT(p > 0, "spawn mode %u: %ld", mode, p);
	return p;
}

/* The child's exit status (-1000 - state if it did not exit). */
static int run(unsigned mode, unsigned uid, uint64_t pid)
{
	int status = 0, state;
	long p = spawn(mode, uid, pid);

	if (p <= 0)
		return -1;
	state = k42_wait((uint64_t)p, &status);
	return state == K42_PROC_EXITED ? status : -1000 - state;
}

/* A target that has exposed its window; its FR's handle in *fr. */
static long target(unsigned mode, unsigned uid, uint64_t *fr)
{
	long t = spawn(mode, uid, 0);
	uint64_t ready[2] = { 0, 0 };

	for (int i = 0; t > 0 && i < 30000; i++) {
		if (k42_sc_mem_read((uint64_t)t, READY, (uint64_t)ready, 16) == 0 && ready[0] == 1)
			break;
		k42_thread_sleep_us(1000);
	}
	EXPECT(ready[0] == 1, "target mode %u never ready", mode);
	if (fr)
		*fr = ready[1];
	return t;
}

static void end(long t)
{
	int status;

	k42_sc_proc_kill((uint64_t)t);
	k42_wait((uint64_t)t, &status);
}

int main(uint64_t arg)
{
	uint64_t fr = 0;
	long t;
	int rc, status, state;


	(void)arg;
	t = target(0, 1000, &fr);
	rc = run(3, 1000, (uint64_t)t);
	EXPECT(rc == 0, "same-uid reader: check %d failed", rc);
	rc = run(3, 0, (uint64_t)t);
	EXPECT(rc == 0, "uid-0 reader: check %d failed", rc);
	rc = run(4, 2000, (uint64_t)t);
	EXPECT(rc == 0, "other-uid reader: check %d failed", rc);
	EXPECT(fr && fr < (uint64_t)-4096, "target's FR: %#lx", fr);	/* (a handle, not an error) */
	rc = run(7, (unsigned)(fr & 0xffffff), fr >> 32);	/* (hostile_expose.c: its handle) */
	EXPECT(rc == 0, "attacker: check %d failed", rc);
	/* Its ids set again to the same user id: the window stays open. */
	EXPECT(k42_sc_proc_cred((uint64_t)t, 1000, 1001) == 0, "same uid again");
	rc = run(3, 1000, (uint64_t)t);
	EXPECT(rc == 0, "same-uid reader after a gid change: check %d failed", rc);
	/* Exposed, then unmapped under the reader. */
	EXPECT(k42_sc_mem_unmap((uint64_t)t, WIN, 2 * WIN_LEN) == 0, "unmap the target's window");
	rc = run(6, 1000, (uint64_t)t);
	EXPECT(rc == 0, "reader of an unmapped window: check %d failed", rc);
	end(t);
	/* Withdrawn. */
	t = target(1, 1000, NULL);
	rc = run(4, 1000, (uint64_t)t);
	EXPECT(rc == 0, "reader of a withdrawn exposure: check %d failed", rc);
	end(t);
	/* Exposed by root (readable by root only), then moved to user 1000:
	 * the window was not for that user's processes, so a new user id
	 * withdraws it (kern/sys_proc.c sys_proc_cred). */
	t = target(0, 0, NULL);
	rc = run(4, 1000, (uint64_t)t);
	EXPECT(rc == 0, "other-uid reader of root's window: check %d failed", rc);
	EXPECT(k42_sc_proc_cred((uint64_t)t, 1000, 1000) == 0, "root's target to uid 1000");
	rc = run(4, 1000, (uint64_t)t);
	EXPECT(rc == 0, "reader of the uid it dropped to: check %d failed (window kept)", rc);
	rc = run(4, 0, (uint64_t)t);
	EXPECT(rc == 0, "uid-0 reader after the drop: check %d failed (window kept)", rc);
	end(t);
	/* Ending while read. */
	for (int r = 0; r < 5; r++) {
		uint64_t n = 0, go = 1;
		long rd;

		t = target(2, 1000, NULL);
		rd = spawn(5, 1000, (uint64_t)t);
		for (int i = 0; rd > 0 && i < 30000 && n < 10 * (uint64_t)(r + 1); i++) {
			k42_sc_mem_read((uint64_t)rd, COUNT, (uint64_t)&n, 8);
			k42_thread_sleep_us(200);
		}
		EXPECT(n > 0, "round %d: the reader never read", r);
		EXPECT(k42_sc_mem_write((uint64_t)t, READY + 16, (uint64_t)&go, 8) == 0, "go");
		state = k42_wait((uint64_t)rd, &status);
		EXPECT(state == K42_PROC_EXITED && status == 0,
		       "round %d: reader of an ending target: %d/check %d failed", r, state, status);
		state = k42_wait((uint64_t)t, &status);
		EXPECT(state == K42_PROC_EXITED && status == 0, "ending target %d/%d", state, status);
	}
	EXPECT(k42_sc_null() == 0, "the kernel still answers");
	EXPECT(k42_info(K42_INFO_PROCESSES) == 1, "%lu processes left", k42_info(K42_INFO_PROCESSES));
	return verdict("hostile_expose_test");
}

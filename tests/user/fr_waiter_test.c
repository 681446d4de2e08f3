/*
 * Page-in waiters must not outlive their dispatcher (issue 12 item 1), run
 * as init. This test serves an FR itself and never answers until the end.
 * Two children fault on its page (one reflected, one waiting in the
 * kernel) and are killed; once their memory is reclaimed, new processes
 * are created (reusing it), and only then is the page answered. Nothing
 * of the dead waiters may reach the new processes: their shared pages
 * must show no page-fault completion.
 */
#include "check.h"
#include "pagein_child.h"

#define CHILD_VA 0x50000000ul
#define NEW_PROCS 6

/* The page is mapped into child pid: let it read (0, or the error once it
 * has had 2 s to map its word). */
static long tell_child(long pid)
{
	uint64_t one = 1;
	long rc = -1;

	for (int i = 0; i < 2000 && rc < 0; i++) {
		rc = k42_sc_mem_write((uint64_t)pid, PAGEIN_GO_VA, (uint64_t)&one, sizeof(one));
		if (rc < 0)
			k42_thread_sleep_us(1000);
	}
	return rc;
}

int main(uint64_t arg)
{
	uint64_t self = k42_info(K42_INFO_PID);
	long fr, kids[2], fresh[NEW_PROCS], rc;
	struct k42_disp_shared sh;
	int bad = 0;

	(void)arg;
	fr = k42_sc_fr_create(42, K42_PAGE_SIZE);
	EXPECT(fr > 0, "fr_create: %ld", fr);
	for (int i = 0; i < 2; i++) {
		kids[i] = k42_spawn_path("tests/pagein_child", K42_PRIO_GENERAL, (uint64_t)i);
		EXPECT(kids[i] > 0, "spawn: %ld", kids[i]);
		rc = k42_sc_mem_map_file((uint64_t)kids[i], CHILD_VA, K42_PAGE_SIZE, K42_PROT_READ,
					 (uint64_t)fr);
		EXPECT(rc == 0, "map into child: %ld", rc);
		EXPECT(tell_child(kids[i]) == 0, "tell child %d", i);	/* it reads from now on */
	}
	k42_thread_sleep_us(30000);	/* both fault and wait for us */
	for (int i = 0; i < 2; i++) {
		int state, status;
		uint64_t out[1];

		rc = k42_sc_proc_status((uint64_t)kids[i], out);
		EXPECT(rc == K42_PROC_RUNNING, "child %d state %ld before the kill", i, rc);
		EXPECT(k42_sc_proc_kill((uint64_t)kids[i]) == 0, "kill child %d", i);
		state = k42_wait((uint64_t)kids[i], &status);
		EXPECT(state == K42_PROC_KILLED, "child %d ended %d", i, state);
	}
	EXPECT(settle_deferred(30) == 0, "dead children not reclaimed");
	for (int i = 0; i < NEW_PROCS; i++) {
		fresh[i] = k42_sc_proc_create((uint64_t)"fresh", 5, K42_PRIO_GENERAL);
		EXPECT(fresh[i] > 0, "proc_create: %ld", fresh[i]);
	}
	/* Answer the page now: the waiters are gone. */
	for (uint64_t i = 0; i < K42_PAGE_SIZE; i++)
		((uint8_t *)k42_ppc_page())[i] = 0x5a;
	rc = k42_sc_fr_complete((uint64_t)fr, 0, 0);
	EXPECT(rc == 0, "fr_complete: %ld", rc);
	for (int i = 0; i < NEW_PROCS; i++) {
		if (fresh[i] <= 0)
			continue;
		rc = k42_sc_mem_read((uint64_t)fresh[i], K42_DISP_VA, (uint64_t)&sh, sizeof(sh));
		EXPECT(rc == 0, "read shared page: %ld", rc);
		if (rc == 0 && (sh.pgflt_head != 0 || (sh.pending & K42_SOFTINTR_PGFLT))) {
			k42_printf("fr_waiter_test: new process %ld got a dead waiter's completion "
				   "(pgflt_head %lu, pending 0x%lx)\n", fresh[i], sh.pgflt_head,
				   sh.pending);
			bad++;
		}
		k42_sc_proc_kill((uint64_t)fresh[i]);
	}
	EXPECT(bad == 0, "%d new processes got completions meant for dead ones", bad);
	/* The page is in core now: a new reader gets it at once. */
	kids[0] = k42_spawn_path("tests/pagein_child", K42_PRIO_GENERAL, 0);
	if (kids[0] > 0) {
		int status = 0;

		EXPECT(k42_sc_mem_map_file((uint64_t)kids[0], CHILD_VA, K42_PAGE_SIZE, K42_PROT_READ,
					   (uint64_t)fr) == 0, "map into the last child");
		EXPECT(tell_child(kids[0]) == 0, "tell the last child");
		EXPECT(k42_wait((uint64_t)kids[0], &status) == K42_PROC_EXITED && status == 0x5a,
		       "the last child read 0x%x", status);
	}
	(void)self;
	return verdict("fr_waiter_test");
}

/*
 * Issue 12 item 15 (run as init): proc_status tells the truth through a
 * child's whole life: CREATED before proc_start, RUNNING after, and how it
 * ended afterwards (and for as long as its slot is not reused).
 */
#include "check.h"
#include "sec.h"

int main(uint64_t arg)
{
	uint64_t out[1] = { 0 };
	long created, child, rc;
	int status = -1, state;

	(void)arg;
	created = k42_sc_proc_create((uint64_t)"empty", 5, K42_PRIO_GENERAL);
	EXPECT(created > 0, "proc_create: %ld", created);
	rc = k42_sc_proc_status((uint64_t)created, out);
	EXPECT(rc == K42_PROC_CREATED, "created child: state %ld", rc);
	EXPECT(k42_sc_proc_kill((uint64_t)created) == 0, "kill the empty child");
	rc = k42_sc_proc_status((uint64_t)created, out);
	EXPECT(rc == K42_PROC_KILLED && (long)out[0] == -1, "killed child: state %ld status %ld",
	       rc, (long)out[0]);

	child = sec_spawn("spin", K42_PRIO_GENERAL, 0, 0, 0);
	EXPECT(child > 0, "spawn: %ld", child);
	rc = k42_sc_proc_status((uint64_t)child, out);
	EXPECT(rc == K42_PROC_RUNNING, "started child: state %ld (want RUNNING %d)", rc,
	       K42_PROC_RUNNING);
	k42_thread_sleep_us(1000);
	rc = k42_sc_proc_status((uint64_t)child, out);
	EXPECT(rc == K42_PROC_RUNNING, "blocked child: state %ld", rc);
	EXPECT(k42_sc_proc_kill((uint64_t)child) == 0, "kill");
	state = k42_wait((uint64_t)child, &status);
	EXPECT(state == K42_PROC_KILLED, "ended child: state %d", state);
	/* A pid nobody ever had, and one outside 32 bits. */
	EXPECT(k42_sc_proc_status((uint64_t)child + (K42_PID_SLOT_MASK + 1) * 7, out) == -K42_ESRCH,
	       "a later generation of the slot");
	EXPECT(k42_sc_proc_status(((uint64_t)1 << 32) | (uint64_t)child, out) == -K42_ESRCH,
	       "pid with high bits");
	return verdict("proc_state_test");
}

/*
 * Process control (idl/proc.idl), answered by libk42 in every process:
 * read and swap another process's user-level scheduler while it runs,
 * and its thread figures, for a program that never called k42_serve and
 * for a server that did; and the same on ourselves (answered locally).
 */
#include <string.h>
#include "check.h"
#include "suite.h"

static void swap_on(uint64_t pid, const char *who)
{
	char policy[32];
	long rc;

	rc = k42_proc_get_sched(pid, policy, sizeof(policy));
	EXPECT(rc == 0 && strcmp(policy, "fifo") == 0, "%s starts fifo: %ld %s\n", who, rc, policy);
	rc = k42_proc_set_sched(pid, "lottery");
	EXPECT(rc == 0, "%s: set lottery: %ld\n", who, rc);
	rc = k42_proc_get_sched(pid, policy, sizeof(policy));
	EXPECT(rc == 0 && strcmp(policy, "lottery") == 0, "%s: now %s\n", who, policy);
	rc = k42_proc_set_sched(pid, "no-such-policy");
	EXPECT(rc == -K42_ENOENT, "%s: unknown policy: %ld\n", who, rc);
	rc = k42_proc_set_sched(pid, "prio");
	EXPECT(rc == 0, "%s: set prio: %ld\n", who, rc);
	rc = k42_proc_get_sched(pid, policy, 3);
	EXPECT(rc == -K42_E2BIG, "%s: small buffer: %ld\n", who, rc);
}

int main(uint64_t arg)
{
	uint64_t alive = 0, created = 0, me = k42_info(K42_INFO_PID);
	long child, kv, rc;

	(void)arg;
	child = k42_spawn_path("tests/proc_child", K42_PRIO_GENERAL, 0);
	EXPECT(child > 0, "proc_child: %ld\n", child);
	k42_thread_sleep_us(5000);	/* let it create its threads */
	rc = k42_proc_info((uint64_t)child, &alive, &created);
	EXPECT(rc == 0 && alive == 4 && created == 3, "child info: %ld alive %lu created %lu\n",
	       rc, alive, created);
	swap_on((uint64_t)child, "proc_child");
	/* Its sleeping threads moved across policies and still run. */
	k42_thread_sleep_us(5000);
	rc = k42_proc_info((uint64_t)child, &alive, &created);
	EXPECT(rc == 0 && alive == 4, "after swaps: %ld alive %lu\n", rc, alive);

	suite_name_server(NULL);
	kv = suite_server("servers/kv", "kv", 0);
	EXPECT(kv > 0, "kv: %ld\n", kv);
	swap_on((uint64_t)kv, "kv server");
	EXPECT(k42_name_lookup("kv", NULL, NULL) == 0, "kv still serves names\n");

	swap_on(me, "myself");
	EXPECT(k42_proc_info(me, &alive, &created) == 0 && alive >= 1, "my own info\n");
	EXPECT(k42_proc_get_sched(99999, (char[32]){ 0 }, 32) == -K42_ESRCH, "no such process\n");
	k42_sc_proc_kill((uint64_t)child);
	return verdict("proc_test");
}

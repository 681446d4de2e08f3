/*
 * The "may be entered fast" word (kern/disp_fast.h), run as init at one
 * CPU: the assembly fast path (arch/ppc64/kern/ppc_fast.S) tests one word
 * per dispatcher instead of each rarely-changing field, so each condition
 * it summarises is flipped here and the assembly must then decline every
 * call (the C paths decide from the fields), and take calls again once the
 * condition is gone:
 *  - the caller reflects its `sc`s (disp_reflect),
 *  - the caller has a bounded call outstanding (call_timed),
 *  - the server is redirected to a successor (ipc_redirect),
 *  - the server has a second dispatcher,
 *  - the server has ended.
 * Calls the assembly took are K42_INFO_PPC_FAST_CALLS less
 * K42_INFO_PPC_FAST_C_CALLS; after every step no dispatcher's word may
 * disagree with its fields (K42_INFO_PPC_FAST_STALE). Every reply is
 * checked, and which server gave it.
 */
#include "check.h"
#include <k42/vp.h>

#define WORD_IFACE 0x5057
#define N 200

static uint64_t op(uint32_t ord)
{
	return k42_ipc_op(WORD_IFACE, 1, ord, 0, 0);
}

static uint64_t asm_calls(void)
{
	return k42_info(K42_INFO_PPC_FAST_CALLS) - k42_info(K42_INFO_PPC_FAST_C_CALLS);
}

/* n null calls to `to` (disabled throughout, so that every `sc` reaches
 * the kernel even while reflecting): returns how many the assembly took;
 * *wrong counts bad replies (not from the server with `marker`, or rc
 * other than `want_rc`). */
static uint64_t calls(long to, int n, uint64_t marker, long want_rc, uint64_t *wrong)
{
	uint64_t before;
	int s = k42_disable_save();

	before = asm_calls();
	for (int i = 0; i < n; i++) {
		struct k42_ipc_msg m = { op(1), { 1000 + (uint64_t)i }, 0, NULL };
		long rc = k42_call((uint64_t)to, &m, 1);

		if (rc != want_rc || (rc == 0 && (m.w[0] != 1001 + (uint64_t)i || m.w[1] != marker)))
			(*wrong)++;
	}
	before = asm_calls() - before;
	k42_restore(s);
	return before;
}

static long ask(long to, uint32_t ord, uint64_t w0)
{
	struct k42_ipc_msg m = { op(ord), { w0 }, 0, NULL };
	long rc = k42_call((uint64_t)to, &m, 1);

	return rc < 0 ? rc : (long)m.w[0];
}

static void stale(const char *when)
{
	uint64_t n = k42_info(K42_INFO_PPC_FAST_STALE);

	EXPECT(n == 0, "%lu dispatchers' fast words stale %s", n, when);
}

/* A calm phase must be taken by the assembly nearly always (a tick inside
 * the server's handler costs a call the fast path); a flipped condition
 * never. */
static void fast(long to, uint64_t marker, const char *when)
{
	uint64_t wrong = 0, a;

	k42_thread_sleep_us(20000);	/* the server waits idle now */
	a = calls(to, N, marker, 0, &wrong);
	k42_printf("ppc_fastword_test: %s: %d calls, %lu wrong, %lu taken by the assembly\n", when,
		   N, wrong, a);
	EXPECT(wrong == 0, "%lu wrong replies %s", wrong, when);
	EXPECT(a >= N / 2 && a <= N, "%lu of %d calls taken by the assembly %s", a, N, when);
	stale(when);
}

static void slow(long to, uint64_t marker, long want_rc, const char *when)
{
	uint64_t wrong = 0, a;

	k42_thread_sleep_us(20000);
	a = calls(to, N, marker, want_rc, &wrong);
	k42_printf("ppc_fastword_test: %s: %d calls, %lu wrong, %lu taken by the assembly\n", when,
		   N, wrong, a);
	EXPECT(wrong == 0, "%lu wrong replies %s", wrong, when);
	EXPECT(a == 0, "%lu of %d calls taken by the assembly %s", a, N, when);
	stale(when);
}

static long start(uint64_t marker)
{
	long pid = k42_spawn_path("tests/ppc_fastword_server", K42_PRIO_SYSTEM, marker);
	uint64_t until = k42_timebase() + 60 * k42_info(K42_INFO_TIMEBASE_HZ);

	EXPECT(pid > 0, "spawn: %ld", pid);
	while (pid > 0 && ask(pid, 1, 0) != 1) {
		if (k42_timebase() > until) {
			EXPECT(0, "server %lu never answered", marker);
			return -1;
		}
		k42_thread_sleep_us(2000);
	}
	return pid;
}

int main(uint64_t arg)
{
	long s1, s2, rc;
	uint64_t wrong = 0, a;
	int s;

	(void)arg;
	EXPECT(k42_info(K42_INFO_CPUS_ONLINE) == 1, "run at one CPU");
	stale("at start");
	s1 = start(1);
	s2 = start(2);
	if (s1 <= 0 || s2 <= 0)
		return verdict("ppc_fastword_test");
	fast(s1, 1, "plain");

	/* The caller reflects its calls: disabled, its `sc`s still reach
	 * the kernel (and the C path takes them), but not the assembly. */
	s = k42_disable_save();
	rc = k42_sc_disp_reflect(1);
	EXPECT(rc == 0, "disp_reflect(1): %ld", rc);
	a = calls(s1, N, 1, 0, &wrong);
	stale("reflecting");
	rc = k42_sc_disp_reflect(0);
	EXPECT(rc == 0, "disp_reflect(0): %ld", rc);
	k42_restore(s);
	k42_printf("ppc_fastword_test: reflecting: %d calls, %lu wrong, %lu taken by the assembly\n",
		   N, wrong, a);
	EXPECT(wrong == 0 && a == 0, "reflecting: %lu wrong, %lu taken by the assembly", wrong, a);
	fast(s1, 1, "reflection ended");

	/* A bounded call: it leaves call_timed set until the next call or
	 * tick unlinks it (the word must say so meanwhile), then the
	 * assembly takes calls again. */
	k42_ipc_set_timeout_us(5000000);
	EXPECT(ask(s1, 1, 7) == 8, "a bounded call");
	stale("after a bounded call");
	k42_ipc_set_timeout_us(0);
	fast(s1, 1, "after a bounded call");

	/* The server hands its callers to s2: calls to s1 are s2's, and
	 * the assembly (which would enter s1) takes none. */
	rc = ask(s1, 3, (uint64_t)s2);
	EXPECT(rc == 0, "redirect: %ld", rc);
	slow(s1, 2, 0, "redirected");
	fast(s2, 2, "the successor");

	/* A second dispatcher in the server. */
	rc = ask(s2, 2, 0);
	EXPECT(rc > 0, "vp_start in the server: %ld", rc);
	slow(s2, 2, 0, "two dispatchers");

	/* Dead servers. */
	EXPECT(k42_sc_proc_kill((uint64_t)s2) == 0, "kill s2");
	EXPECT(k42_sc_proc_kill((uint64_t)s1) == 0, "kill s1");
	k42_thread_sleep_us(20000);
	a = calls(s2, N, 2, -K42_ESRCH, &wrong);
	EXPECT(a == 0, "%lu calls to a dead server taken by the assembly", a);
	stale("at the end");
	k42_printf("ppc_fastword_test: dead: %lu wrong\n", wrong);
	return verdict("ppc_fastword_test");
}

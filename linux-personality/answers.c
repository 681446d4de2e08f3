/*
 * Calls the kernel answers for the personality (disp_answer, docs/linux.md
 * "Answered calls"): getpid, getppid, getuid, geteuid, getgid, getegid
 * and, while the process has one thread, gettid, whose results are
 * constants of the process. The kernel gives them their value with no
 * upcall (a quarter of a reflected call's cost), but only while nothing
 * else must happen on a call's way back: no signal pending (one is
 * delivered when a call returns) and no SIGCHLD handler (next_signal
 * polls for ended children at every call). Otherwise the answers are
 * off and every call comes here, as before.
 */
#include "lx.h"

static int on;	/* the kernel's answers_on, as we last set it */

static void set(uint64_t nr, uint64_t value)
{
	if (k42_sc_disp_answer(K42_ANSWER_SET, nr, value) < 0)
		k42_fatal("lx: disp_answer failed");
}

/* Start, exec and a fork's child: the values of this process (the
 * table is the dispatcher's: a fork's child starts with none). */
void lx_answers_init(void)
{
	set(LX_NR_getpid, lx.pid);
	set(LX_NR_getppid, lx.ppid);
	set(LX_NR_getuid, 0);
	set(LX_NR_geteuid, 0);
	set(LX_NR_getgid, 0);
	set(LX_NR_getegid, 0);
	if (lx_nthreads == 1)
		set(LX_NR_gettid, lx_gettid());
	else
		(void)k42_sc_disp_answer(K42_ANSWER_CLEAR, LX_NR_gettid, 0);
	on = 0;
	lx_answers_sync();
}

/* A second thread: gettid depends on who asks. */
void lx_answers_threads(void)
{
	(void)k42_sc_disp_answer(K42_ANSWER_CLEAR, LX_NR_gettid, 0);
}

/* On every call's way back: answers on exactly when nothing waits for a
 * call to happen. */
void lx_answers_sync(void)
{
	int want = lx_sig_quiet();

	if (want != on) {
		(void)k42_sc_disp_answer(want ? K42_ANSWER_ON : K42_ANSWER_OFF, 0, 0);
		on = want;
	}
}

/* A signal became pending (perhaps while the program runs): the next
 * call of any kind must come here to deliver it. */
void lx_answers_off(void)
{
	if (on) {
		(void)k42_sc_disp_answer(K42_ANSWER_OFF, 0, 0);
		on = 0;
	}
}

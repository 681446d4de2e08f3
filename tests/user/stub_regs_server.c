/*
 * The server of stub_regs_test: idl/bench.idl through the generated
 * dispatcher, and its register-level entries registered (k42_serve_regs,
 * docs/idl.md "Register-level entries"). The handler counts the bench
 * calls that reach it, so the test can tell which path served a call;
 * ordinal 1 of the raw interface REGS_PROBE answers that count, and
 * whether the server has settled: main has registered the entries, and
 * no timer or event of its start (the turns its calls and main took,
 * calls_turn.c) is left to come.
 */
#include <k42/k42.h>
#include <k42/timer.h>
#include "bench.h"

#define REGS_PROBE 0x4b43

static uint64_t via_handler;	/* bench calls the handler saw */
static volatile uint64_t ready;	/* the entries are registered */
/* Another interface's (empty) table: refused while bench's is registered. */
static const struct k42_ipc_regs other = { REGS_PROBE, 0, 0 };
/* A table whose empty slot keeps op word 0, not ~0: a client sending op 0
 * would name a null entry, so it is refused. */
static const struct k42_ipc_reg_method holey_m[] = { { 0, NULL } };
static const struct k42_ipc_regs holey = { REGS_PROBE, 1, holey_m };

long bench_null_impl(const struct k42_ipc_caller *caller)
{
	(void)caller;
	return 0;
}

/* inc of ~0 fails with -K42_ERANGE: an implementation's error. */
long bench_inc_impl(const struct k42_ipc_caller *caller, uint64_t a, uint64_t *b)
{
	(void)caller;
	if (a == ~0ull)
		return -K42_ERANGE;
	*b = a + 1;
	return 0;
}

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	struct k42_ipc_caller who = { caller, 0, ~0ull };

	if (k42_ipc_op_iface(m->op) == REGS_PROBE) {
		m->op = 0;
		m->len = 0;
		m->w[0] = via_handler;
		m->w[1] = ready && k42_timer_next() == UINT64_MAX && !k42_disp()->pending;
		return;
	}
	via_handler++;
	(void)bench_dispatch(&who, m);
}

int main(uint64_t arg)
{
	(void)arg;
	k42_serve(handle);
	if (k42_serve_regs(&holey, 0) != -K42_EINVAL)
		return 1;
	if (k42_serve_regs(&bench_regs, ~0ull) != 0 || k42_serve_regs(&other, 0) != -K42_EBUSY)
		return 1;
	ready = 1;
	/* Wait at user level, so the dispatcher idles with no context and
	 * each call enters it afresh (libk42's lean path; a program blocked
	 * in k42_sc_block has its context saved, and takes the full path). */
	struct k42_sem forever;

	k42_sem_init(&forever, 0);
	for (;;)
		k42_sem_wait(&forever);
}

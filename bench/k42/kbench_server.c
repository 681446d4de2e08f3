/*
 * The server side of kbench: ordinal 0 answers at once;
 * ordinal 1 reads the PPC-page payload and answers its checksum; the
 * `bench` IDL interface (idl/bench.idl) goes through generated stubs, its
 * null and inc methods (the null PPC and the stub rows) through their
 * register-level entries;
 * ordinal 2 reads w0 bytes the caller lent by reference (a grant) and
 * answers the sum of their first and last words. Started with argument 1
 * it serves in thread mode instead, and ordinal 3 blocks: its thread
 * defers the call and another thread replies (w0 + 1).
 */
#include <k42/k42.h>
#include "bench.h"

/* The implementations generated bench_dispatch() calls. */
long bench_null_impl(const struct k42_ipc_caller *caller)
{
	(void)caller;
	return 0;
}

long bench_inc_impl(const struct k42_ipc_caller *caller, uint64_t a, uint64_t *b)
{
	(void)caller;
	*b = a + 1;
	return 0;
}

static uint64_t big[64 * 1024 / 8];

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	if (k42_ipc_op_iface(m->op) == BENCH_IFACE_ID) {
		struct k42_ipc_caller who = { caller, 0, ~0ull };

		bench_dispatch(&who, m);
		return;
	}
	if (k42_ipc_op_ordinal(m->op) == 2) {
		uint64_t n = m->w[0] / 8;
		long rc = n && n <= sizeof(big) / 8
				  ? k42_ipc_grant_read(k42_ipc_handle(), 0, big, n * 8)
				  : -K42_EINVAL;

		m->op = (uint64_t)rc;
		m->len = 0;
		m->w[0] = rc == 0 ? big[0] + big[n - 1] : 0;
		return;
	}
	if (k42_ipc_op_ordinal(m->op) == 1) {
		const uint64_t *p = (const uint64_t *)m->page;
		uint64_t sum = 0;

		for (uint32_t i = 0; i < m->len / 8; i++)
			sum += p[i];
		m->w[0] = sum;
	}
	m->op = 0;
	m->len = 0;
}

/* Thread mode: deferred calls, answered by the replier thread. Each
 * call runs on its own thread, and a call arriving while the dispatcher
 * is enabled switches to its new thread at once, so the queue is
 * changed with upcalls disabled: two calls interleaved between claiming
 * a slot and filling it would lose one handle, and its caller would
 * wait for ever. (One dispatcher: disabling it is enough.) */
#define QMAX 64
static uint64_t q_h[QMAX], q_w[QMAX];
static unsigned q_head, q_tail;
static struct k42_sem q_sem;

static void blocking(uint64_t caller, struct k42_ipc_msg *m)
{
	int s = k42_disable_save();
	unsigned slot = q_head % QMAX;

	if (k42_ipc_op_ordinal(m->op) != 3 || q_head - q_tail == QMAX) {
		k42_restore(s);
		handle(caller, m);
		return;
	}
	q_w[slot] = m->w[0];
	q_h[slot] = k42_ipc_defer();
	q_head++;
	k42_restore(s);
	k42_sem_post(&q_sem);
}

static void *replier(void *arg)
{
	(void)arg;
	for (;;) {
		struct k42_ipc_msg r = { 0, { 0 }, 0, k42_ppc_page() };
		uint64_t h;
		int s;

		k42_sem_wait(&q_sem);
		s = k42_disable_save();
		h = q_h[q_tail % QMAX];
		r.w[0] = q_w[q_tail % QMAX] + 1;
		q_tail++;
		k42_restore(s);
		(void)k42_ipc_reply(h, &r);
	}
	return NULL;
}

int main(uint64_t arg)
{
	if (arg == 1) {
		k42_sem_init(&q_sem, 0);
		k42_thread_create(replier, NULL);
		k42_serve_threads(blocking);
		for (;;)
			k42_thread_sleep_us(1000000);
	}
	k42_serve(handle);
	/* handle passes the bench interface's calls to bench_dispatch with
	 * the caller {pid, 0, ~0}: its scalar methods may be served by their
	 * register-level entries instead. */
	if (k42_serve_regs(&bench_regs, ~0ull) != 0)
		return 1;
	/* Nothing else to do: wait at user level, so the dispatcher idles
	 * with no context and each call enters it directly. */
	k42_sem_init(&q_sem, 0);
	for (;;)
		k42_sem_wait(&q_sem);
}

/*
 * The server of ppc_cancel_test: ordinal 1 holds the call (its thread
 * defers it and another replies later, on demand); ordinal 2 reports how
 * many calls it holds; ordinal 3 answers every held call now, first
 * writing 8 bytes into the memory each caller lent, and answers with the
 * first held call's grant-copy result (w0) and reply result (w1);
 * ordinal 4 answers after a yield with upcalls disabled, as when a tick
 * preempts the server in its runtime: a call made meanwhile is queued, and
 * the server (of the general class) takes it only once its system-class
 * caller leaves the CPU.
 */
#include <k42/k42.h>

#define IFACE 0x1cc
#define HOLD 16

static uint64_t held[HOLD];
static unsigned nheld;

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	uint32_t ord = k42_ipc_op_ordinal(m->op);

	(void)caller;
	m->len = 0;
	if (k42_ipc_op_iface(m->op) != IFACE) {
		m->op = (uint64_t)-K42_ENOSYS;
		return;
	}
	if (ord == 1) {
		/* Disabled: a call arriving meanwhile would run on its own
		 * thread at once, between the count's read and its write. */
		int s = k42_disable_save(), held_it = nheld < HOLD;

		if (held_it)
			held[nheld++] = k42_ipc_defer();
		k42_restore(s);
		if (held_it)
			return;
	}
	m->op = 0;
	if (ord == 4) {
		int s = k42_disable_save();

		k42_sc_yield();
		k42_restore(s);
		return;
	}
	if (ord == 2) {
		m->w[0] = nheld;
		return;
	}
	if (ord == 3) {
		static const uint64_t bytes = 0x1122334455667788ull;
		uint64_t mine[HOLD];
		int s = k42_disable_save();
		unsigned n = nheld;

		/* The held calls taken at once (disabled, as ordinal 1 adds). */
		for (unsigned i = 0; i < n; i++)
			mine[i] = held[i];
		nheld = 0;
		k42_restore(s);
		m->w[0] = m->w[1] = 1;
		for (unsigned i = 0; i < n; i++) {
			struct k42_ipc_msg r = { 0, { 42 }, 0, k42_ppc_page() };
			long g = k42_ipc_grant_write(mine[i], 0, &bytes, sizeof(bytes));
			long rc = k42_ipc_reply(mine[i], &r);

			if (i == 0) {
				m->w[0] = (uint64_t)g;
				m->w[1] = (uint64_t)rc;
			}
		}
		return;
	}
	m->op = (uint64_t)-K42_EINVAL;
}

int main(uint64_t arg)
{
	(void)arg;
	k42_serve_threads(handle);
	for (;;)
		k42_thread_sleep_us(1000000);
}

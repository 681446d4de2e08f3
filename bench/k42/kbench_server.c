/*
 * The server side of kbench: ordinal 0 answers at once (the null PPC);
 * ordinal 1 reads the PPC-page payload and answers its checksum; the
 * `bench` IDL interface (idl/bench.idl) goes through generated stubs.
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

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	if (k42_ipc_op_iface(m->op) == BENCH_IFACE_ID) {
		struct k42_ipc_caller who = { caller, 0, ~0ull };

		bench_dispatch(&who, m);
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

int main(uint64_t arg)
{
	(void)arg;
	k42_serve(handle);
	for (;;)
		k42_sc_block();
}

/*
 * Helper for crash_test: a server registered as "crash" that answers
 * ordinal 1 with 0 and, on ordinal 2, makes a wild store in its handler,
 * so the kernel ends it in the middle of a call.
 */
#include <k42/k42.h>

/* An address below user space, hidden from the compiler's bounds checks. */
static volatile uint64_t wild = 0x100;

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	(void)caller;
	if (k42_ipc_op_ordinal(m->op) == 2)
		*(volatile uint64_t *)wild = 1;	/* below user space: fatal */
	m->op = k42_ipc_op_ordinal(m->op) == 1 ? 0 : (uint64_t)-K42_ENOSYS;
	m->len = 0;
}

int main(uint64_t arg)
{
	(void)arg;
	k42_serve(handle);
	if (k42_name_register("crash", 0) < 0)
		return 1;
	for (;;)
		k42_sc_block();
}

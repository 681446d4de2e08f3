/*
 * Server of ppc_fastword_test (tests/user/ppc_fastword_test.c): handler
 * mode on its one dispatcher, so a null call to it may take the assembly
 * fast path (arch/ppc64/kern/ppc_fast.S) both ways until the test has it
 * change what the kernel's "may be entered fast" word summarises:
 *  - ordinal 1: w0 + 1 in w0, the marker it was started with in w1;
 *  - ordinal 2: start a second dispatcher (w0: k42_vp_start's result);
 *  - ordinal 3: hand our callers to pid w0 (ipc_redirect; w0: its result).
 */
#include <k42/k42.h>
#include <k42/vp.h>

#define WORD_IFACE 0x5057

static uint64_t marker;

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	uint32_t ord = k42_ipc_op_ordinal(m->op);

	(void)caller;
	m->len = 0;
	if (k42_ipc_op_iface(m->op) != WORD_IFACE || ord < 1 || ord > 3) {
		m->op = (uint64_t)-K42_ENOSYS;
		return;
	}
	if (ord == 1) {
		m->w[0] += 1;
		m->w[1] = marker;
	} else if (ord == 2) {
		m->w[0] = (uint64_t)k42_vp_start(0);
	} else {
		m->w[0] = (uint64_t)k42_sc_ipc_redirect(m->w[0]);
	}
	m->op = 0;
}

int main(uint64_t arg)
{
	struct k42_sem never;

	marker = arg;
	k42_serve(handle);
	/* Wait at user level: the dispatcher idles with no context, and a
	 * call enters it directly. */
	k42_sem_init(&never, 0);
	k42_sem_wait(&never);
	return 0;
}

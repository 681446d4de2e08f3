/*
 * PPC test server: answers ordinal 1 with a function of the register words
 * and ordinal 2 with the PPC-page payload transformed byte by byte, so the
 * caller can check every value that travelled.
 */
#include <k42/k42.h>

#define ECHO_IFACE 0x4243

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	uint32_t ord = k42_ipc_op_ordinal(m->op), len = k42_ipc_op_len(m->op);

	if (k42_ipc_op_iface(m->op) != ECHO_IFACE) {
		m->op = (uint64_t)-K42_EVERSION;
		return;
	}
	switch (ord) {
	case 1:
		for (int i = 0; i < 6; i++)
			m->w[i] = m->w[i] * 3 + (uint64_t)i + caller;
		m->len = 0;
		m->op = 0;
		break;
	case 2:
		for (uint32_t i = 0; i < len; i++)
			m->page[i] ^= 0x5a;
		m->w[0] = len;
		m->len = len;
		m->op = 0;
		break;
	default:
		m->op = (uint64_t)-K42_ENOSYS;
	}
}

int main(uint64_t arg)
{
	(void)arg;
	k42_serve(handle);
	for (;;)
		k42_sc_block();
}

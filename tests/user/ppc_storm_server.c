/*
 * PPC storm server (tests/user/ppc_storm_test.c): serves on a dispatcher
 * on every CPU (k42_vp_serve_all), one thread per call. Ordinal 1 answers
 * with a function of the words, the CPU and dispatcher that served it, and
 * the request bytes turned byte by byte into the reply bytes, so the
 * caller checks every value and where the call ran; ordinal 2 says
 * whether every dispatcher serves yet.
 */
#include <k42/k42.h>

#define STORM_IFACE 0x5354

static int ready;	/* k42_vp_serve_all has returned */

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	uint32_t len = k42_ipc_op_len(m->op);

	if (k42_ipc_op_iface(m->op) == STORM_IFACE && k42_ipc_op_ordinal(m->op) == 2) {
		m->w[0] = (uint64_t)__atomic_load_n(&ready, __ATOMIC_ACQUIRE);
		m->len = 0;
		m->op = 0;
		return;
	}
	if (k42_ipc_op_iface(m->op) != STORM_IFACE || k42_ipc_op_ordinal(m->op) != 1) {
		m->op = (uint64_t)-K42_ENOSYS;
		m->len = 0;
		return;
	}
	m->w[0] = m->w[0] * 7 + caller;
	m->w[1] = k42_info(K42_INFO_CPU);
	m->w[2] = k42_vp_index();
	k42_thread_yield();	/* let other calls on this dispatcher run meanwhile */
	for (uint32_t i = 0; i < len; i++)
		m->page[i] ^= (uint8_t)(0x5a + m->w[0]);
	m->len = len;
	m->op = 0;
}

int main(uint64_t arg)
{
	struct k42_sem never;
	long n;

	(void)arg;
	k42_serve_threads(handle);
	n = k42_vp_serve_all();
	if (n < 0) {
		k42_printf("ppc_storm_server: k42_vp_serve_all: %s\n", k42_strerror(n));
		return 1;
	}
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	k42_sem_init(&never, 0);
	k42_sem_wait(&never);
	return 0;
}

/*
 * Server of ppc_fast_test (tests/user/ppc_fast_test.c): handler mode on a
 * dispatcher on every CPU (k42_vp_serve_all), so a call with no page
 * bytes to an idle dispatcher takes the PPC fast path both ways; started
 * with argument 1, thread mode, each call on its own thread, which yields
 * once so that calls overlap on a dispatcher. Every
 * answer is a function of everything the call carried (caller, words,
 * bytes) and says where it was served:
 *  - ordinal 1: no bytes either way; w0..w4 mixed with the caller, w5 the CPU;
 *  - ordinal 2: the request's bytes come back xor'ed with a key from w0;
 *  - ordinal 3: no request bytes, w0 % 200 + 1 reply bytes made from w0;
 *  - ordinal 4: whether every dispatcher serves yet;
 *  - ordinal 5 (thread mode): deferred, then replied to by hand: first three idle
 *    replies the kernel must refuse (more than a page of bytes, the
 *    largest length field, a flag bit that does not exist), then a
 *    reply (not idle) with 64 bytes from w0 and w0 = how many of the
 *    three were refused with -K42_EINVAL.
 */
#include <k42/k42.h>

#define FAST_IFACE 0x5046

static int ready, threads;

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	uint32_t len = k42_ipc_op_len(m->op), ord = k42_ipc_op_ordinal(m->op);
	uint64_t w0 = m->w[0];

	if (k42_ipc_op_iface(m->op) == FAST_IFACE && ord == 5 && threads) {
		uint64_t h = k42_ipc_defer(), bad[3] = {
			(K42_IPC_PAGE_BYTES + 1) | K42_IPC_REPLY_IDLE,
			K42_IPC_REPLY_LEN_MASK | K42_IPC_REPLY_IDLE,
			8 | (1ull << 16) | K42_IPC_REPLY_IDLE,
		};
		uint8_t *page = k42_ppc_page();
		uint64_t refused = 0;

		for (int i = 0; i < 3; i++)
			refused += k42_sc_ppc_reply(h, 0, bad[i], 0, 0, 0, 0, 0, 0) == -K42_EINVAL;
		for (uint32_t i = 0; i < 64; i++)
			page[i] = (uint8_t)(w0 + i * 7);
		k42_sc_ppc_reply(h, 0, 64, refused, 0, 0, 0, 0, 0);
		return;
	}
	if (k42_ipc_op_iface(m->op) != FAST_IFACE || ord < 1 || ord > 4) {
		m->op = (uint64_t)-K42_ENOSYS;
		m->len = 0;
		return;
	}
	if (ord == 4) {
		m->w[0] = (uint64_t)__atomic_load_n(&ready, __ATOMIC_ACQUIRE);
		m->op = 0;
		m->len = 0;
		return;
	}
	for (int i = 0; i < 5; i++)
		m->w[i] = m->w[i] * 3 + caller + (uint64_t)i;
	m->w[5] = k42_info(K42_INFO_CPU);
	m->len = 0;
	if (threads)
		k42_thread_yield();
	if (ord == 2) {
		for (uint32_t i = 0; i < len; i++)
			m->page[i] ^= (uint8_t)(0xa5 + w0);
		m->len = len;
	} else if (ord == 3) {
		uint32_t n = (uint32_t)(w0 % 200) + 1;

		for (uint32_t i = 0; i < n; i++)
			m->page[i] = (uint8_t)(w0 + i * 5);
		m->len = n;
	}
	m->op = 0;
}

int main(uint64_t arg)
{
	struct k42_sem never;
	long n;

	threads = arg == 1;
	if (threads)
		k42_serve_threads(handle);
	else
		k42_serve(handle);
	n = k42_vp_serve_all();
	if (n < 0) {
		k42_printf("ppc_fast_server: k42_vp_serve_all: %s\n", k42_strerror(n));
		return 1;
	}
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	/* Wait at user level: every dispatcher idles with no context, and a
	 * call enters it directly. */
	k42_sem_init(&never, 0);
	k42_sem_wait(&never);
	return 0;
}

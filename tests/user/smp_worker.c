/*
 * Worker of smp_stress_test: page faults on its own fresh memory and PPC
 * calls to a shared echo server, every value checked. arg = echo pid |
 * mode << 32. Mode 0: a fixed amount of work, then exit with status
 * (mask of the CPUs it saw itself on) << 1 | (1 if anything was wrong).
 * Mode 1: the same work for ever, until it is killed.
 */
#include <k42/k42.h>

#define ECHO_IFACE 0x4243
#define VA 0x20000000ul
#define PAGES 32
#define ROUNDS 6
#define CALLS 40

static int round_ok(uint64_t self, uint64_t echo, uint64_t seed, uint64_t *cpus)
{
	volatile uint64_t *a = (volatile uint64_t *)VA;
	struct k42_ipc_msg m;
	int ok = 1;

	if (k42_sc_mem_map_anon(self, VA, PAGES * K42_PAGE_SIZE, K42_PROT_READ | K42_PROT_WRITE))
		return 0;
	for (uint64_t i = 0; i < PAGES; i++) {
		ok &= a[i * K42_PAGE_SIZE / 8] == 0;	/* zero filled */
		a[i * K42_PAGE_SIZE / 8] = seed ^ (i * 0x9e3779b97f4a7c15ull);
	}
	for (int i = 0; i < CALLS && ok; i++) {
		m.op = k42_ipc_op(ECHO_IFACE, 1, 1, 0, 0);
		for (int j = 0; j < 6; j++)
			m.w[j] = seed + (uint64_t)i * 7 + (uint64_t)j;
		if (k42_call(echo, &m, 1000) != 0)
			ok = 0;
		for (int j = 0; j < 6 && ok; j++)
			ok &= m.w[j] == (seed + (uint64_t)i * 7 + (uint64_t)j) * 3 + (uint64_t)j + self;
		*cpus |= 1ull << (k42_info(K42_INFO_CPU) & 63);
	}
	for (uint64_t i = 0; i < PAGES; i++)
		ok &= a[i * K42_PAGE_SIZE / 8] == (seed ^ (i * 0x9e3779b97f4a7c15ull));
	if (k42_sc_mem_unmap(self, VA, PAGES * K42_PAGE_SIZE))
		ok = 0;
	return ok;
}

int main(uint64_t arg)
{
	uint64_t self = k42_info(K42_INFO_PID), echo = arg & 0xffffffffu, cpus = 0;
	int forever = (int)((arg >> 32) & 0xff) == 1, bad = 0;

	for (uint64_t r = 0; forever || r < ROUNDS; r++)
		bad |= !round_ok(self, echo, self << 20 | r, &cpus);
	return (int)((cpus & 0xff) << 1) | bad;
}

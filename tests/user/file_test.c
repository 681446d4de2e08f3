/*
 * File-backed mapping test (run as init): pages of a file served by a
 * user-level server (tests/file_server) fault in through the kernel's FR.
 * With upcalls enabled, each out-of-core fault is reflected to this
 * dispatcher (PGFLT entry) and completed by a soft interrupt; disabled,
 * the fault waits synchronously. Contents are checked byte by byte.
 */
#include "check.h"

#define FILE_VA 0x30000000ul
#define PAGES 16

static int check_page(const volatile uint8_t *base, uint64_t pg)
{
	for (uint64_t i = 0; i < K42_PAGE_SIZE; i += 97) {
		uint64_t o = pg * K42_PAGE_SIZE + i;

		if (base[o] != (uint8_t)((o * 7 + o / 4096) & 0xff))
			return 0;
	}
	return 1;
}

int main(uint64_t arg)
{
	uint64_t self = k42_info(K42_INFO_PID), reflected;
	const volatile uint8_t *file = (const uint8_t *)FILE_VA;
	struct k42_ipc_msg m;
	long srv, rc;

	(void)arg;
	srv = k42_spawn_path("tests/file_server", K42_PRIO_GENERAL, 0);
	EXPECT(srv > 0, "spawn: %ld", srv);
	m.op = k42_ipc_op(1, 1, 1, 0, 0);
	rc = k42_call((uint64_t)srv, &m, 1000);
	EXPECT(rc == 0, "get fr: %ld", rc);
	if (rc != 0)
		return verdict("file_test");
	EXPECT(k42_sc_mem_map_file(self, FILE_VA, m.w[1], K42_PROT_READ, m.w[0]) == 0, "map file");
	EXPECT(k42_sc_mem_map_file(self, FILE_VA + m.w[1], 4096, K42_PROT_READ | K42_PROT_WRITE,
				   m.w[0]) == -K42_EACCES, "writable shared file mapping refused");
	EXPECT(k42_sc_mem_map_file(self, FILE_VA + m.w[1], 4096, K42_PROT_READ, m.w[0] ^ (1ul << 40)) ==
	       -K42_EBADH, "forged FR handle refused");

	/* Enabled: every first touch is reflected, then completed. */
	for (uint64_t pg = 0; pg < PAGES; pg++)
		EXPECT(check_page(file, pg), "page %lu contents", pg);
	reflected = k42_pgflt_reflected;
	k42_printf("file_test: %lu pages read, %lu faults reflected, %lu completions\n",
		   (uint64_t)PAGES, reflected, k42_pgflt_completed);
	EXPECT(reflected == PAGES, "%lu reflected faults for %d pages", reflected, PAGES);
	EXPECT(k42_pgflt_completed == PAGES, "%lu completions", k42_pgflt_completed);

	/* In core now: no more reflection. */
	for (uint64_t pg = 0; pg < PAGES; pg++)
		EXPECT(check_page(file, pg), "page %lu again", pg);
	EXPECT(k42_pgflt_reflected == reflected, "in-core pages were reflected");

	/* Disabled: the fault waits in the kernel instead. */
	k42_disable();
	EXPECT(check_page(file, PAGES + 3), "synchronous page contents");
	k42_enable();
	EXPECT(k42_pgflt_reflected == reflected, "synchronous fault was reflected");

	m.op = k42_ipc_op(1, 1, 2, 0, 0);
	EXPECT(k42_call((uint64_t)srv, &m, 1000) == 0 && m.w[0] == PAGES + 1,
	       "server saw %lu page-ins", m.w[0]);
	k42_sc_proc_kill((uint64_t)srv);
	return verdict("file_test");
}

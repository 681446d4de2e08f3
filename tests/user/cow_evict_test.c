/*
 * A copy-on-write view of file pages must not keep freed frames mapped
 * (issue 12 item 2), run as init. Pages of a served file are read through
 * a mem_cow view (which maps the file's frames directly, read-only), then
 * evicted by reading 300 other pages (the file FCM keeps at most 256),
 * then fresh anonymous memory is filled with a secret, reusing the freed
 * frames. Read through the view again, every page must hold the file's
 * bytes, read in again: never the secret, never anything else.
 */
#include "check.h"

#define FILE_VA 0x30000000ul
#define VIEW_VA 0x38000000ul
#define CLONE_VA 0x3c000000ul
#define ANON_VA 0x40000000ul
#define VIEW_PAGES 16
#define SWEEP_PAGES 300
#define ANON_PAGES 2048
#define SECRET 0x5ec2e75ec2e75ec2ul

static int page_ok(const volatile uint8_t *p, uint64_t pg)
{
	for (uint64_t i = 0; i < K42_PAGE_SIZE; i += 61) {
		uint64_t o = pg * K42_PAGE_SIZE + i;

		if (p[i] != (uint8_t)((o * 7 + o / 4096) & 0xff))
			return 0;
	}
	return 1;
}

int main(uint64_t arg)
{
	uint64_t self = k42_info(K42_INFO_PID);
	struct k42_ipc_msg m;
	long srv, rc;
	int good = 0, secret = 0, sum = 0;

	(void)arg;
	srv = k42_spawn_path("tests/file_server", K42_PRIO_GENERAL, 0);
	EXPECT(srv > 0, "spawn: %ld", srv);
	m.op = k42_ipc_op(1, 1, 1, 0, 0);
	rc = k42_call((uint64_t)srv, &m, 1000);
	EXPECT(rc == 0, "get fr: %ld", rc);
	if (rc != 0)
		return verdict("cow_evict_test");
	EXPECT(k42_sc_mem_map_file(self, FILE_VA, (VIEW_PAGES + SWEEP_PAGES) * K42_PAGE_SIZE,
				   K42_PROT_READ, m.w[0]) == 0, "map the file");
	EXPECT(k42_sc_mem_map_file(self, VIEW_VA, VIEW_PAGES * K42_PAGE_SIZE, K42_PROT_READ,
				   m.w[0]) == 0, "map the view");
	rc = k42_sc_mem_cow(self, CLONE_VA, VIEW_VA, VIEW_PAGES * K42_PAGE_SIZE);
	EXPECT(rc == 0, "mem_cow: %ld", rc);
	for (uint64_t pg = 0; pg < VIEW_PAGES; pg++) {
		EXPECT(page_ok((const uint8_t *)VIEW_VA + pg * K42_PAGE_SIZE, pg), "view page %lu", pg);
		EXPECT(page_ok((const uint8_t *)CLONE_VA + pg * K42_PAGE_SIZE, pg), "clone page %lu", pg);
	}
	/* Evict them: the file FCM keeps 256 pages, oldest out first. */
	for (uint64_t pg = VIEW_PAGES; pg < VIEW_PAGES + SWEEP_PAGES; pg++)
		sum += ((const volatile uint8_t *)FILE_VA)[pg * K42_PAGE_SIZE];
	/* Take the freed frames back and fill them with a secret. */
	rc = k42_sc_mem_map_anon(self, ANON_VA, ANON_PAGES * K42_PAGE_SIZE,
				 K42_PROT_READ | K42_PROT_WRITE);
	EXPECT(rc == 0, "map anon: %ld", rc);
	for (uint64_t i = 0; rc == 0 && i < ANON_PAGES * K42_PAGE_SIZE / 8; i++)
		((volatile uint64_t *)ANON_VA)[i] = SECRET;
	for (uint64_t pg = 0; pg < VIEW_PAGES; pg++) {
		const volatile uint64_t *v = (const uint64_t *)(VIEW_VA + pg * K42_PAGE_SIZE);
		const volatile uint64_t *c = (const uint64_t *)(CLONE_VA + pg * K42_PAGE_SIZE);

		secret += v[0] == SECRET || c[0] == SECRET;
		good += page_ok((const uint8_t *)v, pg) && page_ok((const uint8_t *)c, pg);
	}
	k42_printf("cow_evict_test: %d of %d view pages read back right, %d showed the secret "
		   "(sweep sum %d)\n", good, VIEW_PAGES, secret, sum);
	EXPECT(secret == 0, "%d freed frames were still mapped and held the secret", secret);
	EXPECT(good == VIEW_PAGES, "%d of %d pages right after eviction", good, VIEW_PAGES);
	k42_sc_proc_kill((uint64_t)srv);
	return verdict("cow_evict_test");
}

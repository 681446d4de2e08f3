/*
 * The page-in path cannot be blocked for everyone (issue 12 item 9), run
 * as init:
 *  - 100 page-ins left unanswered on an FR of our own (mem_read of its
 *    pages starts them) do not stop a real file server's pages;
 *  - flooding that server's message ring with one-way messages does not
 *    either (ring slots are kept for the kernel);
 *  - a page-in that cannot be sent (its server is dead) leaves no page
 *    "being read in": every later access fails the same way, none waits;
 *  - no fault spins or is reported as out of memory (the reads succeed).
 */
#include "check.h"

#define HOG_VA 0x30000000ul
#define HOG_PAGES 100
#define FILE_VA 0x38000000ul
#define DEAD_VA 0x3c000000ul
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

static long get_fr(long srv, uint64_t *size)
{
	struct k42_ipc_msg m;
	long rc;

	m.op = k42_ipc_op(1, 1, 1, 0, 0);
	rc = k42_call((uint64_t)srv, &m, 1000);
	*size = m.w[1];
	return rc < 0 ? rc : (long)m.w[0];
}

int main(uint64_t arg)
{
	uint64_t self = k42_info(K42_INFO_PID), size, v;
	long hog, srv, dead, fr, rc;
	int again = 0, sent = 0;

	(void)arg;
	/* Our own FR, never answered: 100 page-ins in flight. */
	hog = k42_sc_fr_create(1, HOG_PAGES * K42_PAGE_SIZE);
	EXPECT(hog > 0, "fr_create: %ld", hog);
	EXPECT(k42_sc_mem_map_file(self, HOG_VA, HOG_PAGES * K42_PAGE_SIZE, K42_PROT_READ,
				   (uint64_t)hog) == 0, "map our FR");
	for (int i = 0; i < HOG_PAGES; i++) {
		rc = k42_sc_mem_read(self, HOG_VA + (uint64_t)i * K42_PAGE_SIZE, (uint64_t)&v, 8);
		again += rc == -K42_EAGAIN;
	}
	EXPECT(again == HOG_PAGES, "%d of %d reads of unanswered pages said EAGAIN", again,
	       HOG_PAGES);

	/* A real server, its ring flooded before the page-ins come. */
	srv = k42_spawn_path("tests/file_server", K42_PRIO_GENERAL, 0);
	EXPECT(srv > 0, "spawn: %ld", srv);
	fr = get_fr(srv, &size);
	EXPECT(fr > 0, "get fr: %ld", fr);
	if (fr <= 0)
		return verdict("pagein_limits_test");
	for (int i = 0; i < 2 * K42_DISP_MSGS; i++)
		sent += k42_sc_ppc_send((uint64_t)srv, 0x999, 0, 0, 0, 0, 0, 0) == 0;
	k42_printf("pagein_limits_test: %d one-way messages queued at the server\n", sent);
	EXPECT(sent <= K42_DISP_MSGS - K42_DISP_MSGS_KERNEL, "%d messages took the kernel's slots",
	       sent);
	EXPECT(k42_sc_mem_map_file(self, FILE_VA, PAGES * K42_PAGE_SIZE, K42_PROT_READ,
				   (uint64_t)fr) == 0, "map the server's FR");
	for (uint64_t pg = 0; pg < PAGES; pg++)
		EXPECT(check_page((const uint8_t *)FILE_VA, pg), "page %lu contents", pg);

	/* A server that is gone: each access fails alike, none waits. */
	dead = k42_spawn_path("tests/file_server", K42_PRIO_GENERAL, 0);
	fr = dead > 0 ? get_fr(dead, &size) : -1;
	EXPECT(fr > 0, "second server's fr: %ld", fr);
	EXPECT(k42_sc_mem_map_file(self, DEAD_VA, PAGES * K42_PAGE_SIZE, K42_PROT_READ,
				   (uint64_t)fr) == 0, "map the second FR");
	k42_sc_proc_kill((uint64_t)dead);
	for (int i = 0; i < 3; i++) {
		rc = k42_sc_mem_read(self, DEAD_VA, (uint64_t)&v, 8);
		EXPECT(rc == -K42_EDEAD, "read %d of a dead server's page: %ld (want %d)", i, rc,
		       -K42_EDEAD);
	}
	k42_sc_proc_kill((uint64_t)srv);
	return verdict("pagein_limits_test");
}

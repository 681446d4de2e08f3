/*
 * Test file server: serves one synthetic file (byte at offset o is
 * (o * 7 + o / 4096) & 0xff) through an FR. It hands the FR to whoever
 * calls ordinal 1 and answers the kernel's page-in messages with data in
 * the PPC page. Its size is 64 pages, or arg pages (at most 4096) if the
 * spawner passes one (file_storm_test: more than a file FCM keeps).
 * With FILE_SLOW in arg it spins a while before each answer, so page-ins
 * pile up beyond its message ring (frflush_storm_test).
 */
#include <k42/k42.h>

#define FILE_ID 7
#define FILE_PAGES_DEFAULT 64
#define FILE_PAGES_MAX 4096
#define FILE_SLOW (1ull << 32)	/* arg: answer slowly */
#define SLOW_SPINS 20000

static uint64_t fr, file_pages = FILE_PAGES_DEFAULT;
static uint64_t pageins, slow;

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	(void)caller;
	if (k42_ipc_op_ordinal(m->op) == 1) {
		m->w[0] = fr;
		m->w[1] = file_pages * K42_PAGE_SIZE;
		m->op = 0;
	} else if (k42_ipc_op_ordinal(m->op) == 2) {
		m->w[0] = pageins;
		m->op = 0;
	} else {
		m->op = (uint64_t)-K42_ENOSYS;
	}
	m->len = 0;
}

static void on_message(const struct k42_msg *m)
{
	uint8_t *page = k42_ppc_page();
	uint64_t off = m->w[2];

	if (m->sender != 0 || m->op != K42_MSG_FR_PAGEIN || m->w[1] != FILE_ID)
		return;
	for (uint64_t i = 0; i < K42_PAGE_SIZE; i++)
		page[i] = (uint8_t)(((off + i) * 7 + (off + i) / 4096) & 0xff);
	pageins++;
	for (uint64_t i = 0; i < slow; i++)
		__asm__ volatile("" ::: "memory");
	k42_sc_fr_complete(m->w[0], off, 0);
}

int main(uint64_t arg)
{
	long rc;

	if (arg & FILE_SLOW)
		slow = SLOW_SPINS;
	arg &= ~FILE_SLOW;
	if (arg && arg <= FILE_PAGES_MAX)
		file_pages = arg;
	k42_on_messages(on_message);
	rc = k42_sc_fr_create(FILE_ID, file_pages * K42_PAGE_SIZE);
	if (rc < 0) {
		k42_printf("file_server: fr_create: %s\n", k42_strerror(rc));
		return 1;
	}
	fr = (uint64_t)rc;
	k42_serve(handle);
	for (;;)
		k42_sc_block();
}

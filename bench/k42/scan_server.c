/*
 * A synthetic file server for the sequential-scan figures of ./k42 bench
 * (bench/k42/scanbench.c) and tests/user/fcmadapt_test.c: serves
 * SCAN_FILES files of arg pages each through FRs, answering every page-in
 * at once from its message handler. Word w of the page at byte offset o
 * of file f holds scan_word(f, o, w) (bench/k42/scan.h). Ordinal 1 of
 * interface SCAN_IFACE answers (fr of file w[0], size in bytes).
 */
#include <k42/k42.h>
#include "scan.h"

static uint64_t frs[SCAN_FILES], pages;
static struct k42_sem forever;

static void on_message(const struct k42_msg *m)
{
	uint64_t *page = (uint64_t *)k42_ppc_page(), f = m->w[1] - SCAN_FILE_ID0, off = m->w[2];

	if (m->sender != 0 || m->op != K42_MSG_FR_PAGEIN || f >= SCAN_FILES || m->w[0] != frs[f])
		return;
	for (uint64_t w = 0; w < K42_PAGE_SIZE / 8; w++)
		page[w] = scan_word(f, off, w);
	k42_sc_fr_complete(frs[f], off, 0);
}

static void serve(uint64_t caller, struct k42_ipc_msg *m)
{
	uint64_t f = m->w[0];

	(void)caller;
	if (k42_ipc_op_ordinal(m->op) == 1 && f < SCAN_FILES) {
		m->w[0] = frs[f];
		m->w[1] = pages * K42_PAGE_SIZE;
		m->op = 0;
	} else {
		m->op = (uint64_t)-K42_ENOSYS;
	}
	m->len = 0;
}

int main(uint64_t arg)
{
	pages = arg ? arg : 1024;
	k42_on_messages(on_message);
	for (uint64_t f = 0; f < SCAN_FILES; f++) {
		long rc = k42_sc_fr_create(SCAN_FILE_ID0 + f, pages * K42_PAGE_SIZE);

		if (rc < 0) {
			k42_printf("scan_server: fr_create: %s\n", k42_strerror(rc));
			return 1;
		}
		frs[f] = (uint64_t)rc;
	}
	k42_serve(serve);
	/* Nothing else to do: sleep at user level; calls and page-ins come
	 * as upcalls. */
	k42_sem_init(&forever, 0);
	for (;;)
		k42_sem_wait(&forever);
}

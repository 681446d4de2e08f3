/*
 * File server for fault_threads_test: serves one synthetic file (byte at
 * o is (o * 7 + o / 4096) & 0xff) through an FR, but holds every page-in
 * request until a client releases it, so a fault stays outstanding as long
 * as the test wants. Calls are served on threads (k42_serve_threads).
 * Ordinals: 1 = get (fr, size); 2 = page-ins held now; 3 = release them.
 */
#include <k42/k42.h>

#define FILE_ID 9
#define FILE_PAGES 16
#define HELD_MAX 32

static uint64_t fr, held_off[HELD_MAX], held_fr[HELD_MAX];
static uint64_t nheld, released;

static void on_message(const struct k42_msg *m)
{
	if (m->sender != 0 || m->op != K42_MSG_FR_PAGEIN || m->w[1] != FILE_ID)
		return;
	if (nheld < HELD_MAX) {
		held_fr[nheld] = m->w[0];
		held_off[nheld] = m->w[2];
		nheld++;
	}
}

static void release(void)
{
	uint8_t *page = k42_ppc_page();

	for (uint64_t h = 0; h < nheld; h++) {
		uint64_t off = held_off[h];

		for (uint64_t i = 0; i < K42_PAGE_SIZE; i++)
			page[i] = (uint8_t)(((off + i) * 7 + (off + i) / 4096) & 0xff);
		k42_sc_fr_complete(held_fr[h], off, 0);
		released++;
	}
	nheld = 0;
}

static void serve(uint64_t caller, struct k42_ipc_msg *m)
{
	uint32_t ord = k42_ipc_op_ordinal(m->op);

	(void)caller;
	m->op = 0;
	m->len = 0;
	if (ord == 1) {
		m->w[0] = fr;
		m->w[1] = FILE_PAGES * K42_PAGE_SIZE;
	} else if (ord == 2) {
		m->w[0] = nheld;
		m->w[1] = released;
	} else if (ord == 3) {
		release();
		m->w[0] = released;
	} else {
		m->op = (uint64_t)-K42_ENOSYS;
	}
}

int main(uint64_t arg)
{
	static struct k42_sem forever;
	long rc;

	(void)arg;
	k42_on_messages(on_message);
	rc = k42_sc_fr_create(FILE_ID, FILE_PAGES * K42_PAGE_SIZE);
	if (rc < 0) {
		k42_printf("fault_server: fr_create: %s\n", k42_strerror(rc));
		return 1;
	}
	fr = (uint64_t)rc;
	k42_serve_threads(serve);
	k42_sem_wait(&forever);	/* the main thread sleeps; calls get threads */
	return 0;
}

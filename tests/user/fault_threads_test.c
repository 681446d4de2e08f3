/*
 * Page-fault reflection with threads (run as init): a thread touches a
 * page of a file served by tests/fault_server, which holds the page-in
 * until told to release it. While that fault is outstanding, the faulting
 * thread is blocked in the user-level scheduler and another thread of the
 * same process makes progress (1,000 steps, and the IPC that releases the
 * page); then the faulting thread resumes with the right data.
 */
#include "check.h"

#define FILE_VA 0x30000000ul
#define STEPS 1000

static long srv;
static volatile int fault_done;
static uint64_t progress, progress_while_faulting;
static uint8_t got;

static long call(uint32_t ord, struct k42_ipc_msg *m)
{
	m->op = k42_ipc_op(1, 1, ord, 0, 0);
	return k42_call((uint64_t)srv, m, 1000);
}

static void *faulter(void *arg)
{
	const volatile uint8_t *file = (const uint8_t *)FILE_VA;

	(void)arg;
	got = file[4096 + 123];	/* out of core: reflected, held by the server */
	fault_done = 1;
	return NULL;
}

static void *worker(void *arg)
{
	struct k42_ipc_msg m;
	int polls = 0;

	(void)arg;
	/* Wait until the server holds the page-in: the fault is outstanding. */
	do {
		k42_thread_yield();
		EXPECT(call(2, &m) == 0, "held query");
	} while (m.w[0] == 0 && ++polls < 100000);
	EXPECT(m.w[0] == 1, "server holds %lu page-ins", m.w[0]);
	for (int i = 0; i < STEPS; i++) {
		if (!fault_done)
			progress_while_faulting++;
		progress++;
		k42_thread_yield();
	}
	EXPECT(call(3, &m) == 0 && m.w[0] == 1, "release: %lu", m.w[0]);
	return NULL;
}

int main(uint64_t arg)
{
	uint64_t self = k42_info(K42_INFO_PID), o = 4096 + 123;
	struct k42_ipc_msg m;
	k42_thread_t *f, *w;

	(void)arg;
	srv = k42_spawn_path("tests/fault_server", K42_PRIO_GENERAL, 0);
	EXPECT(srv > 0, "spawn: %ld", srv);
	if (srv <= 0 || call(1, &m) != 0)
		return verdict("fault_threads_test");
	EXPECT(k42_sc_mem_map_file(self, FILE_VA, m.w[1], K42_PROT_READ, m.w[0]) == 0, "map file");
	f = k42_thread_create(faulter, NULL);
	w = k42_thread_create(worker, NULL);
	EXPECT(k42_thread_join(w, NULL) == 0, "join worker");
	EXPECT(k42_thread_join(f, NULL) == 0, "join faulter");
	EXPECT(fault_done, "faulting thread finished");
	EXPECT(got == (uint8_t)((o * 7 + o / 4096) & 0xff), "data 0x%x", got);
	EXPECT(k42_pgflt_reflected == 1 && k42_pgflt_completed == 1, "%lu reflected %lu completed",
	       k42_pgflt_reflected, k42_pgflt_completed);
	EXPECT(progress_while_faulting == STEPS, "%lu steps while the fault was outstanding",
	       progress_while_faulting);
	k42_printf("fault_threads_test: %lu steps by another thread while the fault was outstanding; "
		   "%lu fault reflected, %lu completed\n", progress_while_faulting,
		   k42_pgflt_reflected, k42_pgflt_completed);
	k42_sc_proc_kill((uint64_t)srv);
	return verdict("fault_threads_test");
}

/*
 * The scalability benchmark (./k42 bench, docs/performance.md), booted as
 * init with -smp N under -icount. It starts a dispatcher on every CPU and
 * runs the same work on each at once, four kinds:
 *  ppc    null PPC round trips to a server that serves on every CPU
 *         (k42_vp_serve_all): independent caller/server pairs, one per CPU;
 *  fault  first touches of pages of one shared anonymous region, every
 *         CPU its own pages;
 *  proc   process create and exit (spawn a child that exits, wait);
 *  malloc malloc and free of 64 bytes.
 * Under -icount the CPUs run round-robin and virtual time counts the
 * instructions of all of them, so the timebase ticks of a phase over the
 * operations of every CPU is the cost of one operation: flat from 1 to N
 * CPUs if nothing is shared, higher if CPUs wait for each other.
 * Prints "SCAL <kind> <cpus> <ticks per op>" and "SCAL done"; every
 * operation's result is checked, and a failure prints "SCAL error".
 */
#include <k42/k42.h>

#define SCAL_IFACE 0x5343
#ifndef PPC_OPS
#define PPC_OPS 2000
#endif
#ifndef FAULT_PAGES
#define FAULT_PAGES 256
#endif
#ifndef PROC_OPS
#define PROC_OPS 6
#endif
#ifndef MALLOC_OPS
#define MALLOC_OPS 4000
#endif
#define REGION 0x40000000ul

static long server;
static unsigned nvp;
static uint64_t errors;
static struct k42_sem start, done;

static void ppc_work(unsigned vp)
{
	(void)vp;
	for (int i = 0; i < PPC_OPS; i++) {
		struct k42_ipc_msg m = { k42_ipc_op(SCAL_IFACE, 1, 1, 0, 0), { (uint64_t)i }, 0, NULL };

		if (k42_call((uint64_t)server, &m, 1) != 0 || m.w[0] != (uint64_t)i + 1)
			__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
	}
}

static void fault_work(unsigned vp)
{
	volatile uint64_t *r = (volatile uint64_t *)REGION;

	for (uint64_t p = vp; p < (uint64_t)FAULT_PAGES * nvp; p += nvp)
		r[p * (K42_PAGE_SIZE / 8)] = p + 1;
	for (uint64_t p = vp; p < (uint64_t)FAULT_PAGES * nvp; p += nvp)
		if (r[p * (K42_PAGE_SIZE / 8)] != p + 1)
			__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
}

static void proc_work(unsigned vp)
{
	(void)vp;
	for (int i = 0; i < PROC_OPS; i++) {
		long pid = k42_spawn_path("bench/scalbench", K42_PRIO_GENERAL, 2);
		int status = -1;

		if (pid <= 0 || k42_wait((uint64_t)pid, &status) != K42_PROC_EXITED || status != 7)
			__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
	}
}

static void malloc_work(unsigned vp)
{
	(void)vp;
	for (int i = 0; i < MALLOC_OPS; i++) {
		uint64_t *p = malloc(64);

		if (!p) {
			__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		p[0] = (uint64_t)i;
		p[7] = (uint64_t)i;
		if (p[0] != (uint64_t)i)
			__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
		free(p);
	}
}

static void (*phase_fn)(unsigned vp);

static void *worker(void *arg)
{
	unsigned vp = (unsigned)(uintptr_t)arg;

	k42_sem_wait(&start);
	phase_fn(vp);
	k42_sem_post(&done);
	return NULL;
}

/* Run fn on every dispatcher at once: timebase ticks per operation. */
static uint64_t phase(void (*fn)(unsigned), uint64_t ops_per_cpu)
{
	k42_thread_t *th[K42_VPS_MAX];
	uint64_t t0, t1;

	phase_fn = fn;
	for (unsigned v = 0; v < nvp; v++)
		th[v] = k42_thread_create_on(v, worker, (void *)(uintptr_t)v, NULL);
	k42_thread_yield();
	t0 = k42_timebase();
	for (unsigned v = 0; v < nvp; v++)
		k42_sem_post(&start);
	for (unsigned v = 0; v < nvp; v++)
		k42_sem_wait(&done);
	t1 = k42_timebase();
	for (unsigned v = 0; v < nvp; v++)
		if (!th[v] || k42_thread_join(th[v], NULL) != 0)
			errors++;
	return (t1 - t0) / (ops_per_cpu * nvp);
}

static void serve(uint64_t caller, struct k42_ipc_msg *m)
{
	(void)caller;
	m->w[0]++;
	m->op = 0;
	m->len = 0;
}

static int ready;

static void serve_ready(uint64_t caller, struct k42_ipc_msg *m)
{
	if (k42_ipc_op_ordinal(m->op) == 2) {
		m->w[0] = (uint64_t)__atomic_load_n(&ready, __ATOMIC_ACQUIRE);
		m->op = 0;
		m->len = 0;
		return;
	}
	serve(caller, m);
}

static int server_main(void)
{
	struct k42_sem never;

	k42_serve(serve_ready);
	if (k42_vp_serve_all() < 0)
		return 1;
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	k42_sem_init(&never, 0);
	k42_sem_wait(&never);
	return 0;
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	uint64_t ppc, fault, proc, mal;

	if (arg == 1)
		return server_main();
	if (arg == 2)
		return 7;	/* a child of the proc phase */
	k42_sem_init(&start, 0);
	k42_sem_init(&done, 0);
	for (long c = 1; c < ncpus && c < K42_VPS_MAX; c++)
		if (k42_vp_start((unsigned)c) != c)
			errors++;
	nvp = k42_vp_count();
	server = k42_spawn_path("bench/scalbench", K42_PRIO_GENERAL, 1);
	for (;;) {
		struct k42_ipc_msg m = { k42_ipc_op(SCAL_IFACE, 1, 2, 0, 0), { 0 }, 0, NULL };

		if (server <= 0 || k42_call((uint64_t)server, &m, 1) != 0) {
			k42_printf("SCAL error: no server\n");
			return 1;
		}
		if (m.w[0])
			break;
		k42_thread_sleep_us(1000);
	}
	ppc = phase(ppc_work, PPC_OPS);
	if (k42_sc_mem_map_anon(k42_info(K42_INFO_PID), REGION, (uint64_t)FAULT_PAGES * nvp * K42_PAGE_SIZE,
				K42_PROT_READ | K42_PROT_WRITE) != 0)
		errors++;
	fault = phase(fault_work, FAULT_PAGES);
	proc = phase(proc_work, PROC_OPS);
	mal = phase(malloc_work, MALLOC_OPS);
	k42_sc_proc_kill((uint64_t)server);
	if (errors || nvp != (unsigned)ncpus) {
		k42_printf("SCAL error: %lu failed operations, %u dispatchers on %ld CPUs\n", errors, nvp,
			   ncpus);
		return 1;
	}
	k42_printf("SCAL ppc %ld %lu\nSCAL fault %ld %lu\nSCAL proc %ld %lu\nSCAL malloc %ld %lu\n",
		   ncpus, ppc, ncpus, fault, ncpus, proc, ncpus, mal);
	k42_printf("SCAL done\n");
	return 0;
}

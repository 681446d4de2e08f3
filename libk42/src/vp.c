/*
 * The process's dispatchers in libk42 (k42/vp.h, docs/smp.md): the table
 * of struct k42_vp, starting a dispatcher on a CPU (disp_create) and its
 * first code there. A started dispatcher registers the same entry points
 * as dispatcher 0 (but takes incoming calls only after k42_vp_serve_all),
 * gets a fresh instance of the policy in force, and idles until a thread
 * is given to it. k42_vp_serve_all gives a server a dispatcher on every
 * CPU that serves the calls made on that CPU (docs/smp.md).
 *
 * Locking: `start_lock` serialises starts (the kernel hands out the
 * lowest free index, which we prepare before the dispatcher runs).
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define VP_STACK (64 * 1024)

struct k42_vp k42_vps[K42_VPS_MAX];
static int start_lock;
static unsigned nstarted = 1;

void k42_vp_entry(void);
void k42_vp_main(void);

static void vp_prepare(struct k42_vp *v, unsigned i, unsigned cpu, uint8_t *top)
{
	v->shared = (struct k42_disp_shared *)(K42_DISP_VA + (uint64_t)i * K42_PAGE_SIZE);
	v->index = i;
	v->cpu = cpu;
	v->lock = 0;
	v->idle = 0;
	v->current = NULL;
	v->in_handler = 0;
	v->fault_waiters = NULL;
	memset(&v->timers, 0, sizeof(v->timers));
	v->timer_armed = 0;
	v->upcall_top = (uint64_t)top;
}

void k42_vps_init(uint8_t *top)
{
	vp_prepare(&k42_vps[0], 0, (unsigned)k42_info(K42_INFO_CPU), top);
	__atomic_store_n(&k42_vps[0].started, 1, __ATOMIC_RELEASE);
}

/* A forked child has only dispatcher 0, and no other dispatcher holds
 * any lock in it: forget the parent's others. */
void k42_vps_forked(void)
{
	for (unsigned i = 1; i < K42_VPS_MAX; i++)
		k42_vps[i].started = 0;
	k42_vps[0].lock = 0;
	k42_vps[0].cpu = (unsigned)k42_info(K42_INFO_CPU);
	nstarted = 1;
	start_lock = 0;
	k42_sync_lock = 0;
	k42_threads_lock = 0;
}

/* First code of a started dispatcher (from k42_vp_entry, disabled, on
 * its upcall stack). */
void k42_vp_main(void)
{
	k42_register_vp_entries(0);
	k42_dispatch();
}

long k42_vp_start(unsigned cpu)
{
	uint8_t *stack;
	unsigned i;
	long rc;
	int s;

	if (cpu >= k42_info(K42_INFO_CPUS_ONLINE))
		return -K42_EINVAL;
	stack = malloc(VP_STACK);
	if (!stack)
		return -K42_ENOMEM;
	s = k42_disable_save();
	k42_spin_lock(&start_lock);
	for (i = 1; i < K42_VPS_MAX && k42_vps[i].started; i++)
		;
	if (i == K42_VPS_MAX) {
		rc = -K42_ENOSPC;
		goto out;
	}
	/* Several dispatchers: calls take the full path from now on (the
	 * lean one serves one dispatcher's calls, ipc.c). */
	k42_ipc_full_set(K42_IPC_FULL_VPS, 1);
	vp_prepare(&k42_vps[i], i, cpu, stack + VP_STACK);
	k42_sched_vp_init(&k42_vps[i]);
	/* Runnable before it runs: threads may be given to it at once. */
	__atomic_store_n(&k42_vps[i].started, 1, __ATOMIC_RELEASE);
	rc = k42_sc_disp_create(cpu, (uint64_t)(uintptr_t)k42_vp_entry,
				(uint64_t)(uintptr_t)(stack + VP_STACK), i);
	if (rc != (long)i) {
		__atomic_store_n(&k42_vps[i].started, 0, __ATOMIC_RELEASE);
		if (rc >= 0)
			k42_fatal("disp_create gave an index libk42 did not expect");
		goto out;
	}
	stack = NULL;
	if (i + 1 > nstarted)
		__atomic_store_n(&nstarted, i + 1, __ATOMIC_RELEASE);
out:
	k42_spin_unlock(&start_lock);
	k42_restore(s);
	free(stack);
	return rc;
}

unsigned k42_vp_count(void)
{
	return __atomic_load_n(&nstarted, __ATOMIC_ACQUIRE);
}

unsigned k42_vp_index(void)
{
	return k42_vp_self()->index;
}

unsigned k42_vp_cpu(unsigned vp)
{
	return vp < K42_VPS_MAX ? k42_vps[vp].cpu : 0;
}

struct k42_thread **k42_vp_current_slot(void)
{
	return &k42_vp_self()->current;
}

int *k42_vp_handler_slot(void)
{
	return &k42_vp_self()->in_handler;
}

/* On dispatcher i: take the calls made on its CPU from now on. */
static void *serve_here(void *arg)
{
	int s = k42_disable_save();

	(void)arg;
	k42_register_vp_entries(1);
	k42_restore(s);
	return NULL;
}

long k42_vp_serve_all(void)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE), rc, n = 0;

	if (k42_vp_index() != 0 || !k42_current || k42_in_handler)
		return -K42_EINVAL;
	k42_ipc_open();		/* dispatcher 0: the fallback */
	for (long c = 0; c < ncpus; c++) {
		unsigned i;

		for (i = 1; i < k42_vp_count() && k42_vps[i].cpu != (unsigned)c; i++)
			;
		if (i == k42_vp_count() && (rc = k42_vp_start((unsigned)c)) < 0)
			return rc;
	}
	for (unsigned i = 1; i < k42_vp_count(); i++) {
		k42_thread_t *t = k42_thread_create_on(i, serve_here, NULL, NULL);

		if (!t || k42_thread_join(t, NULL) < 0)
			return -K42_ENOMEM;
		n++;
	}
	return n;
}

/*
 * Page-ins sent by a miss without the kernel lock (mm/fr_internal.h,
 * fr_send_*): the one half of the FR (mm/fr.c) that runs beside other
 * CPUs' faults, under the FCM's lock, and so the half to read when
 * reasoning about that.
 */
#include <stdint.h>
#include <k42/dispatcher.h>
#include <kern/disp_fast.h>
#include <kern/dispatcher.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/smp.h>
#include <kern/spinlock.h>
#include <mm/fr.h>
#include <mm/fr_internal.h>
#include <mm/kmem.h>
#include "fr_priv.h"

/*
 * A miss's page-in without the kernel lock (fcm_file_miss_unlocked, from
 * the fault path in kern/user_fault.c), under the faulting CPU's local
 * lock, the process's and the FCM's, taken in that order: no kernel-lock
 * holder runs (it holds every local lock), so the FR is not withdrawn,
 * its server does not end and no locked path uses its list of page-ins;
 * the other unlocked users of that list (fr_complete_unlocked, other
 * CPUs' misses on the same FCM) hold the FCM's lock, which is the list's
 * lock here. The message goes into the ring of the server's dispatcher 0,
 * whose writers all hold the local lock of the CPU it lives on (or the
 * kernel lock, docs/smp.md): ours, or that CPU's taken by a single try
 * (it comes before the process's and the FCM's in the lock order). A
 * server gone, moved, a busy lock, a ring without room or with requests
 * already waiting to be sent (fr_unsent: they go first) declines with
 * nothing changed; the locked path queues it then.
 */
static uint64_t misses_unlocked, aheads_unlocked;

uint64_t fr_misses_unlocked(void)
{
	return __atomic_load_n(&misses_unlocked, __ATOMIC_RELAXED);
}

uint64_t fr_aheads_unlocked(void)
{
	return __atomic_load_n(&aheads_unlocked, __ATOMIC_RELAXED);
}

/* The room was checked, but the ring's tail is the server's to write
 * (its user code runs meanwhile, on another CPU too): a ring it made
 * look full keeps the page-in for fr_flush, as server_request does. */
static void send_or_keep(struct process *srv, struct fr *fr, struct fr_pending *pe)
{
	if (fr_put_pagein(srv, fr, pe) < 0) {
		srv->disp.fr_unsent++;
		disp_fast_sync(&srv->disp, FAST_OFF_FR_UNSENT);
	}
}

int fr_send_begin(struct fr *fr, struct fr_send *s, int need)
{
	struct percpu *pc = this_cpu();
	struct process *srv;
	struct k42_disp_shared *sh;
	uint32_t cpu;

	if (fr->state != FR_LIVE)
		return -1;
	srv = process_lookup(fr->server);
	if (!srv || srv->state != K42_PROC_RUNNING)
		return -1;
	cpu = __atomic_load_n(&srv->disp.cpu, __ATOMIC_RELAXED);
	if (cpu >= (uint32_t)smp_ncpus)
		return -1;
	s->held = NULL;
	if (cpu != pc->cpu_id) {
		if (!arch_spin_trylock(&percpu_of(cpu)->local_lock))
			return -1;
		s->held = percpu_of(cpu);
	}
	/* Its CPU is locked: dispatcher 0 stays there, and nothing else
	 * writes its ring. */
	sh = srv->disp.shared;
	s->pe = NULL;
	if (srv->disp.cpu != cpu || srv->disp.state == DS_DEAD || srv->disp.fr_unsent ||
	    sh->msg_head - sh->msg_tail + need > K42_DISP_MSGS ||
	    (need && !(s->pe = kmem_alloc(sizeof(*s->pe))))) {
		fr_send_end(s);
		return -1;
	}
	s->room = K42_DISP_MSGS - (uint32_t)(sh->msg_head - sh->msg_tail) - (uint32_t)need;
	s->srv = srv;
	return 0;
}

int fr_send_ahead(struct fr *fr, struct fr_send *s, uint64_t pgoff, uint64_t token)
{
	struct fr_pending *pe;

	if (!s->room || !(pe = kmem_alloc(sizeof(*pe))))
		return -1;
	pe->token = token;
	pe->pgoff = pgoff;
	pe->waiters = NULL;
	pe->sent = 0;
	send_or_keep(s->srv, fr, pe);
	s->room--;
	pe->next = fr->pending;
	fr->pending = pe;
	fr->npending++;
	__atomic_add_fetch(&aheads_unlocked, 1, __ATOMIC_RELAXED);
	return 0;
}

void fr_send_commit(struct fr *fr, struct fr_send *s, uint64_t pgoff, uint64_t token)
{
	struct fr_pending *pe = s->pe;

	pe->token = token;
	pe->pgoff = pgoff;
	pe->waiters = NULL;
	pe->sent = 0;
	send_or_keep(s->srv, fr, pe);
	pe->next = fr->pending;
	fr->pending = pe;
	fr->npending++;
	s->pe = NULL;
	__atomic_add_fetch(&misses_unlocked, 1, __ATOMIC_RELAXED);
}

void fr_send_end(struct fr_send *s)
{
	if (s->pe) {
		kmem_free(s->pe, sizeof(*s->pe));
		s->pe = NULL;
	}
	if (s->held)
		spin_unlock(&s->held->local_lock);
	s->held = NULL;
}

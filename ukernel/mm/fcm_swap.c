/*
 * Hot swap of a live FCM (see mm/fcm_swap.h, docs/hot-swap.md): the
 * kernel's instance of the generic protocol. The "entry" of an FCM is the
 * fcm pointer of every region mapping it; all of them belong to one
 * process (an FCM another process maps is not swapped: -K42_EPERM).
 *
 * 1. A mediator takes the entries: under the process lock every mapping
 *    region points at the mediator from now on, with the old FCM's
 *    references and mappers; the current kernel quiescence generation is
 *    recorded.
 * 2. New callers are held: a fault that finds the mediator is answered
 *    -K42_EAGAIN with no token, so the access is simply retried after a
 *    return to user mode (the fault path's own rule for "retry").
 * 3. Calls in flight drain: every fault counts itself in its CPU's
 *    fault count (odd from before it reads a region's fcm pointer to
 *    after it is done with the FCM: mm/fcm_swap.h), so once each CPU
 *    whose count was odd at step 1 has moved on, no fault can be in the
 *    old FCM; a CPU in user mode (even) is never waited for. The
 *    quiescence generation moving on by QUIESCE_GENS implies the same
 *    (a fault ends before its CPU's next quiescent point) and is kept as
 *    the rule for anything else that reaches an FCM (those paths hold
 *    the process lock, as today's fault paths do too; the drain does
 *    not rely on that for faults). An FCM not being swapped pays the
 *    two stores and a fence of the count per fault, and one compare for
 *    "mediator?".
 * 4. State moves: the page map, the residency FIFO, the frame source and
 *    the counters go from the old FCM to the new one (any anonymous
 *    policy takes over from any other: both keep the common state).
 * 5. The entries switch to the new FCM; a held fault that settles the
 *    swap itself (the first caller after the drain: the swapper or any
 *    held fault) goes on into the new FCM at once.
 * 6. The old FCM (now empty) and the mediator are freed after quiescence:
 *    a CPU may still be reading the mediator. That free takes only kmem's
 *    leaf lock and retires nothing (the old FCM is an anonymous one with
 *    no page left, its frame source the PM's), so it is retired as a
 *    leaf: the CPU frees it where it is ripe without the kernel lock too
 *    (kquiesce_reclaim_here: a busy CPU's tick, a fast path going idle).
 *    A mediator whose last region went before the switch still holds
 *    the old FCM's pages, whose free retires frames again: that one
 *    waits for the locked path, as before.
 *
 * Locks: the process's, then an FCM's (as on the fault path). Everything
 * here runs with the process lock held.
 */
#include <string.h>
#include <arch/spr.h>
#include <k42/errno.h>
#include <k42/fcm.h>
#include <kern/klock.h>
#include <kern/panic.h>
#include <kern/process.h>
#include <kern/quiesce.h>
#include <kern/smp.h>
#include <kern/trace.h>
#include <mm/fcm.h>
#include <mm/fcm_swap.h>
#include <mm/fr_internal.h>
#include <mm/kmem.h>
#include <mm/region.h>

struct fcm_mediator {
	struct fcm fcm;		/* what the regions point at during the swap */
	struct fcm *old, *new;
	struct process *owner;	/* the one process mapping it */
	uint64_t gen;		/* quiescence generation when it took the entries */
	uint64_t start_tb;	/* timebase at the take-over (trace) */
	unsigned flags;		/* K42_FCM_SWAP_* */
	int impl;		/* the new implementation's K42_FCM_* */
	int done;		/* switched: the regions point at new */
	uint32_t self;		/* the CPU that took the entries */
	uint64_t seq[QUIESCE_MAX_CPUS];	/* each CPU's fault count then (odd: in flight) */
	struct deferred dfr;
};

static int mediator_get_page(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa,
			     unsigned *maxprot, uint64_t *token);
static void mediator_destroy(struct fcm *f);

static const struct fcm_ops mediator_ops = {
	.name = "swapping",
	.get_page = mediator_get_page,
	.destroy = mediator_destroy,
};

int fcm_is_mediator(const struct fcm *f)
{
	return f->ops == &mediator_ops;
}

static struct fcm_mediator *mediator_of(struct fcm *f)
{
	return (struct fcm_mediator *)f;
}

static uint64_t mediators_freed_unlocked, ended_freed_unlocked;

uint64_t fcm_swap_frees_unlocked(void)
{
	return __atomic_load_n(&mediators_freed_unlocked, __ATOMIC_RELAXED);
}

uint64_t fcm_swap_ended_frees_unlocked(void)
{
	return __atomic_load_n(&ended_freed_unlocked, __ATOMIC_RELAXED);
}

/* After quiescence: nothing can reach the mediator or the old FCM. */
static void mediator_free(struct deferred *d)
{
	struct fcm_mediator *m = (struct fcm_mediator *)((char *)d - __builtin_offsetof(struct fcm_mediator, dfr));

	if (!klock_held()) {
		__atomic_add_fetch(&mediators_freed_unlocked, 1, __ATOMIC_RELAXED);
		if (!m->done)
			__atomic_add_fetch(&ended_freed_unlocked, 1, __ATOMIC_RELAXED);
	}
	/* Ours alone: its regions were unmapped before the last of them
	 * went (region_free), a quiescent period ago, so no CPU can still
	 * reach its frames through an old translation (docs/smp.md, "Known
	 * limits"): they go back at once, not retired again. */
	if (__atomic_load_n(&m->old->refs, __ATOMIC_RELAXED) == 1)
		m->old->quiesced = 1;
	fcm_put(m->old);	/* empty after a switch; else every page goes */
	if (!m->done)
		fcm_put(m->new);
	kmem_free(m, sizeof(*m));
}

/* The last region went while the swap was under way (unmap, exit). An
 * old anonymous FCM that only the mediator holds (nothing can take it
 * while it swaps: COW and sharing wait) is freed frame by frame at once
 * then (mediator_free), so the free takes only leaf locks and retires
 * nothing: it may ripen without the kernel lock, as a switched one does. */
static void mediator_destroy(struct fcm *f)
{
	struct fcm_mediator *m = mediator_of(f);

	if (fcm_is_anon(m->old) && __atomic_load_n(&m->old->refs, __ATOMIC_RELAXED) == 1)
		kquiesce_retire_leaf(&m->dfr, mediator_free);
	else
		kquiesce_retire(&m->dfr, mediator_free);
}

/* Step 3: every fault in flight at the take-over has ended (each CPU's
 * count was even then, or has moved since), or the generation has moved
 * on by QUIESCE_GENS (which implies it). */
static int drained(const struct fcm_mediator *m)
{
	uint32_t n = (uint32_t)smp_ncpus;

	if (quiesce_generation(quiesce_kernel()) >= m->gen + QUIESCE_GENS)
		return 1;
	for (uint32_t c = 0; c < n && c < QUIESCE_MAX_CPUS; c++)
		if (c != m->self && (m->seq[c] & 1) &&
		    __atomic_load_n(&percpu_of(c)->fault_seq, __ATOMIC_ACQUIRE) == m->seq[c])
			return 0;
	return 1;
}

/* Steps 4-6; caller holds m->owner's lock and the callers have drained. */
static void switch_over(struct fcm_mediator *m)
{
	struct fcm *old = m->old, *new = m->new;

	spin_lock(&old->lock);
	spin_lock(&new->lock);
	new->pages = old->pages;
	new->fifo_head = old->fifo_head;
	new->fifo_tail = old->fifo_tail;
	new->resident = old->resident;
	new->src = old->src;	/* with its hold, if it has one */
	new->swaps = old->swaps + 1;
	new->held = old->held + m->fcm.held;
	new->ahead = old->ahead;
	new->hold_tb = old->hold_tb + (mftb() - m->start_tb);
	new->adaptive = old->adaptive;
	new->run_next = old->run_next;
	new->run_reach = old->run_reach;
	new->faults = old->faults;
	new->mapped_ahead = old->mapped_ahead;
	new->run_seq = old->run_seq;
	new->run_rnd = old->run_rnd;
	new->want = 0;
	memset(&old->pages, 0, sizeof(old->pages));
	old->fifo_head = old->fifo_tail = NULL;
	old->resident = 0;
	old->src = &pm_frames;
	spin_unlock(&new->lock);
	spin_unlock(&old->lock);
	/* The entries: the mediator's mappers and references become new's. */
	new->mappers = m->fcm.mappers;
	new->refs = m->fcm.refs;
	m->fcm.mappers = NULL;
	m->fcm.refs = 0;
	for (struct region *r = new->mappers; r; r = r->fcm_next) {
		__atomic_store_n(&r->fcm, new, __ATOMIC_RELEASE);
		if (m->flags & K42_FCM_SWAP_UNMAP)
			region_unmap_pages(m->owner, r);
	}
	m->done = 1;
	trace_kswap_end(m->owner->pid, m->impl, new->resident, m->fcm.held);
	/* Its free: kmem_free of the empty old FCM and of m (step 6), a
	 * leaf's; anything else (not expected) waits for the locked path. */
	if (!old->resident && !old->fifo_head && !old->pages.root && old->src == &pm_frames &&
	    !old->src->release && __atomic_load_n(&old->refs, __ATOMIC_RELAXED) == 1)
		kquiesce_retire_leaf(&m->dfr, mediator_free);
	else
		kquiesce_retire(&m->dfr, mediator_free);
}

int fcm_swap_settle(struct fcm *f)
{
	struct fcm_mediator *m;

	if (!fcm_is_mediator(f))
		return 0;
	m = mediator_of(f);
	if (m->done)
		return 0;
	if (!drained(m))
		return -K42_EAGAIN;
	switch_over(m);
	return 0;
}

void fcm_swap_held(struct fcm *f)
{
	__atomic_add_fetch(&f->held, 1, __ATOMIC_RELAXED);
}

/* Called with the faulting process's lock held: every mapper is its. */
static int mediator_get_page(struct fcm *f, uint64_t pgoff, int write, uint64_t *pa,
			     unsigned *maxprot, uint64_t *token)
{
	struct fcm_mediator *m = mediator_of(f);

	if (!m->done && fcm_swap_settle(f) < 0) {
		__atomic_add_fetch(&f->held, 1, __ATOMIC_RELAXED);
		*token = 0;	/* no page-in to wait for: the access is retried */
		return -K42_EAGAIN;
	}
	return m->new->ops->get_page(m->new, pgoff, write, pa, maxprot, token);
}

static int swap_start(struct process *p, uint64_t va, unsigned impl, int adapting)
{
	struct region *r = region_find(p, va);
	struct fcm *old, *new;
	struct fcm_mediator *m;
	unsigned flags = impl & K42_FCM_SWAP_UNMAP, nmappers = 0;
	int to = (int)(impl & 0xff);

	if ((impl & ~(0xffu | K42_FCM_SWAP_UNMAP)) || to > K42_FCM_ADAPTIVE)
		return -K42_EINVAL;
	if (!r)
		return -K42_EFAULT;
	old = r->fcm;
	if (fcm_is_mediator(old)) {
		m = mediator_of(old);
		if (m->impl != to)
			return -K42_EBUSY;	/* another swap is under way */
		return fcm_swap_settle(old);
	}
	if (!fcm_is_anon(old) && !fcm_is_file(old))
		return -K42_EINVAL;
	spin_lock(&old->lock);
	for (struct region *q = old->mappers; q; q = q->fcm_next) {
		if (q->proc != p) {
			spin_unlock(&old->lock);
			return -K42_EPERM;	/* another process maps it */
		}
		nmappers++;
	}
	spin_unlock(&old->lock);
	/* A file FCM's policy is an object used only under the FCM's lock:
	 * switched under it, nothing to drain (mm/fcm_file.c). */
	if (fcm_is_file(old))
		return flags ? -K42_EINVAL : fcm_file_set_policy(old, to);
	if (to == K42_FCM_ADAPTIVE && !flags) {
		/* It swaps itself from now on (fcm_swap_adapt). */
		spin_lock(&old->lock);
		old->adaptive = 1;
		spin_unlock(&old->lock);
		return 0;
	}
	if (to >= K42_FCM_IMPLS)
		return -K42_EINVAL;
	if (!adapting) {
		spin_lock(&old->lock);
		old->adaptive = 0;	/* asked for a policy: no longer its own choice */
		old->want = 0;
		spin_unlock(&old->lock);
	}
	if (fcm_anon_impl(old) == to)
		return 0;
	if (old->cow_children || __atomic_load_n(&old->refs, __ATOMIC_ACQUIRE) != nmappers)
		return -K42_EBUSY;	/* read by COW layers, or held by a call in progress */
	if (!(m = kmem_alloc(sizeof(*m))))
		return -K42_ENOMEM;
	if (!(new = fcm_anon_create_impl(to))) {
		kmem_free(m, sizeof(*m));
		return -K42_ENOMEM;
	}
	/* Step 1: the mediator takes the entries and the regions' references. */
	fcm_init(&m->fcm, &mediator_ops);
	m->old = old;
	m->new = new;
	m->owner = p;
	m->flags = flags;
	m->impl = to;
	m->done = 0;
	spin_lock(&old->lock);
	m->fcm.mappers = old->mappers;
	old->mappers = NULL;
	spin_unlock(&old->lock);
	m->fcm.refs = nmappers;
	old->refs = 1;		/* the mediator's */
	for (struct region *q = m->fcm.mappers; q; q = q->fcm_next)
		__atomic_store_n(&q->fcm, &m->fcm, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	m->gen = quiesce_generation(quiesce_kernel());
	m->self = this_cpu()->cpu_id;
	/* CPUs that came online later hold no FCM pointer from before. */
	for (uint32_t c = 0; c < (uint32_t)smp_ncpus && c < QUIESCE_MAX_CPUS; c++)
		m->seq[c] = __atomic_load_n(&percpu_of(c)->fault_seq, __ATOMIC_RELAXED);
	m->start_tb = mftb();
	trace_kswap_begin(p->pid, va, fcm_anon_impl(old), to);
	return -K42_EAGAIN;
}

int fcm_swap(struct process *p, uint64_t va, unsigned impl)
{
	return swap_start(p, va, impl, 0);
}

void fcm_swap_adapt(struct process *p, struct fcm *f, uint64_t va)
{
	int want;

	spin_lock(&f->lock);
	want = f->want;
	f->want = 0;
	spin_unlock(&f->lock);
	if (want)
		(void)swap_start(p, va, (unsigned)(want - 1), 1);	/* refused: it asks again later */
}

/* Why fcm_swap of p's region r to another policy would be refused now
 * (0: it would not), and how many processes map its FCM. */
static int refusal(struct process *p, struct region *r, uint32_t *sharers)
{
	struct fcm *f = r->fcm;
	struct process *seen[8];
	unsigned nseen = 0, nmappers = 0, others = 0;
	int rc = 0;

	*sharers = 1;
	if (fcm_is_mediator(f))
		return -K42_EBUSY;
	if (!fcm_is_anon(f) && !fcm_is_file(f))
		return -K42_EINVAL;
	spin_lock(&f->lock);
	for (struct region *q = f->mappers; q; q = q->fcm_next) {
		unsigned i;

		nmappers++;
		if (q->proc == p)
			continue;
		for (i = 0; i < nseen && seen[i] != q->proc; i++)
			;
		if (i == nseen) {
			others++;
			if (nseen < 8)	/* past 8 others, a process may count twice */
				seen[nseen++] = q->proc;
		}
	}
	if (others)
		rc = -K42_EPERM;
	else if (fcm_is_anon(f) &&
		 (f->cow_children || __atomic_load_n(&f->refs, __ATOMIC_ACQUIRE) != nmappers))
		rc = -K42_EBUSY;
	spin_unlock(&f->lock);
	*sharers = 1 + others;
	return rc;
}

int fcm_describe(struct process *p, uint64_t va, struct k42_fcminfo *out)
{
	struct region *r = region_find(p, va);
	struct fcm *f, *cur;
	const char *name;

	if (!r)
		for (r = p->regions; r && r->start <= va; r = r->next)
			;
	if (!r)
		return -K42_ENOENT;
	memset(out, 0, sizeof(*out));
	out->start = r->start;
	out->end = r->end;
	out->refusal = refusal(p, r, &out->sharers);
	f = r->fcm;
	cur = f;
	if (fcm_is_file(f)) {
		fcm_file_describe(f, out);
		return 0;
	}
	if (fcm_is_mediator(f)) {
		cur = mediator_of(f)->old;
		out->swapping = 1;
		out->held = f->held;
	}
	spin_lock(&cur->lock);
	out->resident = cur->resident;
	out->swaps = cur->swaps;
	out->held += cur->held;
	out->ahead = cur->ahead;
	out->hold_ticks = cur->hold_tb;
	out->adaptive = cur->adaptive;
	out->faults = cur->faults;
	out->mapped_ahead = cur->mapped_ahead;
	spin_unlock(&cur->lock);
	out->impl_id = fcm_is_anon(cur) ? fcm_anon_impl(cur) : -1;
	name = out->swapping ? "swapping" : f->ops->name;
	for (unsigned i = 0; name[i] && i < sizeof(out->impl) - 1; i++)
		out->impl[i] = name[i];
	return 0;
}

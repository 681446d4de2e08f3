/*
 * Hot swap inside a process (<k42/hotswap.h>, docs/hot-swap.md): the
 * process's clustered-object table, activation generations, the swap
 * protocol and its mediator, and idl/swap.idl, answered here for every
 * process that publishes objects.
 *
 * Locking: the cobj core's locks disable upcalls (cobj_env_hold in
 * cobj_env.c), the only exclusion on one dispatcher; a mediator's waiter list is touched
 * disabled, under k42_sync_lock. One swap at a time per process
 * (`swap_busy`), and the listing waits for it (it reads the interposer).
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/hotswap.h>
#include <k42/ktrace.h>
#include "internal.h"
#include "swap.h"

uint32_t k42_act_gen;
uint64_t k42_act_count[2];

static struct k42_swappable *objects;
static uint32_t swap_busy;	/* busy_enter: a swap or a listing runs */
uint32_t k42_handler_act;	/* the activation a handler serves: 1 + generation; 0 none */

/* While a mediator holds an object's entry. */
struct mediator {
	struct cobj_root root;
	struct k42_swappable *o;
	struct cobj_root *old;		/* the root it took the entry from */
	uint32_t old_gen;		/* the activation generation before the swap */
	struct k42_thread *waiters;	/* held calls (disabled) */
};

/* ---- activations ---- */

static uint32_t *act_slot(void)
{
	return k42_current && !k42_in_handler ? &k42_current->act : &k42_handler_act;
}

uint32_t k42_act_enter(uint32_t *prev)
{
	return k42_act_enter_at(act_slot(), prev);
}

void k42_act_exit(uint32_t g, uint32_t prev)
{
	k42_act_exit_at(act_slot(), g, prev);
}

/* ---- lookups during a swap ---- */

/* The rep of root for the calling dispatcher, made (and linked) if it has none. */
struct cobj_rep *k42_obj_rep_of(struct cobj_root *root)
{
	uint32_t vp = k42_cobj_vp();
	struct cobj_rep *r;

	cobj_lock(&root->lock);
	for (r = root->reps; r && r->cpu != vp; r = r->next)
		;
	if (!r) {
		r = root->ops->rep_create(root, vp);
		if (r && !r->root) {
			r->root = root;
			r->cpu = vp;
			r->gen = cobj_ref_gen(root->ref);
			r->next = root->reps;
			root->reps = r;
			root->nreps++;
		}
	}
	cobj_unlock(&root->lock);
	return r;
}

/* A mediator makes no reps: every lookup misses into k42_obj_slow. */
static struct cobj_rep *mediator_rep(struct cobj_root *root, uint32_t cpu)
{
	(void)root;
	(void)cpu;
	return NULL;
}

static const struct cobj_root_ops mediator_ops = { mediator_rep, NULL, NULL };

/*
 * A lookup that missed. Everything that decides between "finish in the
 * old object" and "wait for the switch" is read under k42_sync_lock with
 * upcalls disabled, with the entry checked again there: a thread that
 * saw the mediator of one swap, was interrupted, and resumed during the
 * next swap of the same object (the same mediator) must judge by the
 * swap running now, or a call counted in the generation that swap waits
 * for would wait for that swap (both would wait for ever).
 */
struct cobj_rep *k42_obj_slow(cobj_ref ref)
{
	struct cobj_root *last = NULL;

	for (;;) {
		struct cobj_root *root = cobj_root_of(k42_cobj_space(), ref), *old;
		struct k42_thread *t = k42_current && !k42_in_handler ? k42_current : NULL;
		struct cobj_rep *r;
		struct mediator *m;
		uint32_t act;
		int s;

		if (!root)
			return NULL;
		if (root->ops != &mediator_ops) {
			/* The swap ended since our lookup: look again. A second
			 * miss on the same root is no memory for a rep. */
			if (root == last)
				return NULL;
			last = root;
			r = k42_cobj(ref);
			if (r)
				return r;
			continue;
		}
		m = (struct mediator *)root;
		s = k42_disable_save();
		k42_spin_lock(&k42_sync_lock);
		if (cobj_root_of(k42_cobj_space(), ref) != root) {
			k42_spin_unlock(&k42_sync_lock);
			k42_restore(s);
			continue;	/* switched meanwhile */
		}
		act = *act_slot();
		if (act && act - 1 == m->old_gen) {
			/* A call that was in flight when the swap began: it
			 * finishes in the old object, which the swap waits for
			 * (it cannot end while we are counted). */
			old = m->old;
			m->o->drained++;
			k42_spin_unlock(&k42_sync_lock);
			r = k42_obj_rep_of(old);
			k42_restore(s);
			return r;
		}
		if (!t) {
			k42_spin_unlock(&k42_sync_lock);
			k42_restore(s);
			return NULL;	/* cannot wait here */
		}
		t->wnext = m->waiters;
		m->waiters = t;
		m->o->held++;
		k42_thread_block_unlock(K42_WAIT_SYNC, &k42_sync_lock);
		k42_restore(s);
		last = NULL;
		r = k42_cobj(ref);
		if (r)
			return r;
	}
}

/* ---- the protocol ---- */

/* Put root (with ops) into o's entry; its reps survive the replacement. */
static long install(struct k42_swappable *o, struct cobj_root *root,
		    const struct cobj_root_ops *ops, struct cobj_root **prev)
{
	struct cobj_rep *reps = root->reps, *last;
	uint32_t n = root->nreps;
	long rc = cobj_root_replace(k42_cobj_space(), o->ref, root, ops, prev);

	if (rc < 0 || !reps)
		return rc;
	cobj_lock(&root->lock);
	for (last = reps; last->next; last = last->next)
		;
	last->next = root->reps;
	root->reps = reps;
	root->nreps += n;
	cobj_unlock(&root->lock);
	return 0;
}

/* Swap o's entry to `next` (steps 1-4 of <k42/hotswap.h>); 0 and *oldp
 * (no call can reach it any more), or < 0 and the old root serves again. */
static long swap_entry(struct k42_swappable *o, struct cobj_root *next,
		       const struct cobj_root_ops *ops,
		       long (*transfer)(struct cobj_root *from, struct cobj_root *to),
		       struct cobj_root **oldp)
{
	/* The object's own mediator, never freed: a thread that read the
	 * entry just before the swap ended may still look at it. */
	struct mediator *m = o->mediator;
	struct cobj_root *old, *prev;
	int threaded = k42_ipc_threaded() && k42_current && !k42_in_handler;
	/* Served one at a time (handler mode): nothing else runs meanwhile. */
	int s = threaded ? 0 : k42_disable_save();
	uint32_t mine = *act_slot(), self;
	long rc;

	/* Everything a lookup reads in the mediator is set before the
	 * mediator can be found (the replacement publishes it): a call that
	 * meets it at once may be one to drain into the old root. Swaps of
	 * a process are one at a time (swap_busy), so the entry and the
	 * generation change only here. */
	m->o = o;
	m->waiters = NULL;
	m->old = cobj_root_of(k42_cobj_space(), o->ref);
	m->old_gen = __atomic_load_n(&k42_act_gen, __ATOMIC_SEQ_CST) & 1;
	trace_swap_begin(o->ref);
	if (!m->old || m->old->ops == &mediator_ops) {
		rc = -K42_ENOENT;
		goto out;
	}
	rc = cobj_root_replace(k42_cobj_space(), o->ref, &m->root, &mediator_ops, &old);
	if (rc < 0)
		goto out;
	/* old == m->old: only a swap replaces the entry. */
	/* New activations from here are held; those before drain. */
	__atomic_fetch_add(&k42_act_gen, 1, __ATOMIC_SEQ_CST);
	self = mine && mine - 1 == m->old_gen;	/* the swap is itself a served call */
	while (__atomic_load_n(&k42_act_count[m->old_gen], __ATOMIC_SEQ_CST) > self) {
		if (!threaded) {
			rc = -K42_EBUSY;	/* a call of ours was interrupted: not now */
			break;
		}
		k42_thread_sleep_us(50);
	}
	trace_swap_drained(o->ref, o->held, o->drained);
	if (rc == 0 && transfer)
		rc = transfer(old, next);
	if (install(o, rc < 0 ? old : next, rc < 0 ? old->ops : ops, &prev) < 0)
		rc = -K42_ENOENT;	/* (cannot happen: the entry is ours) */
	if (rc == 0)
		*oldp = old;
	/* The held calls go on, into whichever root serves now. */
	{
		int d = k42_disable_save();

		k42_spin_lock(&k42_sync_lock);
		while (m->waiters) {
			struct k42_thread *t = m->waiters;

			m->waiters = t->wnext;
			t->wnext = NULL;
			k42_thread_wake(t);
		}
		k42_spin_unlock(&k42_sync_lock);
		k42_restore(d);
	}
out:
	trace_swap_end(o->ref, rc);
	if (!threaded)
		k42_restore(s);
	return rc;
}

/* Free a root no call can reach (its reps, then itself). */
static void retire(struct cobj_root *root, void (*destroy)(struct cobj_root *))
{
	for (struct cobj_rep *r = root->reps, *next; r; r = next) {
		next = r->next;
		if (root->ops->rep_destroy)
			root->ops->rep_destroy(root, r);
	}
	root->reps = NULL;
	if (destroy)
		destroy(root);
}

static const struct k42_swap_impl *find_impl(const struct k42_swappable *o, const char *name)
{
	for (unsigned i = 0; i < o->nimpls; i++)
		if (strcmp(o->impls[i].name, name) == 0)
			return &o->impls[i];
	return NULL;
}

static const struct k42_swap_interposer *find_interposer(const struct k42_swappable *o,
							  const char *name)
{
	for (unsigned i = 0; i < o->ninterposers; i++)
		if (strcmp(o->interposers[i].name, name) == 0)
			return &o->interposers[i];
	return NULL;
}

long k42_obj_publish(struct k42_swappable *o, const char *impl)
{
	const struct k42_swap_impl *im = find_impl(o, impl);
	struct cobj_root *root;
	long rc;

	if (!im)
		return -K42_ENOENT;
	if (k42_obj_find(o->name))
		return -K42_EEXIST;
	if (!o->mediator) {
		o->mediator = malloc(sizeof(struct mediator));
		if (!o->mediator)
			return -K42_ENOMEM;
		memset(o->mediator, 0, sizeof(struct mediator));
	}
	root = im->create();
	if (!root)
		return -K42_ENOMEM;
	rc = cobj_create(k42_cobj_space(), root, im->ops, &o->ref);
	if (rc < 0) {
		im->destroy(root);
		return rc;
	}
	o->impl = im;
	o->interposer = NULL;
	o->inner = NULL;
	o->swaps = o->held = o->drained = 0;
	o->next = objects;
	objects = o;
	/* Activations count from now on (the lean call path skips them). */
	k42_ipc_full_set(K42_IPC_FULL_SWAP, 1);
	return 0;
}

struct k42_swappable *k42_obj_find(const char *name)
{
	for (struct k42_swappable *o = objects; o; o = o->next)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

/* One swap (or listing) at a time per process: 1 if we took the turn.
 * A thread waits for it; the dispatcher's handler (calls served one at a
 * time, perhaps over a thread that holds it) cannot: -K42_EBUSY then. */
static int busy_enter(int wait)
{
	uint32_t zero;

	for (;;) {
		zero = 0;
		if (__atomic_compare_exchange_n(&swap_busy, &zero, 1, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return 1;
		if (!wait || !k42_current || k42_in_handler)
			return 0;
		k42_thread_sleep_us(100);
	}
}

static void busy_leave(void)
{
	__atomic_store_n(&swap_busy, 0, __ATOMIC_RELEASE);
}

/* k42_obj_swap with the turn taken. */
static long do_swap(struct k42_swappable *o, const char *impl)
{
	const struct k42_swap_impl *im = find_impl(o, impl);
	struct cobj_root *next, *old = NULL;
	long rc;

	if (!im)
		return -K42_ENOENT;
	if (o->interposer)
		return -K42_EBUSY;
	next = im->create();
	if (!next)
		return -K42_ENOMEM;
	rc = swap_entry(o, next, im->ops, im->transfer, &old);
	if (rc < 0) {
		im->destroy(next);
		return rc;
	}
	retire(old, o->impl->destroy);
	o->impl = im;
	o->swaps++;
	return 0;
}

long k42_obj_swap(struct k42_swappable *o, const char *impl)
{
	long rc;

	if (!busy_enter(1))
		return -K42_EBUSY;
	rc = do_swap(o, impl);
	busy_leave();
	return rc;
}

/* Detach o's interposer: what it counted (>= 0), or -K42_E*. */
static long detach(struct k42_swappable *o)
{
	const struct k42_swap_interposer *ip = o->interposer;
	struct cobj_root *old = NULL;
	uint64_t seen;
	long rc;

	if (!ip)
		return -K42_ENOENT;
	rc = swap_entry(o, o->inner, o->impl->ops, NULL, &old);
	if (rc < 0)
		return rc;
	seen = ip->count ? ip->count(old) : 0;
	retire(old, ip->destroy);
	o->interposer = NULL;
	o->inner = NULL;
	o->swaps++;
	return (long)(seen & 0x7fffffffffffffffull);
}

static long attach(struct k42_swappable *o, const char *name)
{
	const struct k42_swap_interposer *ip = find_interposer(o, name);
	struct cobj_root *next, *old = NULL;
	long rc;

	if (!ip)
		return -K42_ENOENT;
	if (o->interposer)
		return -K42_EBUSY;
	next = ip->create(cobj_root_of(k42_cobj_space(), o->ref));
	if (!next)
		return -K42_ENOMEM;
	rc = swap_entry(o, next, ip->ops, NULL, &old);
	if (rc < 0) {
		ip->destroy(next);
		return rc;
	}
	o->inner = old;		/* serving under the interposer, kept */
	o->interposer = ip;
	o->swaps++;
	return 0;
}

long k42_obj_interpose(struct k42_swappable *o, const char *name)
{
	long rc;

	if (!busy_enter(1))
		return -K42_EBUSY;
	rc = !name || !*name ? detach(o) : attach(o, name);
	busy_leave();
	return rc;
}

/* ---- idl/swap.idl ---- */

static uint64_t serving_caller;

static int may_change(uint64_t caller)
{
	uint64_t me = k42_info(K42_INFO_PID);

	return caller == me || k42_proc_manages(caller, me);
}

static long copy_name(char *dst, uint32_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n + 1 > cap)
		return -K42_E2BIG;
	memcpy(dst, src ? src : "", n + 1);
	return 0;
}

long swap_list_impl(const struct k42_ipc_caller *caller, uint32_t cursor, uint32_t *next,
		    char *name, uint32_t name_cap, char *impl, uint32_t impl_cap, char *interposer,
		    uint32_t interposer_cap, uint64_t *swaps, uint64_t *held, uint64_t *count)
{
	struct k42_swappable *o = objects;
	long rc;

	(void)caller;
	for (uint32_t i = 0; o && i < cursor; i++)
		o = o->next;
	if (!o)
		return -K42_ENOENT;
	/* No swap meanwhile: the entry holds the interposer's root, not a
	 * mediator, and it is not freed under us. */
	if (!busy_enter(1))
		return -K42_EBUSY;
	if ((rc = copy_name(name, name_cap, o->name)) < 0 ||
	    (rc = copy_name(impl, impl_cap, o->impl->name)) < 0 ||
	    (rc = copy_name(interposer, interposer_cap,
			    o->interposer ? o->interposer->name : "")) < 0)
		goto out;
	*swaps = o->swaps;
	*held = o->held;
	*count = o->interposer && o->interposer->count
			 ? o->interposer->count(cobj_root_of(k42_cobj_space(), o->ref))
			 : 0;
	*next = cursor + 1;
out:
	busy_leave();
	return rc;
}

long swap_impls_impl(const struct k42_ipc_caller *caller, const char *name, uint32_t index,
		     uint32_t *kind, char *impl, uint32_t impl_cap)
{
	struct k42_swappable *o = k42_obj_find(name);

	(void)caller;
	if (!o)
		return -K42_ENOENT;
	if (index < o->nimpls) {
		*kind = 0;
		return copy_name(impl, impl_cap, o->impls[index].name);
	}
	index -= o->nimpls;
	if (index < o->ninterposers) {
		*kind = 1;
		return copy_name(impl, impl_cap, o->interposers[index].name);
	}
	return -K42_ENOENT;
}

long swap_swap_impl(const struct k42_ipc_caller *caller, const char *name, const char *impl,
		    uint64_t *held, uint64_t *drained)
{
	struct k42_swappable *o = k42_obj_find(name);
	uint64_t h0, d0;
	long rc;

	if (!may_change(caller->pid))
		return -K42_EPERM;
	if (!o)
		return -K42_ENOENT;
	if (!busy_enter(1))
		return -K42_EBUSY;
	h0 = o->held;
	d0 = o->drained;
	rc = do_swap(o, impl);
	*held = o->held - h0;
	*drained = o->drained - d0;
	busy_leave();
	return rc < 0 ? rc : 0;
}

long swap_interpose_impl(const struct k42_ipc_caller *caller, const char *name,
			 const char *interposer, uint64_t *count)
{
	struct k42_swappable *o = k42_obj_find(name);
	long rc;

	if (!may_change(caller->pid))
		return -K42_EPERM;
	if (!o)
		return -K42_ENOENT;
	rc = k42_obj_interpose(o, interposer);
	if (rc < 0)
		return rc;
	*count = (uint64_t)rc;
	return 0;
}

void k42_swap_handle(const struct k42_ipc_caller *who, struct k42_ipc_msg *m)
{
	serving_caller = who->pid;
	swap_dispatch(who, m);
}

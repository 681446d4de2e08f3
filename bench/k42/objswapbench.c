/*
 * A libk42 object hot swap under calls from every CPU (./k42 bench;
 * docs/hot-swap.md, "Hot swap of objects"): a worker thread on a
 * dispatcher on every CPU calls two swappable objects without pause, A
 * (swapped) and B (never swapped), each call counted as an activation
 * (k42_act_enter), while the main thread swaps A between two
 * implementations SWAPS times. Prints per swap how long k42_obj_swap
 * took (mediator in, drain, transfer, switch: the longest any caller of
 * A can be held) and, per call on B, the ticks it took while no swap ran
 * and while A was being swapped (B must pay nothing for A's swaps).
 *
 * Every call is checked: each worker has its own counter in the object,
 * and every increment must return exactly one more than the worker's
 * last (a call lost or made twice across a transfer would show), and the
 * final counts must equal the calls each worker made.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/hotswap.h>
#include <k42/vp.h>

#define SWAPS 200
#define IDLE_CALLS 2000		/* B calls per worker measured before the swaps */
#define CUT 4000		/* a call timed longer lost its CPU meanwhile: not counted */

struct obj_rep;
struct obj_ops {
	uint64_t (*inc)(struct obj_rep *r, unsigned w);
};
struct obj_rep {
	struct cobj_rep rep;	/* first */
	const struct obj_ops *ops;
	uint64_t *n;		/* the root's counters */
};
struct obj {
	struct cobj_root root;	/* first */
	struct obj_rep rep;	/* one rep serves every dispatcher: counters are per worker */
	uint64_t n[K42_VPS_MAX];
};

static uint64_t inc_a(struct obj_rep *r, unsigned w)
{
	return ++r->n[w];
}

static uint64_t inc_b(struct obj_rep *r, unsigned w)
{
	return r->n[w] += 1;
}

static const struct obj_ops ops_a = { inc_a }, ops_b = { inc_b };

static struct cobj_rep *rep_create(struct cobj_root *root, uint32_t cpu)
{
	(void)cpu;
	return &((struct obj *)root)->rep.rep;
}

static void rep_destroy(struct cobj_root *root, struct cobj_rep *rep)
{
	(void)root;
	(void)rep;
}

static const struct cobj_root_ops root_ops = { rep_create, rep_destroy, NULL };

static struct cobj_root *create(const struct obj_ops *ops)
{
	struct obj *o = malloc(sizeof(*o));

	if (!o)
		return NULL;
	memset(o, 0, sizeof(*o));
	o->rep.ops = ops;
	o->rep.n = o->n;
	return &o->root;
}

static struct cobj_root *create_a(void)
{
	return create(&ops_a);
}

static struct cobj_root *create_b(void)
{
	return create(&ops_b);
}

static long transfer(struct cobj_root *from, struct cobj_root *to)
{
	memcpy(((struct obj *)to)->n, ((struct obj *)from)->n, sizeof(((struct obj *)to)->n));
	return 0;
}

static void destroy(struct cobj_root *root)
{
	free(root);
}

static const struct k42_swap_impl impls[] = {
	{ "a", create_a, &root_ops, transfer, destroy },
	{ "b", create_b, &root_ops, transfer, destroy },
};

static struct k42_swappable obj_a = { .name = "bench.swapped", .impls = impls, .nimpls = 2 };
static struct k42_swappable obj_b = { .name = "bench.still", .impls = impls, .nimpls = 2 };

static volatile int stop, swapping;
static unsigned nworkers, done;
static struct {
	uint64_t calls, errors;
	uint64_t b_ticks[2], b_calls[2], b_cut;	/* [0] no swap running, [1] swapping */
} __attribute__((aligned(128))) wk[K42_VPS_MAX];

static uint64_t call(struct k42_swappable *o, unsigned w)
{
	uint32_t prev, g = k42_act_enter(&prev);
	struct obj_rep *r = (struct obj_rep *)k42_obj(o->ref);
	uint64_t v = r ? r->ops->inc(r, w) : 0;

	k42_act_exit(g, prev);
	return v;
}

static void *worker(void *arg)
{
	unsigned w = (unsigned)(uintptr_t)arg;

	for (uint64_t i = 1; !stop; i++) {
		int s = swapping;
		uint64_t t0, dt;

		if (call(&obj_a, w) != i)
			wk[w].errors++;
		t0 = k42_timebase();
		if (call(&obj_b, w) != i)
			wk[w].errors++;
		dt = k42_timebase() - t0;
		if (dt < CUT) {
			wk[w].b_ticks[s] += dt;
			wk[w].b_calls[s]++;
		} else {
			wk[w].b_cut++;
		}
		__atomic_store_n(&wk[w].calls, i, __ATOMIC_RELEASE);
		if ((i & 15) == 0)
			k42_thread_yield();	/* the swapper shares dispatcher 0 */
	}
	__atomic_add_fetch(&done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void wait_progress(uint64_t more)
{
	uint64_t seen[K42_VPS_MAX];

	for (unsigned w = 0; w < nworkers; w++)
		seen[w] = __atomic_load_n(&wk[w].calls, __ATOMIC_ACQUIRE);
	for (unsigned w = 0; w < nworkers; w++)
		while (__atomic_load_n(&wk[w].calls, __ATOMIC_ACQUIRE) < seen[w] + more)
			k42_thread_yield();
}

static void report(const char *name, uint64_t ticks, uint64_t n)
{
	uint64_t milli = n ? ticks * 1000 / n : 0;

	k42_printf("BENCH %s_ticks_per_op %lu.%03lu\n", name, milli / 1000, milli % 1000);
}

/* No calls come in: the process serves with threads only so that a swap
 * may wait for calls in flight on other dispatchers (<k42/hotswap.h>:
 * in handler mode it may not), as the servers that swap objects do. */
static void no_calls(uint64_t caller, struct k42_ipc_msg *m)
{
	(void)caller;
	m->op = (uint64_t)-K42_ENOSYS;
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	uint64_t swap_ticks = 0, errors = 0, b_ticks[2] = { 0, 0 }, b_calls[2] = { 0, 0 }, cut = 0;

	(void)arg;
	for (long c = 1; c < ncpus && c < K42_VPS_MAX; c++)
		if (k42_vp_start((unsigned)c) != c)
			return 1;
	nworkers = k42_vp_count();
	k42_serve_threads(no_calls);
	if (k42_obj_publish(&obj_a, "a") < 0 || k42_obj_publish(&obj_b, "b") < 0)
		return 2;
	for (unsigned w = 0; w < nworkers; w++)
		if (!k42_thread_create_on(w, worker, (void *)(uintptr_t)w, NULL))
			return 3;
	wait_progress(IDLE_CALLS);
	swapping = 1;
	for (unsigned i = 0; i < SWAPS; i++) {
		uint64_t t0;

		wait_progress(4);	/* every CPU calls between two swaps */
		t0 = k42_timebase();
		long rc = k42_obj_swap(&obj_a, (i & 1) ? "a" : "b");

		if (rc != 0) {
			if (!errors)
				k42_printf("objswapbench: swap %u: %ld\n", i, rc);
			errors++;
		}
		swap_ticks += k42_timebase() - t0;
	}
	wait_progress(4);
	stop = 1;
	while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < nworkers)
		k42_thread_yield();
	/* Every worker's count in each object is exactly its calls. */
	struct obj_rep *ra = (struct obj_rep *)k42_obj(obj_a.ref), *rb = (struct obj_rep *)k42_obj(obj_b.ref);

	for (unsigned w = 0; w < nworkers; w++) {
		if (!ra || !rb || ra->n[w] != wk[w].calls || rb->n[w] != wk[w].calls)
			errors++;
		if (wk[w].errors)
			k42_printf("objswapbench: worker %u: %lu wrong counts\n", w, wk[w].errors);
		errors += wk[w].errors;
		for (int s = 0; s < 2; s++) {
			b_ticks[s] += wk[w].b_ticks[s];
			b_calls[s] += wk[w].b_calls[s];
		}
		cut += wk[w].b_cut;
	}
	if (errors || obj_a.swaps != SWAPS || obj_b.swaps != 0) {
		k42_printf("objswapbench: %lu errors, %lu swaps of A, %lu of B\n", errors, obj_a.swaps,
			   obj_b.swaps);
		return 4;
	}
	k42_printf("BENCH objswap_cpus %ld\n", ncpus);
	report("objswap_hold", swap_ticks, SWAPS);
	report("objswap_still_idle", b_ticks[0], b_calls[0]);
	report("objswap_still_swapping", b_ticks[1], b_calls[1]);
	k42_printf("objswapbench: %d swaps under %u workers on %ld CPUs: %lu calls held, %lu waited "
		   "for; %lu + %lu calls on B timed, %lu not (lost the CPU)\n", SWAPS, nworkers, ncpus,
		   obj_a.held, obj_a.drained, b_calls[0], b_calls[1], cut);
	k42_printf("BENCH done\n");
	return 0;
}

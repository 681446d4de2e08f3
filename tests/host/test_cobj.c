/*
 * Host test of the clustered-object core (lib/cobj/cobj.c): reps made on
 * first use per CPU through a miss and owned by the root; hits make
 * nothing; stale refs find nothing; deletion frees every rep and the root
 * only after quiescence and gives the slot a new generation; a full table
 * refuses; root replacement (hot swap's primitive) sends every CPU's next
 * lookup to the new root. Then real threads as CPUs look objects up
 * while others delete and create them, under ASan.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <k42/errno.h>
#include <cobj/cobj.h>
#include "check.h"

/* The host environment's hooks (cobj/lock.h). */
unsigned long cobj_env_hold(void)
{
	return 0;
}

void cobj_env_release(unsigned long saved)
{
	(void)saved;
}

void cobj_env_relax(void)
{
	sched_yield();
}

#define NCPUS 4
#define NSLOTS 8

struct counter_rep {
	struct cobj_rep rep;	/* first */
	uint64_t magic;
	uint64_t count;
};

struct counter {
	struct cobj_root root;	/* first */
	int id;
	int shared;		/* one rep for every CPU */
	struct counter_rep *one;
};

static int reps_made, reps_freed, roots_freed;

static struct cobj_rep *counter_rep_create(struct cobj_root *root, uint32_t cpu)
{
	struct counter *c = (struct counter *)root;
	struct counter_rep *r;

	if (c->shared && c->one)
		return &c->one->rep;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->magic = 0xc0b1;
	__atomic_add_fetch(&reps_made, 1, __ATOMIC_RELAXED);
	if (c->shared)
		c->one = r;
	(void)cpu;
	return &r->rep;
}

static void counter_rep_destroy(struct cobj_root *root, struct cobj_rep *rep)
{
	struct counter_rep *r = (struct counter_rep *)rep;

	(void)root;
	r->magic = 0;
	__atomic_add_fetch(&reps_freed, 1, __ATOMIC_RELAXED);
	free(r);
}

static void counter_root_destroy(struct cobj_root *root)
{
	__atomic_add_fetch(&roots_freed, 1, __ATOMIC_RELAXED);
	free(root);
}

static const struct cobj_root_ops counter_ops = {
	counter_rep_create, counter_rep_destroy, counter_root_destroy,
};

static struct cobj_space space;
static struct quiesce q;
static struct cobj_root *roots[NSLOTS];
static uint32_t words[2 * NSLOTS];
static struct cobj_rep *local[NCPUS][NSLOTS];

static void all_points(int rounds)
{
	for (int r = 0; r < rounds; r++)
		for (uint32_t c = 0; c < NCPUS; c++)
			quiesce_point(&q, c);
}

static struct counter *new_counter(int id)
{
	struct counter *c = calloc(1, sizeof(*c));

	c->id = id;
	return c;
}

static void test_logic(void)
{
	struct counter *a = new_counter(1), *b;
	struct cobj_rep *r0, *r1, *again;
	cobj_ref ref, ref2, refs[NSLOTS];
	int n;

	quiesce_init(&q, NCPUS);
	cobj_space_init(&space, NSLOTS, NCPUS, roots, words, &q);
	for (uint32_t c = 0; c < NCPUS; c++)
		cobj_space_add_cpu(&space, c, local[c]);

	CHECK(cobj_create(&space, &a->root, &counter_ops, &ref) == 0, "create");
	CHECK(cobj_ref_slot(ref) != 0, "slot 0 handed out");
	CHECK(reps_made == 0, "a rep made before first use");
	r0 = cobj_lookup(&space, 0, ref);
	r1 = cobj_lookup(&space, 1, ref);
	CHECK(r0 && r1 && r0 != r1, "CPUs 0 and 1 share a rep (%p %p)", (void *)r0, (void *)r1);
	CHECK(reps_made == 2 && a->root.nreps == 2, "made %d reps, root has %u", reps_made,
	      a->root.nreps);
	CHECK(r0->root == &a->root && r0->cpu == 0 && r1->cpu == 1, "rep not owned by root");
	again = cobj_lookup(&space, 0, ref);
	CHECK(again == r0 && reps_made == 2, "a hit made a rep");
	CHECK(space.misses == 2, "misses %lu", space.misses);
	CHECK(cobj_lookup(&space, 0, ref + (1ull << 32)) == NULL, "a ref of the wrong generation found it");
	CHECK(cobj_lookup(&space, 0, (cobj_ref)NSLOTS + 3) == NULL, "an out-of-range slot found something");
	CHECK(cobj_lookup(&space, 0, 0) == NULL, "ref 0 found something");
	CHECK(cobj_lookup(&space, 2, ref - 1) == NULL, "an empty slot found something");

	/* Deletion: gone at once for lookups, memory only after quiescence. */
	CHECK(cobj_destroy(&space, 1, ref) == 0, "destroy");
	CHECK(cobj_lookup(&space, 0, ref) == NULL && cobj_lookup(&space, 3, ref) == NULL,
	      "found after destroy");
	CHECK(cobj_destroy(&space, 1, ref) == -K42_ENOENT, "destroyed twice");
	CHECK(reps_freed == 0 && roots_freed == 0, "freed before quiescence");
	CHECK(((struct counter_rep *)r0)->magic == 0xc0b1, "rep clobbered before quiescence");
	quiesce_point(&q, 0);
	quiesce_point(&q, 1);
	CHECK(reps_freed == 0, "freed with CPUs 2 and 3 not passed");
	all_points(4);
	CHECK(reps_freed == 2 && roots_freed == 1, "after quiescence: %d reps, %d roots freed",
	      reps_freed, roots_freed);

	/* The slot is reused with a new generation. */
	b = new_counter(2);
	CHECK(cobj_create(&space, &b->root, &counter_ops, &ref2) == 0, "create again");
	CHECK(cobj_ref_slot(ref2) == cobj_ref_slot(ref) && ref2 != ref,
	      "slot not reused with a new generation (%lx, %lx)", ref, ref2);
	CHECK(cobj_lookup(&space, 0, ref) == NULL, "stale ref found the new object");
	CHECK(cobj_lookup(&space, 0, ref2) != NULL, "new object not found");

	/* Full table. */
	n = 0;
	for (int i = 0; i < NSLOTS; i++) {
		struct counter *c = new_counter(10 + i);

		if (cobj_create(&space, &c->root, &counter_ops, &refs[n]) == 0) {
			n++;
		} else {
			free(c);
			break;
		}
	}
	CHECK(n == NSLOTS - 2, "%d more objects fit in %d slots", n, NSLOTS);
	for (int i = 0; i < n; i++)
		CHECK(cobj_destroy(&space, (uint32_t)i % NCPUS, refs[i]) == 0, "destroy %d", i);
	CHECK(space.live == (uint32_t)n + 1, "slots freed before quiescence");
	all_points(4);
	CHECK(space.live == 1, "%u slots live after quiescence", space.live);

	/* A shared rep is linked once. */
	struct counter *sh = new_counter(3);
	cobj_ref rs;

	sh->shared = 1;
	CHECK(cobj_create(&space, &sh->root, &counter_ops, &rs) == 0, "create shared");
	for (uint32_t c = 0; c < NCPUS; c++)
		CHECK(cobj_lookup(&space, c, rs) == &sh->one->rep, "CPU %u: not the shared rep", c);
	CHECK(sh->root.nreps == 1, "shared rep linked %u times", sh->root.nreps);

	/* Replacement: the next lookup on every CPU misses into the new root. */
	struct counter *med = new_counter(4);
	struct cobj_root *prev = NULL;
	struct cobj_rep *m;

	r0 = cobj_lookup(&space, 0, ref2);
	CHECK(cobj_root_replace(&space, ref2, &med->root, &counter_ops, &prev) == 0, "replace");
	CHECK(prev == &b->root, "replace returned %p", (void *)prev);
	m = cobj_lookup(&space, 0, ref2);
	CHECK(m && m != r0 && m->root == &med->root, "lookup after replace did not reach the new root");
	CHECK(((struct counter_rep *)r0)->magic == 0xc0b1, "old rep clobbered by replace");
	CHECK(cobj_root_replace(&space, ref2 + (1ull << 32), &med->root, &counter_ops, &prev) ==
	      -K42_ENOENT, "replace of a stale ref");
	/* The caller owns the old root: free it after quiescence, by hand here. */
	all_points(4);
	for (struct cobj_rep *r = prev->reps, *nx; r; r = nx) {
		nx = r->next;
		counter_rep_destroy(prev, r);
	}
	counter_root_destroy(prev);
	CHECK(cobj_destroy(&space, 0, ref2) == 0 && cobj_destroy(&space, 0, rs) == 0, "destroy last");
	all_points(4);
	CHECK(space.live == 0, "%u slots still live", space.live);
	CHECK(reps_made == reps_freed, "reps made %d, freed %d", reps_made, reps_freed);
	CHECK(quiesce_waiting(&q) == 0, "%lu waiting", quiesce_waiting(&q));
}

/* Threads as CPUs: lookups race with deletion and creation. */
#define TSLOTS 64
#define TOBJS 24
#define TITER 30000

static struct cobj_root *troots[TSLOTS];
static uint32_t twords[2 * TSLOTS];
static struct cobj_rep *tlocal[NCPUS][TSLOTS];
static cobj_ref tref[TOBJS];
static int tbad, tcreated;

static void *tcpu(void *arg)
{
	uint32_t cpu = (uint32_t)(uintptr_t)arg;
	unsigned seed = cpu * 7 + 1;

	/* TITER rounds, and on (up to 20 times as many) until more than 100
	 * objects were made: on a loaded host a descheduled thread holds
	 * deletion back, the slots fill and creates fail for a while. */
	for (int i = 0; i < TITER || (i < 20 * TITER &&
				      __atomic_load_n(&tcreated, __ATOMIC_RELAXED) <= 100); i++) {
		int k = rand_r(&seed) % TOBJS;
		cobj_ref ref = __atomic_load_n(&tref[k], __ATOMIC_ACQUIRE);

		if (rand_r(&seed) % 16 == 0) {
			struct counter *c = new_counter(k);
			cobj_ref nref;

			if (cobj_create(&space, &c->root, &counter_ops, &nref) < 0) {
				free(c);
			} else if (__atomic_compare_exchange_n(&tref[k], &ref, nref, 0,
							       __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
				__atomic_add_fetch(&tcreated, 1, __ATOMIC_RELAXED);
				if (ref)
					cobj_destroy(&space, cpu, ref);
			} else {
				if (cobj_destroy(&space, cpu, nref) < 0)
					__atomic_add_fetch(&tbad, 1, __ATOMIC_RELAXED);
			}
		} else if (ref) {
			struct counter_rep *r = (struct counter_rep *)cobj_lookup(&space, cpu, ref);

			/* NULL is fine (deleted meanwhile); a rep must be ours. */
			if (r && (r->magic != 0xc0b1 || r->rep.cpu != cpu || r->rep.gen != cobj_ref_gen(ref)))
				__atomic_add_fetch(&tbad, 1, __ATOMIC_RELAXED);
			if (r)
				r->count++;
		}
		if (rand_r(&seed) % 50 == 0) {
			quiesce_idle_enter(&q, cpu);
			sched_yield();
			quiesce_idle_exit(&q, cpu);
		} else {
			quiesce_point(&q, cpu);
		}
	}
	quiesce_idle_enter(&q, cpu);
	return NULL;
}

static void test_threads(void)
{
	pthread_t th[NCPUS];

	reps_made = reps_freed = roots_freed = 0;
	quiesce_init(&q, NCPUS);
	cobj_space_init(&space, TSLOTS, NCPUS, troots, twords, &q);
	for (uint32_t c = 0; c < NCPUS; c++)
		cobj_space_add_cpu(&space, c, tlocal[c]);
	for (uintptr_t c = 0; c < NCPUS; c++)
		pthread_create(&th[c], NULL, tcpu, (void *)c);
	for (int c = 0; c < NCPUS; c++)
		pthread_join(th[c], NULL);
	for (uint32_t c = 0; c < NCPUS; c++)
		quiesce_idle_exit(&q, c);
	for (int k = 0; k < TOBJS; k++)
		if (tref[k])
			CHECK(cobj_destroy(&space, 0, tref[k]) == 0, "final destroy %d", k);
	all_points(4 * NCPUS);
	CHECK(tbad == 0, "%d bad lookups or destroys", tbad);
	CHECK(tcreated > 100, "only %d objects created", tcreated);
	CHECK(space.live == 0, "%u slots live after the run", space.live);
	CHECK(reps_made == reps_freed, "reps made %d, freed %d", reps_made, reps_freed);
	CHECK(quiesce_waiting(&q) == 0, "%lu waiting", quiesce_waiting(&q));
}

int main(void)
{
	test_logic();
	test_threads();
	return check_done("cobj");
}

/*
 * Host test of deferred deletion by generations (lib/cobj/quiesce.c): an
 * object is freed exactly once, and never before every CPU has passed a
 * quiescent point since it was retired. A random schedule of retirements
 * and quiescent points on 8 simulated CPUs is checked against that rule;
 * idle CPUs never hold a free back; and real threads as CPUs read objects
 * others retire, under ASan.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cobj/quiesce.h>
#include "check.h"

#define NCPUS 8
#define OBJS 2000

struct obj {
	struct deferred d;	/* first */
	int freed;
	int passed[NCPUS];	/* CPUs that passed a point since retirement */
};

static struct obj objs[OBJS];
static int early_frees, double_frees, frees;

static void obj_free(struct deferred *d)
{
	struct obj *o = (struct obj *)d;

	for (int c = 0; c < NCPUS; c++)
		if (!o->passed[c])
			early_frees++;
	if (o->freed)
		double_frees++;
	o->freed = 1;
	frees++;
}

/* An idle CPU holds nothing: it never delays a free, even holding the token. */
static void test_idle(void)
{
	struct quiesce iq;
	struct obj o;

	memset(&o, 0, sizeof(o));
	for (int c = 0; c < NCPUS; c++)
		o.passed[c] = 1;
	quiesce_init(&iq, 4);
	quiesce_idle_enter(&iq, 2);
	quiesce_idle_enter(&iq, 3);
	quiesce_point(&iq, 0);		/* token 0 -> 1 */
	quiesce_idle_enter(&iq, 1);	/* holder goes idle: passes it on */
	quiesce_defer(&iq, 0, &o.d, obj_free);
	for (int i = 0; i < 6 && !o.freed; i++)
		quiesce_point(&iq, 0);
	CHECK(o.freed, "CPU 0 alone (1-3 idle) could not free: generation %lu",
	      quiesce_generation(&iq));
	/* A CPU back from idle counts again. */
	o.freed = 0;
	quiesce_idle_exit(&iq, 3);
	quiesce_defer(&iq, 0, &o.d, obj_free);
	for (int i = 0; i < 20; i++)
		quiesce_point(&iq, 0);
	CHECK(!o.freed, "freed while CPU 3 (awake) passed no point");
	quiesce_point(&iq, 3);
	for (int i = 0; i < 6 && !o.freed; i++) {
		quiesce_point(&iq, 0);
		quiesce_point(&iq, 3);
	}
	CHECK(o.freed, "not freed after CPU 3 passed points");
}

/* quiesce_pass (a point where nothing may be freed: the kernel's held
 * faults, which run without its lock) moves the token and the generation
 * like a point, but frees nothing; the next real point frees what is ripe. */
static void test_pass(void)
{
	struct quiesce pq;
	struct obj o;
	uint64_t gen;

	memset(&o, 0, sizeof(o));
	for (int c = 0; c < NCPUS; c++)
		o.passed[c] = 1;
	quiesce_init(&pq, 2);
	quiesce_defer(&pq, 0, &o.d, obj_free);
	gen = quiesce_generation(&pq);
	for (int i = 0; i < 8; i++) {
		quiesce_pass(&pq, 0);
		quiesce_pass(&pq, 1);
	}
	CHECK(quiesce_generation(&pq) >= gen + QUIESCE_GENS, "passes did not advance the generation: %lu -> %lu",
	      gen, quiesce_generation(&pq));
	CHECK(!o.freed && quiesce_waiting(&pq) == 1, "a pass freed an object");
	quiesce_pass(&pq, 1);
	CHECK(!o.freed, "a pass on another CPU freed it");
	quiesce_point(&pq, 0);
	CHECK(o.freed && quiesce_waiting(&pq) == 0, "the next point did not free it");
}

/* quiesce_all_ripe_at, the word other CPUs read to decide whether
 * waking an idle holder frees all it holds (kern/quiesce.c): no while
 * the list is empty or its newest object is too young (even if older
 * ones are ripe), yes once the newest is ripe, and no again once the
 * list is emptied. */
static void test_all_ripe_at(void)
{
	struct quiesce rq;
	struct obj o[2];
	uint64_t gen, g0;

	memset(o, 0, sizeof(o));
	for (int i = 0; i < 2; i++)
		for (int c = 0; c < NCPUS; c++)
			o[i].passed[c] = 1;
	quiesce_init(&rq, 2);
	g0 = quiesce_generation(&rq);
	CHECK(!quiesce_all_ripe_at(&rq, 0, g0 + 100), "an empty list is ripe");
	quiesce_defer_leaf(&rq, 0, &o[0].d, obj_free);
	CHECK(!quiesce_all_ripe_at(&rq, 0, g0) && !quiesce_all_ripe_at(&rq, 0, g0 + QUIESCE_GENS - 1),
	      "ripe before QUIESCE_GENS generations");
	CHECK(quiesce_all_ripe_at(&rq, 0, g0 + QUIESCE_GENS), "not ripe after QUIESCE_GENS generations");
	CHECK(!quiesce_all_ripe_at(&rq, 1, g0 + QUIESCE_GENS), "CPU 1 (nothing retired) is ripe");
	while (quiesce_generation(&rq) < g0 + 1) {
		quiesce_pass(&rq, 0);
		quiesce_pass(&rq, 1);
	}
	quiesce_defer(&rq, 0, &o[1].d, obj_free);	/* one generation younger */
	CHECK(!quiesce_all_ripe_at(&rq, 0, g0 + QUIESCE_GENS),
	      "all ripe while the newest object is one generation too young");
	CHECK(quiesce_all_ripe_at(&rq, 0, g0 + 1 + QUIESCE_GENS), "the newest is not ripe in time");
	while (quiesce_generation(&rq) < g0 + QUIESCE_GENS) {
		quiesce_pass(&rq, 0);
		quiesce_pass(&rq, 1);
	}
	gen = quiesce_generation(&rq);
	CHECK(quiesce_ripe(&rq, 0) && !quiesce_all_ripe_at(&rq, 0, gen),
	      "the head is ripe, the newest not: all_ripe_at must say no (generation %lu)", gen);
	while (!o[1].freed) {
		quiesce_point(&rq, 0);
		quiesce_point(&rq, 1);
	}
	CHECK(o[0].freed, "the older object outlived the newer");
	CHECK(!quiesce_all_ripe_at(&rq, 0, quiesce_generation(&rq) + 100), "ripe after the list emptied");
}

/* quiesce_reclaim_leaf frees, away from a point, only ripe objects that
 * quiesce_defer_leaf retired, oldest first, stopping at the first that is
 * not ripe or not leaf; quiesce_ripe still sees a ripe ordinary one, and
 * the next point frees the rest. */
static void test_leaf(void)
{
	struct quiesce lq;
	struct obj o[4];

	memset(o, 0, sizeof(o));
	for (int i = 0; i < 4; i++)
		for (int c = 0; c < NCPUS; c++)
			o[i].passed[c] = 1;
	quiesce_init(&lq, 2);
	quiesce_defer_leaf(&lq, 0, &o[0].d, obj_free);
	CHECK(quiesce_reclaim_leaf(&lq, 0) == 0 && !o[0].freed, "a leaf object freed before it was ripe");
	quiesce_defer_leaf(&lq, 0, &o[1].d, obj_free);
	quiesce_defer(&lq, 0, &o[2].d, obj_free);
	quiesce_defer_leaf(&lq, 0, &o[3].d, obj_free);
	for (int i = 0; i < 8; i++) {
		quiesce_pass(&lq, 0);
		quiesce_pass(&lq, 1);
	}
	CHECK(quiesce_reclaim_leaf(&lq, 0) == 2 && o[0].freed && o[1].freed && !o[2].freed &&
	      !o[3].freed, "reclaim_leaf did not stop at the ordinary object");
	CHECK(quiesce_ripe(&lq, 0) && quiesce_waiting(&lq) == 2, "the ordinary one is not ripe");
	CHECK(quiesce_reclaim_leaf(&lq, 1) == 0, "another CPU's list reclaimed");
	quiesce_point(&lq, 0);
	CHECK(o[2].freed && o[3].freed && quiesce_waiting(&lq) == 0, "the point did not free the rest");
}

/*
 * Real threads as CPUs: each reads shared objects that others replace
 * and retire, passing a quiescent point between operations; a reader
 * checks the object's canary, and ASan reports any use after free.
 */
#define TCPUS 4
#define TSLOTS 16
#define TITER 40000

struct tobj {
	struct deferred d;	/* first */
	uint64_t canary;
};

static struct quiesce tq;
static struct tobj *tslot[TSLOTS];
static int tbad, tfreed, tmade;

static void tobj_free(struct deferred *d)
{
	struct tobj *o = (struct tobj *)d;

	o->canary = 0;
	__atomic_add_fetch(&tfreed, 1, __ATOMIC_RELAXED);
	free(o);
}

static void *tcpu(void *arg)
{
	uint32_t cpu = (uint32_t)(uintptr_t)arg;
	unsigned seed = cpu + 1;

	for (int i = 0; i < TITER; i++) {
		int s = rand_r(&seed) % TSLOTS;

		if (rand_r(&seed) % 8 == 0) {
			struct tobj *n = malloc(sizeof(*n)), *old;

			n->canary = 0x600d;
			__atomic_add_fetch(&tmade, 1, __ATOMIC_RELAXED);
			old = __atomic_exchange_n(&tslot[s], n, __ATOMIC_ACQ_REL);
			if (old)
				quiesce_defer(&tq, cpu, &old->d, tobj_free);
		} else {
			struct tobj *o = __atomic_load_n(&tslot[s], __ATOMIC_ACQUIRE);

			for (int k = 0; o && k < 8; k++)
				if (__atomic_load_n(&o->canary, __ATOMIC_RELAXED) != 0x600d)
					__atomic_add_fetch(&tbad, 1, __ATOMIC_RELAXED);
		}
		if (rand_r(&seed) % 64 == 0) {
			quiesce_idle_enter(&tq, cpu);
			sched_yield();
			quiesce_idle_exit(&tq, cpu);
		} else {
			quiesce_point(&tq, cpu);
		}
	}
	/* Keep passing points until every CPU is done, then drain. */
	quiesce_idle_enter(&tq, cpu);
	return NULL;
}

static void test_threads(void)
{
	pthread_t th[TCPUS];

	quiesce_init(&tq, TCPUS);
	for (uintptr_t c = 0; c < TCPUS; c++)
		pthread_create(&th[c], NULL, tcpu, (void *)c);
	for (int c = 0; c < TCPUS; c++)
		pthread_join(th[c], NULL);
	for (int s = 0; s < TSLOTS; s++)
		if (tslot[s])
			quiesce_defer(&tq, 0, &tslot[s]->d, tobj_free);
	for (int round = 0; round < 4 * TCPUS; round++)
		for (uint32_t c = 0; c < TCPUS; c++) {
			quiesce_idle_exit(&tq, c);
			quiesce_point(&tq, c);
		}
	CHECK(tbad == 0, "%d reads saw a freed object", tbad);
	CHECK(tfreed == tmade, "freed %d of %d", tfreed, tmade);
	CHECK(quiesce_waiting(&tq) == 0, "%lu still waiting", quiesce_waiting(&tq));
	CHECK(quiesce_generation(&tq) > 100, "only %lu generations", quiesce_generation(&tq));
}

int main(void)
{
	struct quiesce q;
	struct obj one;
	int retired = 0;

	test_pass();
	test_leaf();
	test_all_ripe_at();
	/* The basic rule, step by step. */
	quiesce_init(&q, 2);
	memset(&one, 0, sizeof(one));
	one.passed[2] = one.passed[3] = one.passed[4] = one.passed[5] = one.passed[6] =
		one.passed[7] = 1;
	quiesce_defer(&q, 0, &one.d, obj_free);
	CHECK(quiesce_waiting(&q) == 1, "waiting %lu", quiesce_waiting(&q));
	one.passed[0] = 1;
	quiesce_point(&q, 0);
	CHECK(!one.freed, "freed after only CPU 0 passed");
	quiesce_point(&q, 0);
	CHECK(!one.freed, "freed after CPU 0 passed twice");
	one.passed[1] = 1;
	quiesce_point(&q, 1);
	/* Freed by the CPU that retired it, at one of its own points, two
	 * generations on: a few more rounds. */
	for (int i = 0; i < 8 && !one.freed; i++)
		quiesce_point(&q, (uint32_t)(i & 1));
	CHECK(one.freed && quiesce_waiting(&q) == 0, "not freed after both CPUs passed");
	CHECK(quiesce_freed(&q) == 1, "freed count %lu", quiesce_freed(&q));
	frees = 0;

	/* Random schedule on many CPUs. */
	quiesce_init(&q, NCPUS);
	srand(1);
	for (int step = 0; step < 200000; step++) {
		int cpu = rand() % NCPUS;

		if (retired < OBJS && rand() % 4 == 0) {
			/* Half of them leaf objects, which a CPU also frees
			 * away from its points (below). */
			if (rand() % 2)
				quiesce_defer_leaf(&q, (uint32_t)cpu, &objs[retired].d, obj_free);
			else
				quiesce_defer(&q, (uint32_t)cpu, &objs[retired].d, obj_free);
			retired++;
		} else if (rand() % 5 == 0) {
			quiesce_reclaim_leaf(&q, (uint32_t)cpu);	/* no point passed */
		} else {
			/* Mark first, so obj_free sees this CPU as having passed. */
			for (int i = 0; i < retired; i++)
				if (!objs[i].freed)
					objs[i].passed[cpu] = 1;
			quiesce_point(&q, cpu);
		}
	}
	/* Drain: rounds of points on every CPU free everything. */
	for (int round = 0; round < 4 * QUIESCE_GENS; round++)
		for (int c = 0; c < NCPUS; c++) {
			for (int i = 0; i < retired; i++)
				if (!objs[i].freed)
					objs[i].passed[c] = 1;
			quiesce_point(&q, (uint32_t)c);
		}
	CHECK(retired == OBJS, "retired %d", retired);
	CHECK(frees == OBJS, "freed %d of %d", frees, OBJS);
	CHECK(early_frees == 0, "%d frees before every CPU passed", early_frees);
	CHECK(double_frees == 0, "%d double frees", double_frees);
	CHECK(quiesce_waiting(&q) == 0, "%lu still waiting", quiesce_waiting(&q));

	test_idle();
	test_threads();
	return check_done("quiesce");
}

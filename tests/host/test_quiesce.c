/*
 * Host test of deferred deletion (kern/quiesce.c) with simulated CPUs: an
 * object is freed exactly once, and never before every CPU has passed a
 * quiescent point since it was retired. A random schedule of retirements
 * and quiescent points on 8 CPUs is checked against that rule.
 */
#include <stdlib.h>
#include <string.h>
#include <kern/quiesce.h>
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

int main(void)
{
	struct quiesce q;
	struct obj one;
	int retired = 0;

	/* The basic rule, step by step. */
	quiesce_init(&q, 2);
	memset(&one, 0, sizeof(one));
	one.passed[2] = one.passed[3] = one.passed[4] = one.passed[5] = one.passed[6] =
		one.passed[7] = 1;
	quiesce_defer(&q, &one.d, obj_free);
	CHECK(quiesce_waiting(&q) == 1, "waiting %lu", quiesce_waiting(&q));
	one.passed[0] = 1;
	quiesce_point(&q, 0);
	CHECK(!one.freed, "freed after only CPU 0 passed");
	quiesce_point(&q, 0);
	CHECK(!one.freed, "freed after CPU 0 passed twice");
	one.passed[1] = 1;
	quiesce_point(&q, 1);
	CHECK(one.freed && quiesce_waiting(&q) == 0, "not freed after both CPUs passed");
	frees = 0;

	/* Random schedule on many CPUs. */
	quiesce_init(&q, NCPUS);
	srand(1);
	for (int step = 0; step < 200000; step++) {
		int cpu = rand() % NCPUS;

		if (retired < OBJS && rand() % 4 == 0) {
			quiesce_defer(&q, &objs[retired].d, obj_free);
			retired++;
		} else {
			/* Mark first, so obj_free sees this CPU as having passed. */
			for (int i = 0; i < retired; i++)
				if (!objs[i].freed)
					objs[i].passed[cpu] = 1;
			quiesce_point(&q, cpu);
		}
	}
	for (int c = 0; c < NCPUS; c++) {
		for (int i = 0; i < retired; i++)
			if (!objs[i].freed)
				objs[i].passed[c] = 1;
		quiesce_point(&q, c);
	}
	CHECK(retired == OBJS, "retired %d", retired);
	CHECK(frees == OBJS, "freed %d of %d", frees, OBJS);
	CHECK(early_frees == 0, "%d frees before every CPU passed", early_frees);
	CHECK(double_frees == 0, "%d double frees", double_frees);
	CHECK(quiesce_waiting(&q) == 0, "%lu still waiting", quiesce_waiting(&q));
	return check_done("quiesce");
}

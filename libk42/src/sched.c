/*
 * The scheduler in force and its swap: policies register here by name;
 * k42_sched_select moves every ready and blocked thread from the old
 * policy to the new one (migrate_out / migrate_in), with upcalls disabled
 * so nothing runs half-way. The running thread is in no policy: it goes
 * to the new one at its next enqueue or block.
 */
#include <string.h>
#include "internal.h"

const struct k42_sched_ops *k42_sched = &k42_sched_fifo;
uint64_t k42_nready;
__attribute__((weak)) const char *const k42_sched_initial = "fifo";

static const struct k42_sched_ops *const policies[] = {
	&k42_sched_fifo, &k42_sched_prio, &k42_sched_lottery,
};

static const struct k42_sched_ops *find(const char *name)
{
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (name && strcmp(policies[i]->name, name) == 0)
			return policies[i];
	return NULL;
}

void k42_sched_start(void)
{
	const struct k42_sched_ops *p = find(k42_sched_initial);

	if (!p) {
		k42_printf("libk42: no scheduler '%s'; using fifo\n", k42_sched_initial);
		p = &k42_sched_fifo;
	}
	p->init();
	k42_sched = p;
}

long k42_sched_select(const char *name)
{
	const struct k42_sched_ops *p = find(name), *old = k42_sched;
	struct k42_thread *t;
	long n = 0;
	int s;

	if (!p)
		return -K42_ENOENT;
	s = k42_disable_save();
	if (p != old) {
		p->init();
		while ((t = old->migrate_out()) != NULL) {
			p->migrate_in(t);
			n++;
		}
		k42_sched = p;
	}
	k42_restore(s);
	return n;
}

const char *k42_sched_current(void)
{
	return k42_sched->name;
}

void k42_sched_census(uint64_t *ready, uint64_t *blocked)
{
	int s = k42_disable_save();

	k42_sched->count(ready, blocked);
	k42_restore(s);
}

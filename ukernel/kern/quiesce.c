/*
 * Deferred deletion (see kern/quiesce.h). Pure logic apart from the
 * kernel's instance: the host tests drive it with many simulated CPUs.
 * Retirement and quiescent points on one CPU are ordered by the caller
 * (kernel: interrupts off, not preemptible).
 */
#include <stddef.h>
#include <kern/quiesce.h>

void quiesce_init(struct quiesce *q, int ncpus)
{
	q->ncpus = ncpus > QUIESCE_MAX_CPUS ? QUIESCE_MAX_CPUS : ncpus;
	for (int i = 0; i < QUIESCE_MAX_CPUS; i++)
		q->count[i] = 0;
	q->head = NULL;
	q->waiting = 0;
}

void quiesce_defer(struct quiesce *q, struct deferred *d, void (*fn)(struct deferred *))
{
	d->free = fn;
	for (int i = 0; i < q->ncpus; i++)
		d->seen[i] = __atomic_load_n(&q->count[i], __ATOMIC_ACQUIRE);
	d->next = q->head;
	q->head = d;
	q->waiting++;
}

static int safe(const struct quiesce *q, const struct deferred *d)
{
	for (int i = 0; i < q->ncpus; i++)
		if (__atomic_load_n(&q->count[i], __ATOMIC_ACQUIRE) == d->seen[i])
			return 0;
	return 1;
}

void quiesce_point(struct quiesce *q, int cpu)
{
	struct deferred **pp = &q->head;

	__atomic_add_fetch(&q->count[cpu], 1, __ATOMIC_RELEASE);
	while (*pp) {
		struct deferred *d = *pp;

		if (safe(q, d)) {
			*pp = d->next;
			q->waiting--;
			d->free(d);
		} else {
			pp = &d->next;
		}
	}
}

uint64_t quiesce_waiting(const struct quiesce *q)
{
	return q->waiting;
}

#ifndef K42_HOST_TEST
static struct quiesce kernel_q = { .ncpus = 1 };

struct quiesce *quiesce_kernel(void)
{
	return &kernel_q;
}
#endif

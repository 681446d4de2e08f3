/*
 * The scheduler in force and its swap: policies are found by name in the
 * generated registry k42_sched_policies[] (sched_policies in
 * libk42/meson.build); k42_sched_select moves every ready and blocked thread from the old
 * policy to the new one (migrate_out / migrate_in), with upcalls disabled
 * so nothing runs half-way. The running thread is in no policy: it goes
 * to the new one at its next enqueue or block.
 */
#include <string.h>
#include "internal.h"

const struct k42_sched_ops *k42_sched = &k42_sched_fifo;
uint64_t k42_nready;
__attribute__((weak)) const char *const k42_sched_initial = "fifo";

const struct k42_sched_ops *k42_sched_find(const char *name, size_t n)
{
	for (size_t i = 0; name && k42_sched_policies[i]; i++) {
		const char *p = k42_sched_policies[i]->name;

		if (strlen(p) == n && memcmp(p, name, n) == 0)
			return k42_sched_policies[i];
	}
	return NULL;
}

char *k42_sched_names(char *buf, size_t n, const char *sep)
{
	size_t len = 0;

	if (n == 0)
		return buf;
	buf[0] = 0;
	for (size_t i = 0; k42_sched_policies[i]; i++) {
		const char *parts[2] = { i ? sep : "", k42_sched_policies[i]->name };

		for (int k = 0; k < 2; k++)
			for (const char *c = parts[k]; *c && len + 1 < n; c++)
				buf[len++] = *c;
	}
	buf[len] = 0;
	return buf;
}

static const struct k42_sched_ops *find(const char *name)
{
	return name ? k42_sched_find(name, strlen(name)) : NULL;
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

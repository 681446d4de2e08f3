/*
 * The scheduler in force and its swap: policies are found by name in the
 * generated registry k42_sched_policies[] (sched_policies in
 * libk42/meson.build). Every dispatcher (struct k42_vp) has its own
 * instance of the process's policy, used under the dispatcher's lock: its
 * own CPU picks from it, and another dispatcher may put a thread in it
 * (a wake, a new thread, a migration) and kick it. k42_sched_select swaps
 * every dispatcher's instance in one call: each one's ready and blocked
 * threads move from its old instance to a fresh one of the new policy
 * (migrate_out / migrate_in) under its lock, so nothing runs half-way.
 * A running thread is in no policy: it goes to the new one at its next
 * enqueue or block.
 */
#include <string.h>
#include <k42/ktrace.h>
#include "internal.h"

const struct k42_sched_ops *k42_sched = &k42_sched_fifo;
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
	const struct k42_sched_ops *p = name ? k42_sched_find(name, strlen(name)) : NULL;

	return p && p->state_size <= K42_SCHED_STATE_MAX ? p : NULL;
}

/* A fresh instance of the policy in force on v (before it runs). */
void k42_sched_vp_init(struct k42_vp *v)
{
	v->sched = k42_sched;
	v->sched_state = v->state[0];
	v->nready = 0;
	v->sched->init(v->sched_state);
}

void k42_sched_start(void)
{
	const struct k42_sched_ops *p = find(k42_sched_initial);

	if (!p) {
		k42_printf("libk42: no scheduler '%s'; using fifo\n", k42_sched_initial);
		p = &k42_sched_fifo;
	}
	k42_sched = p;
	k42_sched_vp_init(&k42_vps[0]);
}

void k42_vp_poke(struct k42_vp *v)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* our enqueue before its idle flag */
	if (__atomic_load_n(&v->idle, __ATOMIC_RELAXED))
		k42_sc_disp_kick(v->index, K42_SOFTINTR_RESCHED);
}

/* Slices between threads that never block (docs/libk42.md, "Limits"):
 * while threads wait ready on a dispatcher, its shared page's want_tick
 * asks the kernel for an upcall (K42_SOFTINTR_TICK) at each clock tick
 * that finds it running, where the policy's tick decides whether the
 * running thread has had its slice (k42_resume_or_switch, runtime.c).
 * Kept with nready, under the same lock: set when a thread is made ready,
 * cleared when the last ready one is taken. A store, no kernel call. */
static inline void ready_one_more(struct k42_vp *v)
{
	v->nready++;
	v->shared->want_tick = 1;
}

void k42_vp_enqueue(struct k42_vp *v, struct k42_thread *t)
{
	k42_spin_lock(&v->lock);
	t->vp = v;
	t->state = K42_T_READY;
	ready_one_more(v);
	v->sched->enqueue(v->sched_state, t);
	k42_spin_unlock(&v->lock);
	if (v != k42_vp_self())
		k42_vp_poke(v);
}

struct k42_thread *k42_sched_pick(void)
{
	struct k42_vp *v = k42_vp_self();
	struct k42_thread *t;

	k42_spin_lock(&v->lock);
	t = v->nready ? v->sched->pick_next(v->sched_state) : NULL;
	if (t && !--v->nready)
		v->shared->want_tick = 0;	/* none waits: no slice to end */
	k42_spin_unlock(&v->lock);
	if (t)
		t->run_start = k42_timebase();
	return t;
}

void k42_sched_block(struct k42_thread *t, int why)
{
	struct k42_vp *v = t->vp;

	k42_spin_lock(&v->lock);
	t->state = K42_T_BLOCKED;
	t->wait = why;
	v->sched->block(v->sched_state, t);
	k42_spin_unlock(&v->lock);
}

int k42_sched_tick(struct k42_thread *cur, uint64_t ran)
{
	struct k42_vp *v = k42_vp_self();
	int r;

	k42_spin_lock(&v->lock);
	r = v->sched->tick(v->sched_state, cur, ran);
	k42_spin_unlock(&v->lock);
	return r;
}

/* Wake t wherever it is held: it stays on its dispatcher. */
void k42_thread_wake(k42_thread_t *t)
{
	struct k42_vp *v;
	int woke = 0;

	for (;;) {
		v = __atomic_load_n(&t->vp, __ATOMIC_ACQUIRE);
		k42_spin_lock(&v->lock);
		if (t->vp == v)
			break;
		k42_spin_unlock(&v->lock);	/* moved meanwhile: not blocked then */
	}
	/* BLOCKED is set only by t itself, on its dispatcher, under this
	 * lock: then its policy instance holds it. */
	if (t->state == K42_T_BLOCKED) {
		trace_thread_wake((uint64_t)t, (uint64_t)k42_current);
		t->wait = K42_WAIT_NONE;
		t->state = K42_T_READY;
		ready_one_more(v);
		v->sched->wake(v->sched_state, t);
		woke = 1;
	}
	k42_spin_unlock(&v->lock);
	if (woke && v != k42_vp_self())
		k42_vp_poke(v);
}

long k42_sched_select(const char *name)
{
	const struct k42_sched_ops *p = find(name);
	struct k42_thread *t;
	long n = 0;
	int s;

	if (!p)
		return -K42_ENOENT;
	s = k42_disable_save();
	k42_sched = p;		/* dispatchers started from now on */
	for (unsigned i = 0; i < K42_VPS_MAX; i++) {
		struct k42_vp *v = &k42_vps[i];
		void *fresh;

		if (!__atomic_load_n(&v->started, __ATOMIC_ACQUIRE))
			continue;
		k42_spin_lock(&v->lock);
		if (v->sched != p) {
			fresh = v->sched_state == v->state[0] ? v->state[1] : v->state[0];
			p->init(fresh);
			while ((t = v->sched->migrate_out(v->sched_state)) != NULL) {
				p->migrate_in(fresh, t);
				n++;
			}
			v->sched = p;
			v->sched_state = fresh;
		}
		k42_spin_unlock(&v->lock);
	}
	k42_restore(s);
	return n;
}

long k42_threads_drop_others(void)
{
	struct k42_vp *v = k42_vp_self();
	struct k42_thread *t;
	long n = 0;
	int s = k42_disable_save();

	k42_spin_lock(&v->lock);
	while ((t = v->sched->migrate_out(v->sched_state)) != NULL) {
		/* Done: a wake-up from a wait list of the old image finds it
		 * not blocked and leaves it; its memory stays, as those lists
		 * may still name it. */
		t->state = K42_T_DONE;
		k42_timer_cancel(&t->sleep_timer);
		n++;
	}
	v->nready = 0;
	v->shared->want_tick = 0;
	k42_spin_unlock(&v->lock);
	__atomic_sub_fetch(&k42_threads_alive, (uint64_t)n, __ATOMIC_RELEASE);
	k42_restore(s);
	return n;
}

const char *k42_sched_current(void)
{
	return k42_sched->name;
}

const char *k42_vp_policy(unsigned vp, uint64_t *ready, uint64_t *blocked)
{
	struct k42_vp *v;
	const char *name;
	int s;

	*ready = *blocked = 0;
	if (vp >= K42_VPS_MAX || !__atomic_load_n(&k42_vps[vp].started, __ATOMIC_ACQUIRE))
		return NULL;
	v = &k42_vps[vp];
	s = k42_disable_save();
	k42_spin_lock(&v->lock);
	v->sched->count(v->sched_state, ready, blocked);
	name = v->sched->name;
	k42_spin_unlock(&v->lock);
	k42_restore(s);
	return name;
}

void k42_sched_census(uint64_t *ready, uint64_t *blocked)
{
	*ready = *blocked = 0;
	for (unsigned i = 0; i < K42_VPS_MAX; i++) {
		uint64_t r, b;

		if (k42_vp_policy(i, &r, &b)) {
			*ready += r;
			*blocked += b;
		}
	}
}

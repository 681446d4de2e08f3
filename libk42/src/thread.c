/*
 * User-level threads: creation, exit, join, yield, blocking and waking,
 * sleeping, thread-local storage, and moving between dispatchers
 * (k42/vp.h). A thread's descriptor sits at the top of its stack block
 * (from malloc); ended threads of the default stack size are kept on a
 * free list (under k42_threads_lock) and reused. Switches go through the
 * dispatcher's policy instance (sched.c) and k42_ctx_switch (switch.S): no
 * kernel call. Join and exit meet under k42_sync_lock, since the two
 * threads may run on different dispatchers.
 */
#include <k42/ktrace.h>
#include <string.h>
#include "internal.h"

#define PRIO_DEFAULT 16
#define TICKETS_DEFAULT 100
#define FREE_MAX 1024

uint64_t k42_threads_alive, k42_threads_created;
static struct k42_thread *free_threads;
static unsigned nfree;
static uint64_t next_id = 1;
static int tls_keys_used;
int k42_threads_lock;

void k42_thread_main(struct k42_thread *t);

static void set_tp(struct k42_thread *t)
{
	__asm__ volatile("mr 13, %0" : : "r"(t) : "memory");
}

void k42_threads_init(struct k42_thread *m)
{
	memset(m, 0, sizeof(*m));
	m->state = K42_T_RUNNING;
	m->id = next_id++;
	m->prio = PRIO_DEFAULT;
	m->tickets = TICKETS_DEFAULT;
	m->run_start = k42_timebase();
	m->vp = k42_vp_self();
	k42_current = m;
	set_tp(m);
	k42_threads_alive = 1;
}

struct k42_thread *k42_thread_alloc(size_t stack)
{
	struct k42_thread *t;
	size_t size;
	void *block;

	stack = (stack + 15) & ~(size_t)15;
	t = NULL;
	if (stack == K42_THREAD_STACK) {
		k42_spin_lock(&k42_threads_lock);
		t = free_threads;
		if (t) {
			free_threads = t->wnext;
			nfree--;
		}
		k42_spin_unlock(&k42_threads_lock);
	}
	if (t) {
		block = t->block;
	} else {
		size = stack + sizeof(struct k42_thread);
		block = malloc(size);
		if (!block)
			return NULL;
		t = (struct k42_thread *)((uint8_t *)block + stack);
		if ((uint64_t)t & 15)
			k42_fatal("thread descriptor not 16-byte aligned");	/* (malloc's are) */
		t->ipc_page = NULL;
	}
	memset(t, 0, offsetof(struct k42_thread, regs));
	t->vp = k42_vp_self();	/* until it is queued elsewhere */
	t->block = block;
	t->block_size = stack;
	return t;
}

void k42_thread_recycle(struct k42_thread *t)
{
	if (!t->block)
		return;		/* the main thread */
	t->state = K42_T_FREE;
	if (t->block_size == K42_THREAD_STACK) {
		k42_spin_lock(&k42_threads_lock);
		if (nfree < FREE_MAX) {
			t->wnext = free_threads;
			free_threads = t;
			nfree++;
			t = NULL;
		}
		k42_spin_unlock(&k42_threads_lock);
		if (!t)
			return;
	}
	free(t->ipc_page);
	free(t->block);
}

void k42_thread_reap_later(struct k42_thread *t)
{
	struct k42_vp *v = k42_vp_self();

	if (v->reap)
		k42_thread_recycle(v->reap);	/* an earlier one: its stack is free */
	v->reap = t;
}

void k42_thread_reap(void)
{
	struct k42_vp *v = k42_vp_self();
	struct k42_thread *t = v->reap;

	if (t) {
		v->reap = NULL;
		k42_thread_recycle(t);
	}
}

void k42_thread_setup(struct k42_thread *t, void (*start)(struct k42_thread *))
{
	uint64_t sp = ((uint64_t)t - 64) & ~15ull;

	*(uint64_t *)sp = 0;		/* null back chain */
	t->ctx.sp = sp;
	t->ctx.lr = (uint64_t)k42_thread_trampoline;
	t->ctx.cr = 0;
	t->ctx.gpr[K42_CTX_GPR(14)] = (uint64_t)t;
	t->ctx.gpr[K42_CTX_GPR(15)] = (uint64_t)start;
}

/* First code of every thread (from the trampoline, still disabled). */
void k42_thread_main(struct k42_thread *t)
{
	void (*start)(struct k42_thread *) = (void (*)(struct k42_thread *))t->ctx.gpr[K42_CTX_GPR(15)];

	start(t);
	k42_fatal("thread start function returned");
}

static void thread_start(struct k42_thread *t)
{
	k42_restore(0);
	k42_thread_exit(t->fn(t->arg));
}

static struct k42_thread *create(struct k42_vp *v, k42_thread_fn fn, void *arg,
				 const struct k42_thread_attr *a)
{
	struct k42_thread *t, *me = k42_current;
	int s = k42_disable_save();

	t = k42_thread_alloc(a && a->stack_size ? a->stack_size : K42_THREAD_STACK);
	if (!t) {
		k42_restore(s);
		return NULL;
	}
	t->fn = fn;
	t->arg = arg;
	t->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	t->prio = a && a->prio >= 0 ? a->prio : me ? me->prio : PRIO_DEFAULT;
	t->tickets = a && a->tickets ? a->tickets : TICKETS_DEFAULT;
	t->detached = a ? a->detached : 0;
	k42_thread_setup(t, thread_start);
	__atomic_add_fetch(&k42_threads_alive, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&k42_threads_created, 1, __ATOMIC_RELAXED);
	k42_vp_enqueue(v, t);
	k42_restore(s);
	return t;
}

k42_thread_t *k42_thread_create_attr(k42_thread_fn fn, void *arg, const struct k42_thread_attr *a)
{
	return create(k42_vp_self(), fn, arg, a);
}

k42_thread_t *k42_thread_create_on(unsigned vp, k42_thread_fn fn, void *arg,
				   const struct k42_thread_attr *a)
{
	if (vp >= K42_VPS_MAX || !__atomic_load_n(&k42_vps[vp].started, __ATOMIC_ACQUIRE))
		return NULL;
	return create(&k42_vps[vp], fn, arg, a);
}

k42_thread_t *k42_thread_create(k42_thread_fn fn, void *arg)
{
	return k42_thread_create_attr(fn, arg, NULL);
}

/* On the upcall stack: the ended thread's stack is no longer in use, so
 * a joiner (on any dispatcher) may recycle it from here on. */
static void exit_finish(void *p)
{
	struct k42_thread *t = p;
	int detached;

	k42_spin_lock(&k42_sync_lock);
	t->state = K42_T_DONE;
	__atomic_sub_fetch(&k42_threads_alive, 1, __ATOMIC_RELEASE);
	if (t->joiner) {
		k42_thread_wake(t->joiner);
		t->joiner = NULL;
	}
	detached = t->detached;
	k42_spin_unlock(&k42_sync_lock);
	if (detached)
		k42_thread_recycle(t);
	if (!__atomic_load_n(&k42_threads_alive, __ATOMIC_ACQUIRE))
		k42_sc_exit(0);
	k42_dispatch();
}

void k42_thread_exit(void *ret)
{
	struct k42_thread *me = k42_current;

	k42_disable();
	if (!me || k42_in_handler)
		k42_fatal("k42_thread_exit outside a thread");
	me->retval = ret;
	k42_current = NULL;
	k42_on_upcall_stack(exit_finish, me);
}

int k42_thread_join(k42_thread_t *t, void **ret)
{
	struct k42_thread *me = k42_current;
	int s = k42_disable_save();

	k42_spin_lock(&k42_sync_lock);
	if (t == me || t->detached || t->joiner) {
		k42_spin_unlock(&k42_sync_lock);
		k42_restore(s);
		return -K42_EINVAL;
	}
	while (t->state != K42_T_DONE) {
		t->joiner = me;
		k42_thread_block_unlock(K42_WAIT_SYNC, &k42_sync_lock);
		k42_spin_lock(&k42_sync_lock);
	}
	k42_spin_unlock(&k42_sync_lock);
	if (ret)
		*ret = t->retval;
	k42_thread_recycle(t);
	k42_restore(s);
	return 0;
}

void k42_thread_detach(k42_thread_t *t)
{
	int s = k42_disable_save(), done;

	k42_spin_lock(&k42_sync_lock);
	done = t->state == K42_T_DONE;
	if (!done)
		t->detached = 1;
	k42_spin_unlock(&k42_sync_lock);
	if (done)
		k42_thread_recycle(t);
	k42_restore(s);
}

void k42_reschedule(struct k42_thread *me)
{
	struct k42_thread *next;

	if (k42_disp()->pending)
		k42_drain();
	next = k42_sched_pick_or_open();
	if (next == me) {
		me->state = K42_T_RUNNING;
		k42_current = me;
		return;
	}
	if (!next) {
		if (k42_ctx_save(&me->ctx) == 0) {
			k42_current = NULL;
			k42_idle();
		}
		return;
	}
	trace_thread_switch((uint64_t)me, (uint64_t)next);
	if (next->full) {
		if (k42_ctx_save(&me->ctx) == 0)
			k42_run(next);
		return;
	}
	k42_current = next;
	next->state = K42_T_RUNNING;
	k42_ctx_switch(&me->ctx, &next->ctx);
}

void k42_thread_yield(void)
{
	struct k42_thread *me = k42_current;
	int s = k42_disable_save();

	if (k42_disp()->pending)
		k42_drain();
	if (k42_nready) {
		k42_sched_enqueue(me);
		k42_reschedule(me);
	}
	k42_restore(s);
}

void k42_thread_block_self(int why)
{
	struct k42_thread *me = k42_current;

	if (!me || k42_in_handler)
		k42_fatal("a blocking call from a handler");
	trace_thread_block((uint64_t)me, (uint64_t)why);
	k42_sched_block(me, why);
	k42_reschedule(me);
}

void k42_thread_block_unlock(int why, int *lock)
{
	struct k42_thread *me = k42_current;

	if (!me || k42_in_handler)
		k42_fatal("a blocking call from a handler");
	trace_thread_block((uint64_t)me, (uint64_t)why);
	k42_sched_block(me, why);
	k42_spin_unlock(lock);
	k42_reschedule(me);
}

/* On the old dispatcher's upcall stack: the moving thread's state is
 * saved and its stack is free, so its new dispatcher may run it now. */
static void migrate_finish(void *p)
{
	struct k42_thread *t = p;

	k42_vp_enqueue(t->move_to, t);
	k42_dispatch();
}

long k42_thread_migrate(unsigned vp)
{
	struct k42_thread *me;
	int s;

	if (vp >= K42_VPS_MAX || !__atomic_load_n(&k42_vps[vp].started, __ATOMIC_ACQUIRE))
		return -K42_EINVAL;
	s = k42_disable_save();
	me = k42_current;
	if (!me || k42_in_handler || me->full)
		k42_fatal("k42_thread_migrate outside a thread");
	if (me->vp != &k42_vps[vp]) {
		me->move_to = &k42_vps[vp];
		trace_thread_switch((uint64_t)me, 0);
		if (k42_ctx_save(&me->ctx) == 0) {
			k42_current = NULL;
			k42_on_upcall_stack(migrate_finish, me);
		}
		/* Here on the new dispatcher (disabled, as k42_run left us). */
	}
	k42_restore(s);
	return 0;
}

void k42_thread_set_prio(k42_thread_t *t, int prio)
{
	t->prio = prio < 0 ? 0 : prio > K42_PRIO_MAX ? K42_PRIO_MAX : prio;
}

static void sleep_fire(struct k42_timer *tm)
{
	struct k42_thread *t = tm->arg;

	t->timed_out = 1;
	k42_thread_wake(t);
}

void k42_thread_sleep_until(uint64_t deadline)
{
	struct k42_thread *me = k42_current;
	int s = k42_disable_save();

	me->sleep_timer.deadline = deadline;
	me->sleep_timer.fn = sleep_fire;
	me->sleep_timer.arg = me;
	if ((int64_t)(deadline - k42_timebase()) > 0 && k42_timer_add(&me->sleep_timer) == 0) {
		while (k42_timer_armed(&me->sleep_timer))
			k42_thread_block_self(K42_WAIT_SLEEP);
	}
	k42_restore(s);
}

void k42_thread_sleep_us(uint64_t us)
{
	k42_thread_sleep_until(k42_timebase() + us * (K42_SCHED_SLICE_TB / 10000));
}

int k42_tls_key_create(void)
{
	int s = k42_disable_save(), k = -K42_EAGAIN;

	k42_spin_lock(&k42_sync_lock);
	if (tls_keys_used < K42_TLS_KEYS)
		k = tls_keys_used++;
	k42_spin_unlock(&k42_sync_lock);
	k42_restore(s);
	return k;
}

/* Benchmarks: a raw switch between two contexts, and a yield through the
 * policy in force. Both make n switches and return the timebase ticks, or 0
 * if the switches did not all happen. */
static struct k42_thread *bench_a, *bench_b;
static uint64_t bench_switches;	/* times the partner ran: checks every switch */

static void bench_partner(struct k42_thread *t)
{
	(void)t;
	for (;;) {
		bench_switches++;
		k42_ctx_switch(&bench_b->ctx, &bench_a->ctx);
	}
}

uint64_t k42_thread_switch_bench(uint64_t n)
{
	int s = k42_disable_save();
	uint64_t t0, t1;

	bench_a = k42_current;
	bench_b = k42_thread_alloc(K42_THREAD_STACK);
	if (!bench_b) {
		k42_restore(s);
		return 0;
	}
	k42_thread_setup(bench_b, bench_partner);
	bench_switches = 0;
	k42_ctx_switch(&bench_a->ctx, &bench_b->ctx);	/* warm up */
	t0 = k42_timebase();
	for (uint64_t i = 0; i < n / 2; i++)
		k42_ctx_switch(&bench_a->ctx, &bench_b->ctx);
	t1 = k42_timebase();
	set_tp(bench_a);
	k42_thread_recycle(bench_b);
	k42_restore(s);
	return bench_switches == n / 2 + 1 ? t1 - t0 : 0;
}

static uint64_t yield_turns;	/* yields each side made: they must alternate */

static void *yield_partner(void *arg)
{
	uint64_t n = (uint64_t)arg, alternated = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t before = ++yield_turns;

		k42_thread_yield();
		alternated += yield_turns != before;	/* the other side ran */
	}
	return (void *)alternated;
}

uint64_t k42_thread_yield_bench(uint64_t n)
{
	k42_thread_t *t = k42_thread_create(yield_partner, (void *)(n / 2));
	uint64_t t0, t1;

	void *alternated = NULL;

	if (!t)
		return 0;
	yield_turns = 0;
	k42_thread_yield();	/* let it start */
	t0 = k42_timebase();
	for (uint64_t i = 0; i < n / 2; i++) {
		yield_turns++;
		k42_thread_yield();
	}
	t1 = k42_timebase();
	k42_thread_join(t, &alternated);
	return (uint64_t)alternated + 1 >= n / 2 ? t1 - t0 : 0;
}

/* ---- threads whose state is a whole register set (the Linux
 * personality's threads: their code runs as a program, not as C here) ---- */

k42_thread_t *k42_thread_new_full(const struct k42_user_regs *regs)
{
	struct k42_thread *t = k42_thread_alloc(K42_THREAD_STACK);
	int s;

	if (!t)
		return NULL;
	s = k42_disable_save();
	memcpy(&t->regs, regs, sizeof(t->regs));
	t->full = 1;
	k42_vsx_save(t->vsx);	/* libk42 never touches VSX: the caller's */
	t->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	t->prio = k42_current ? k42_current->prio : PRIO_DEFAULT;
	t->tickets = TICKETS_DEFAULT;
	__atomic_add_fetch(&k42_threads_alive, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&k42_threads_created, 1, __ATOMIC_RELAXED);
	k42_sched_enqueue(t);
	k42_restore(s);
	return t;
}

void k42_thread_park_full(const struct k42_user_regs *regs, int why)
{
	struct k42_thread *t = k42_current;

	if (!t)
		k42_fatal("park: no current thread");
	memcpy(&t->regs, regs, sizeof(t->regs));
	t->full = 1;
	k42_vsx_save(t->vsx);
	k42_in_handler = 0;
	if (why) {
		trace_thread_block((uint64_t)t, (uint64_t)why);
		k42_sched_block(t, why);
	} else {
		k42_sched_enqueue(t);
	}
	k42_dispatch();
}

void k42_thread_end_current(void)
{
	struct k42_thread *t = k42_current;

	k42_current = NULL;
	k42_in_handler = 0;
	if (t) {
		t->state = K42_T_DONE;
		__atomic_sub_fetch(&k42_threads_alive, 1, __ATOMIC_RELEASE);
		k42_thread_recycle(t);	/* (not the main thread's static descriptor) */
	}
	k42_dispatch();
}

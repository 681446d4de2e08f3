/*
 * libk42 threads on several dispatchers (k42/vp.h, docs/smp.md), run as
 * init. A dispatcher is started on every other CPU, and with fewer than 4
 * CPUs more share CPU 0, so at least 4 dispatchers run. Then:
 *  1. 100,000 threads, spread round-robin over the dispatchers, at most
 *     WINDOW alive at once: each checks it runs on its dispatcher (and,
 *     now and then, on that dispatcher's CPU), counts itself there, adds
 *     its number to a sum under one mutex and posts a semaphore;
 *  2. contention: threads on every dispatcher increment one counter under
 *     one mutex, and are joined from dispatcher 0;
 *  3. migration: threads walk through every dispatcher with
 *     k42_thread_migrate and check where they run after each move;
 *  4. swap: threads blocked on a condition on every dispatcher; one
 *     k42_sched_select swaps every dispatcher's policy instance (all the
 *     blocked threads move, each dispatcher reports the new policy and
 *     keeps its own threads), then a broadcast wakes them all on their
 *     own dispatchers.
 * Every result is checked.
 */
#include "check.h"

#define NTHREADS 100000
#define WINDOW 256
#define CONTENDERS 6
#define ITERS 1500
#define MOVERS 12
#define SWAPPERS 20

static unsigned nvp;
static struct k42_mutex mu;
static struct k42_sem done;
static uint64_t sum, wrong_vp, wrong_cpu, per_vp[K42_VPS_MAX];

static void *counted(void *arg)
{
	uint64_t i = (uint64_t)arg;
	unsigned want = (unsigned)(i % nvp);

	if (k42_vp_index() != want)
		__atomic_add_fetch(&wrong_vp, 1, __ATOMIC_RELAXED);
	if (i % 97 == 0 && k42_info(K42_INFO_CPU) != k42_vp_cpu(want))
		__atomic_add_fetch(&wrong_cpu, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&per_vp[want], 1, __ATOMIC_RELAXED);
	k42_mutex_lock(&mu);
	sum += i;
	k42_mutex_unlock(&mu);
	k42_sem_post(&done);
	return NULL;
}

static uint64_t counter;

static void *contend(void *arg)
{
	unsigned home = (unsigned)(uintptr_t)arg;

	for (int i = 0; i < ITERS; i++) {
		k42_mutex_lock(&mu);
		counter++;
		k42_mutex_unlock(&mu);
		if (i % 100 == 0)
			k42_thread_yield();
	}
	return (void *)(uintptr_t)(k42_vp_index() == home);
}

static void *mover(void *arg)
{
	unsigned start = (unsigned)(uintptr_t)arg;
	uint64_t ok = 0;

	for (unsigned r = 0; r < 3 * nvp; r++) {
		unsigned to = (start + r) % nvp;

		if (k42_thread_migrate(to) == 0 && k42_vp_index() == to &&
		    k42_info(K42_INFO_CPU) == k42_vp_cpu(to))
			ok++;
		k42_thread_yield();
	}
	return (void *)ok;
}

static struct k42_cond go_cond;
static int go;
static unsigned waiting;

static void *swapper(void *arg)
{
	unsigned home = (unsigned)(uintptr_t)arg;

	k42_mutex_lock(&mu);
	waiting++;
	while (!go)
		k42_cond_wait(&go_cond, &mu);
	k42_mutex_unlock(&mu);
	return (void *)(uintptr_t)(k42_vp_index() == home);
}

/* Where the threads that did not arrive are (a lost wake-up, smp/vpthreads_1
 * on a loaded CI host): every dispatcher's counts and the mutex. */
static void dump_state(void)
{
	uint64_t r, b;
	int q = 0;

	for (unsigned v = 0; v < nvp; v++) {
		const char *name = k42_vp_policy(v, &r, &b);

		k42_printf("vpthreads_test: dispatcher %u: %s, %lu ready, %lu blocked\n", v,
			   name ? name : "-", r, b);
	}
	for (k42_thread_t *t = mu.q.head; t && q <= K42_VPS_MAX * SWAPPERS; t = t->wnext)
		q++;
	k42_printf("vpthreads_test: mutex state %u, %d queued on it, %u arrived; faults "
		   "reflected %lu, completed %lu\n", mu.state, q, waiting, k42_pgflt_reflected,
		   k42_pgflt_completed);
}

static int wait_blocked(uint64_t want)
{
	uint64_t until = k42_timebase() + 60 * k42_info(K42_INFO_TIMEBASE_HZ), r, b;

	do {
		k42_sched_census(&r, &b);
		if (b == want)
			return 1;
		k42_thread_yield();
	} while (k42_timebase() < until);
	return 0;
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	k42_thread_t *th[K42_VPS_MAX * SWAPPERS];
	struct k42_thread_attr det = { .prio = -1, .detached = 1 };
	uint64_t expect_sum = 0, r, b;
	long moved;
	int n;

	(void)arg;
	k42_mutex_init(&mu);
	k42_sem_init(&done, 0);
	k42_cond_init(&go_cond);
	EXPECT(k42_vp_count() == 1 && k42_vp_index() == 0, "dispatcher 0 only at start");
	for (long c = 1; c < ncpus && c < K42_VPS_MAX; c++)
		EXPECT(k42_vp_start((unsigned)c) == c, "start a dispatcher on CPU %ld", c);
	while (k42_vp_count() < 4)
		if (k42_vp_start(0) < 0)
			break;
	nvp = k42_vp_count();
	EXPECT(nvp >= 4, "%u dispatchers", nvp);
	EXPECT(k42_vp_start((unsigned)ncpus) == -K42_EINVAL, "a CPU that is not online");
	EXPECT(k42_thread_create_on(K42_VPS_MAX - 1, counted, NULL, NULL) == NULL ||
	       nvp == K42_VPS_MAX, "a thread on a dispatcher not started");
	EXPECT(k42_thread_migrate(K42_VPS_MAX) == -K42_EINVAL, "migrate beyond the table");

	/* 1: 100,000 threads over every dispatcher. */
	for (uint64_t i = 0; i < NTHREADS; i++) {
		if (i >= WINDOW)
			k42_sem_wait(&done);
		if (!k42_thread_create_on((unsigned)(i % nvp), counted, (void *)i, &det)) {
			EXPECT(0, "thread %lu not created", i);
			break;
		}
		expect_sum += i;
	}
	for (int i = 0; i < WINDOW; i++)
		k42_sem_wait(&done);
	EXPECT(sum == expect_sum, "sum %lu, expected %lu", sum, expect_sum);
	EXPECT(wrong_vp == 0, "%lu threads ran on another dispatcher", wrong_vp);
	EXPECT(wrong_cpu == 0, "%lu threads ran on another CPU", wrong_cpu);
	for (unsigned v = 0; v < nvp; v++) {
		uint64_t want = NTHREADS / nvp + (v < NTHREADS % nvp);

		EXPECT(per_vp[v] == want, "dispatcher %u ran %lu threads, expected %lu", v,
		       per_vp[v], want);
	}

	/* 2: one mutex from every dispatcher; joins across dispatchers. */
	n = 0;
	for (unsigned v = 0; v < nvp; v++)
		for (int k = 0; k < CONTENDERS; k++)
			th[n++] = k42_thread_create_on(v, contend, (void *)(uintptr_t)v, NULL);
	for (int i = 0; i < n; i++) {
		void *home_ok = NULL;

		EXPECT(th[i] && k42_thread_join(th[i], &home_ok) == 0 && home_ok,
		       "contender %d", i);
	}
	EXPECT(counter == (uint64_t)n * ITERS, "counter %lu, expected %lu", counter,
	       (uint64_t)n * ITERS);

	/* 3: explicit migration through every dispatcher. */
	for (int i = 0; i < MOVERS; i++)
		th[i] = k42_thread_create_on(0, mover, (void *)(uintptr_t)i, NULL);
	for (int i = 0; i < MOVERS; i++) {
		void *ok = NULL;

		EXPECT(th[i] && k42_thread_join(th[i], &ok) == 0 && (uint64_t)ok == 3 * nvp,
		       "mover %d: %lu of %u moves landed", i, (uint64_t)ok, 3 * nvp);
	}

	/* 4: one swap moves the blocked threads of every dispatcher. */
	n = 0;
	for (unsigned v = 0; v < nvp; v++)
		for (int k = 0; k < SWAPPERS; k++)
			th[n++] = k42_thread_create_on(v, swapper, (void *)(uintptr_t)v, NULL);
	/* (A swapper blocked on mu, before it waits on go_cond, counts as
	 * blocked too, and is woken by the next one's unlock: wait until
	 * every one waits on the condition.) */
	for (uint64_t until = k42_timebase() + 60 * k42_info(K42_INFO_TIMEBASE_HZ);
	     k42_timebase() < until;) {
		unsigned w;

		k42_mutex_lock(&mu);
		w = waiting;
		k42_mutex_unlock(&mu);
		if (w == (unsigned)n)
			break;
		k42_thread_yield();
	}
	if (waiting != (unsigned)n)
		dump_state();
	EXPECT(wait_blocked((uint64_t)n), "%d threads never all blocked", n);
	moved = k42_sched_select("prio");
	EXPECT(moved == n, "swap to prio moved %ld of %d", moved, n);
	moved = k42_sched_select("lottery");
	EXPECT(moved == n, "swap to lottery moved %ld of %d", moved, n);
	EXPECT(k42_sched_current()[0] == 'l', "policy in force: %s", k42_sched_current());
	for (unsigned v = 0; v < nvp; v++) {
		const char *name = k42_vp_policy(v, &r, &b);

		EXPECT(name && name[0] == 'l' && b == SWAPPERS,
		       "dispatcher %u: %s with %lu blocked", v, name ? name : "-", b);
	}
	k42_mutex_lock(&mu);
	EXPECT(waiting == (unsigned)n, "%u waiting", waiting);
	go = 1;
	k42_cond_broadcast(&go_cond);
	k42_mutex_unlock(&mu);
	for (int i = 0; i < n; i++) {
		void *home_ok = NULL;

		EXPECT(th[i] && k42_thread_join(th[i], &home_ok) == 0 && home_ok, "swapper %d", i);
	}
	EXPECT(k42_sched_select("fifo") == 0, "nothing left to move");
	k42_sched_census(&r, &b);
	EXPECT(r == 0 && b == 0, "%lu ready, %lu blocked left", r, b);

	k42_printf("vpthreads_test: %u dispatchers on %ld CPUs, %d threads, %lu contended "
		   "increments, %d movers, %d swapped\n",
		   nvp, ncpus, NTHREADS, counter, MOVERS, n);
	return verdict("vpthreads_test");
}

/*
 * Cross-dispatcher wake-ups in libk42, run as init: at least 4
 * dispatchers (several on CPU 0 when CPUs are fewer) and rounds of what
 * vpthreads_test does once, in its order: short-lived threads over every
 * dispatcher, contention on one mutex with yields, migration through
 * every dispatcher, then SWAPPERS threads per dispatcher that lock the
 * mutex, count themselves and wait on one condition, a census and a
 * policy swap, and a broadcast. Every unlock may wake a waiter living on
 * another dispatcher that is running, about to idle, idle in the kernel
 * or preempted in its own scheduler. A round whose threads do not all
 * arrive within 60 s is a lost wake-up: the state of every dispatcher,
 * of the mutex and of every thread not blocked is printed.
 */
#include "check.h"

#define ROUNDS 60
#define SWAPPERS 20
#define SHORT 1000	/* short-lived threads a round, */
#define WINDOW 64	/* at most this many alive */
#define CONTENDERS 4	/* per dispatcher, */
#define ITERS 600	/* increments each */
#define MOVERS 8
#define NT (K42_VPS_MAX * SWAPPERS)

static unsigned nvp;
static struct k42_mutex mu;
static struct k42_cond go_cond;
static struct k42_sem done;
static int go;
static unsigned waiting;
static uint64_t counter;
static k42_thread_t *th[NT];

static void *short_lived(void *arg)
{
	(void)arg;
	k42_mutex_lock(&mu);
	counter++;
	k42_mutex_unlock(&mu);
	k42_sem_post(&done);
	return NULL;
}

static void *contend(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITERS; i++) {
		k42_mutex_lock(&mu);
		counter++;
		k42_mutex_unlock(&mu);
		if (i % 100 == 0)
			k42_thread_yield();
	}
	return NULL;
}

static void *mover(void *arg)
{
	unsigned start = (unsigned)(uintptr_t)arg;
	uint64_t ok = 0;

	for (unsigned r = 0; r < 2 * nvp; r++) {
		unsigned to = (start + r) % nvp;

		if (k42_thread_migrate(to) == 0 && k42_vp_index() == to)
			ok++;
		k42_thread_yield();
	}
	return (void *)ok;
}

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

/* What a lost wake-up left behind. */
static void dump(int n)
{
	uint64_t r, b;
	int q = 0;

	for (unsigned v = 0; v < nvp; v++) {
		const char *name = k42_vp_policy(v, &r, &b);

		k42_printf("vpwake_test: dispatcher %u: %s, %lu ready, %lu blocked\n", v,
			   name ? name : "-", r, b);
	}
	for (k42_thread_t *t = mu.q.head; t && q <= NT; t = t->wnext)
		q++;
	k42_printf("vpwake_test: mutex state %u, %d queued on it, %u arrived; faults reflected "
		   "%lu, completed %lu\n", mu.state, q, waiting, k42_pgflt_reflected,
		   k42_pgflt_completed);
	for (int i = 0; i < n; i++)
		if (th[i] && th[i]->state != K42_T_BLOCKED)
			k42_printf("vpwake_test: thread %d (dispatcher %d) state %d\n", i,
				   i / SWAPPERS, th[i]->state);
}

/* One round; 0 if its swappers did not all arrive. */
static int round_of(int rnd, uint64_t hz, int *wrong)
{
	struct k42_thread_attr det = { .prio = -1, .detached = 1 };
	uint64_t until, r, b, moved;
	int n = 0;

	for (int i = 0; i < SHORT; i++) {
		if (i >= WINDOW)
			k42_sem_wait(&done);
		if (!k42_thread_create_on((unsigned)i % nvp, short_lived, NULL, &det)) {
			(*wrong)++;
			k42_sem_post(&done);
		}
	}
	for (int i = 0; i < WINDOW; i++)
		k42_sem_wait(&done);
	for (unsigned v = 0; v < nvp; v++)
		for (int k = 0; k < CONTENDERS; k++)
			th[n++] = k42_thread_create_on(v, contend, NULL, NULL);
	for (int i = 0; i < n; i++)
		if (!th[i] || k42_thread_join(th[i], NULL) != 0)
			(*wrong)++;
	for (int i = 0; i < MOVERS; i++)
		th[i] = k42_thread_create_on(0, mover, (void *)(uintptr_t)i, NULL);
	for (int i = 0; i < MOVERS; i++) {
		void *ok = NULL;

		if (!th[i] || k42_thread_join(th[i], &ok) != 0 || (uint64_t)ok != 2 * nvp)
			(*wrong)++;
	}

	waiting = 0;
	go = 0;
	n = 0;
	for (unsigned v = 0; v < nvp; v++)
		for (int k = 0; k < SWAPPERS; k++)
			th[n++] = k42_thread_create_on(v, swapper, (void *)(uintptr_t)v, NULL);
	until = k42_timebase() + 60 * hz;
	for (;;) {
		unsigned w;

		k42_mutex_lock(&mu);
		w = waiting;
		k42_mutex_unlock(&mu);
		if (w == (unsigned)n)
			break;
		if ((int64_t)(k42_timebase() - until) > 0) {
			EXPECT(0, "round %d: %u of %d threads arrived in 60 s", rnd, w, n);
			dump(n);
			return 0;
		}
		k42_thread_yield();
	}
	/* Every one arrived; each blocks on the condition soon. */
	until = k42_timebase() + 60 * hz;
	do {
		k42_sched_census(&r, &b);
		if (b == (uint64_t)n)
			break;
		k42_thread_yield();
	} while ((int64_t)(k42_timebase() - until) < 0);
	EXPECT(b == (uint64_t)n, "round %d: %lu of %d blocked", rnd, b, n);
	moved = (uint64_t)k42_sched_select(rnd & 1 ? "prio" : "lottery");
	moved += (uint64_t)k42_sched_select("fifo");
	EXPECT(moved == 2 * (uint64_t)n, "round %d: swaps moved %lu", rnd, moved);
	k42_mutex_lock(&mu);
	go = 1;
	k42_cond_broadcast(&go_cond);
	k42_mutex_unlock(&mu);
	for (int i = 0; i < n; i++) {
		void *home_ok = NULL;

		if (!th[i] || k42_thread_join(th[i], &home_ok) != 0 || !home_ok)
			(*wrong)++;
	}
	return 1;
}

int main(uint64_t arg)
{
	long ncpus = (long)k42_info(K42_INFO_CPUS_ONLINE);
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ), expect, r, b;
	int rounds = 0, lost = 0, wrong = 0;

	(void)arg;
	k42_mutex_init(&mu);
	k42_cond_init(&go_cond);
	k42_sem_init(&done, 0);
	for (long c = 1; c < ncpus && c < K42_VPS_MAX; c++)
		EXPECT(k42_vp_start((unsigned)c) == c, "start a dispatcher on CPU %ld", c);
	while (k42_vp_count() < 4)
		if (k42_vp_start(0) < 0)
			break;
	nvp = k42_vp_count();
	EXPECT(nvp >= 4, "%u dispatchers", nvp);

	while (rounds < ROUNDS && !lost) {
		if (!round_of(rounds, hz, &wrong))
			lost = 1;
		else
			rounds++;
	}
	expect = (uint64_t)rounds * (SHORT + (uint64_t)nvp * CONTENDERS * ITERS);
	EXPECT(lost || counter == expect, "counter %lu, expected %lu", counter, expect);
	EXPECT(wrong == 0, "%d threads not created, joined or home", wrong);
	if (!lost) {
		k42_sched_census(&r, &b);
		EXPECT(r == 0 && b == 0, "%lu ready, %lu blocked left", r, b);
	}
	k42_printf("vpwake_test: %u dispatchers on %ld CPUs, %d rounds of %u threads; %d lost, %d wrong\n",
		   nvp, ncpus, rounds, nvp * SWAPPERS, lost, wrong);
	return verdict("vpwake_test");
}

/*
 * Scheduler swap under load (run as init): 64 worker threads of 8
 * priorities, half mid-work (yielding in a loop) and half blocked (on a
 * semaphore or a condition variable), are moved from FIFO to the priority
 * policy; after the swap, work completes strictly in priority order. Then,
 * with all of them blocked on a second semaphore, the process swaps back
 * to FIFO and lets them finish. No thread may be lost or run twice.
 */
#include <string.h>
#include "check.h"

#define W 64
#define STEPS 50
#define TAIL 10

static struct k42_sem gate, gate2, all_reached;
static struct k42_mutex mu;
static struct k42_cond cv;
static int go;
static uint64_t progress[W], reached, done_count;
static int log_a[W], log_b[W];
static uint64_t nlog_a, nlog_b;

static int prio_of(int i)
{
	return 1 + i % 8;
}

static void *worker(void *arg)
{
	int i = (int)(uint64_t)arg;

	if (i % 4 == 0) {
		k42_sem_wait(&gate);
	} else if (i % 4 == 1) {
		k42_mutex_lock(&mu);
		while (!go)
			k42_cond_wait(&cv, &mu);
		k42_mutex_unlock(&mu);
	}
	for (int s = 0; s < STEPS; s++) {
		progress[i]++;
		k42_thread_yield();
	}
	log_a[nlog_a++] = i;
	if (++reached == W)
		k42_sem_post(&all_reached);
	k42_sem_wait(&gate2);
	for (int s = 0; s < TAIL; s++) {
		progress[i]++;
		k42_thread_yield();
	}
	log_b[nlog_b++] = i;
	done_count++;
	return arg;
}

static void *worker_once(void *arg)
{
	k42_thread_yield();
	return (void *)((uint64_t)arg + 1);
}

int main(uint64_t arg)
{
	k42_thread_t *t[W];
	uint64_t r, b, seen[W] = { 0 };
	long moved;
	int bad = 0;

	(void)arg;
	EXPECT(k42_sched_current()[0] == 'f', "starts with %s", k42_sched_current());
	k42_thread_set_prio(k42_thread_self(), K42_PRIO_MAX);
	for (int i = 0; i < W; i++) {
		struct k42_thread_attr a = { 0, prio_of(i), 0, 0 };

		t[i] = k42_thread_create_attr(worker, (void *)(uint64_t)i, &a);
		EXPECT(t[i] != NULL, "create %d", i);
	}
	for (int y = 0; y < 20; y++)
		k42_thread_yield();	/* FIFO: every runnable worker does ~20 steps */
	for (int i = 0; i < W; i += 4)
		EXPECT(progress[i] == 0 && progress[i + 1] == 0, "gated %d ran", i);
	for (int i = 2; i < W; i += 4)
		EXPECT(progress[i] > 0 && progress[i] < STEPS, "worker %d at %lu", i, progress[i]);

	/* Swap 1: FIFO -> prio, with 32 mid-work and 32 blocked. */
	k42_sched_census(&r, &b);
	EXPECT(r == W / 2 && b == W / 2, "before swap: %lu ready %lu blocked", r, b);
	moved = k42_sched_select("prio");
	EXPECT(moved == W, "moved %ld to prio", moved);
	k42_sched_census(&r, &b);
	EXPECT(r == W / 2 && b == W / 2, "after swap: %lu ready %lu blocked", r, b);
	EXPECT(nlog_a == 0, "%lu finished before the swap", nlog_a);
	for (int i = 0; i < W / 4; i++)
		k42_sem_post(&gate);
	k42_mutex_lock(&mu);
	go = 1;
	k42_cond_broadcast(&cv);
	k42_mutex_unlock(&mu);
	k42_sem_wait(&all_reached);

	EXPECT(nlog_a == W, "%lu reached phase B", nlog_a);
	for (uint64_t k = 1; k < nlog_a; k++)
		if (prio_of(log_a[k]) > prio_of(log_a[k - 1]))
			bad++;
	EXPECT(bad == 0, "%d priority inversions after the swap", bad);

	/* Swap 2: prio -> FIFO with everyone blocked on gate2. */
	k42_sched_census(&r, &b);
	EXPECT(r == 0 && b == W, "before swap back: %lu ready %lu blocked", r, b);
	moved = k42_sched_select("fifo");
	EXPECT(moved == W, "moved %ld back to fifo", moved);
	for (int i = 0; i < W; i++)
		k42_sem_post(&gate2);
	for (int i = 0; i < W; i++) {
		void *ret = NULL;

		EXPECT(k42_thread_join(t[i], &ret) == 0 && ret == (void *)(uint64_t)i, "join %d", i);
	}
	EXPECT(done_count == W && nlog_b == W, "%lu done", done_count);
	for (uint64_t k = 0; k < nlog_b; k++)
		seen[log_b[k]]++;
	bad = 0;
	for (int i = 0; i < W; i++)
		if (seen[i] != 1 || progress[i] != STEPS + TAIL)
			bad++;
	EXPECT(bad == 0, "%d threads lost, duplicated or miscounted", bad);
	k42_printf("sched_swap_test: %d threads moved fifo->prio->fifo; phase A order by priority: "
		   "%d..%d; all finished once\n", W, prio_of(log_a[0]), prio_of(log_a[W - 1]));
	/* Every registered policy takes over an empty process and runs a
	 * fresh thread to its end. */
	for (int p = 0; k42_sched_policies[p]; p++) {
		const char *name = k42_sched_policies[p]->name;
		k42_thread_t *one;
		void *ret = NULL;

		EXPECT(k42_sched_select(name) == 0, "swap to %s with nothing held", name);
		EXPECT(strcmp(k42_sched_current(), name) == 0, "now %s", k42_sched_current());
		one = k42_thread_create(worker_once, (void *)(uint64_t)p);
		EXPECT(one && k42_thread_join(one, &ret) == 0 && ret == (void *)(uint64_t)(p + 1),
		       "%s ran a thread", name);
		k42_printf("sched_swap_test: policy %s runs threads\n", name);
	}
	EXPECT(k42_sched_select("nosuch") == -K42_ENOENT, "unknown policy");
	return verdict("sched_swap_test");
}

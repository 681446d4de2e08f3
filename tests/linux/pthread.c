/*
 * Threads on the Linux personality, as a static musl program: 8 threads
 * contend for a mutex around a shared counter, pass tokens through a
 * condition variable, meet at a barrier built on raw futex calls, and
 * are joined; futex timeouts and EAGAIN are checked too. Every result is
 * compared with what it must be; the program prints one verdict line
 * ("pthread: ok ...") and exits 0 only if all of it held.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* From <linux/futex.h>; musl ships no kernel headers. */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

#define THREADS 8
#define ROUNDS 2000
#define TOKENS 400

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;
static int queue, consumed, produced_done;

static atomic_int bar_count, bar_gen;
static int failures;
static int tids[THREADS];

static long futex(atomic_int *addr, int op, int val, const struct timespec *ts)
{
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

/* A barrier on raw futexes: the last thread in bumps the generation and
 * wakes everyone waiting on it. */
static void barrier(void)
{
	int gen = atomic_load(&bar_gen);

	if (atomic_fetch_add(&bar_count, 1) == THREADS - 1) {
		atomic_store(&bar_count, 0);
		atomic_fetch_add(&bar_gen, 1);
		futex(&bar_gen, FUTEX_WAKE_PRIVATE, THREADS, NULL);
		return;
	}
	while (atomic_load(&bar_gen) == gen)
		futex(&bar_gen, FUTEX_WAIT_PRIVATE, gen, NULL);
}

static void *worker(void *arg)
{
	long id = (long)arg;

	tids[id] = (int)syscall(SYS_gettid);
	barrier();
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		long c = counter;

		if (i % 64 == 0)
			sched_yield();	/* let the others pile up on the lock */
		counter = c + 1;
		pthread_mutex_unlock(&lock);
	}
	barrier();
	/* Half of the threads consume tokens the other half produce. */
	if (id % 2 == 0) {
		for (int i = 0; i < TOKENS / (THREADS / 2); i++) {
			pthread_mutex_lock(&qlock);
			queue++;
			pthread_cond_signal(&qcond);
			pthread_mutex_unlock(&qlock);
		}
	} else {
		for (int i = 0; i < TOKENS / (THREADS / 2); i++) {
			pthread_mutex_lock(&qlock);
			while (queue == 0)
				pthread_cond_wait(&qcond, &qlock);
			queue--;
			consumed++;
			pthread_mutex_unlock(&qlock);
		}
	}
	barrier();
	return (void *)(id * 10);
}

int main(void)
{
	pthread_t t[THREADS];
	struct timespec ts = { 0, 50 * 1000 * 1000 }, t0, t1;
	atomic_int word = 5;
	long rc, ms;

	/* FUTEX_WAIT on a changed value: EAGAIN at once. */
	rc = futex(&word, FUTEX_WAIT_PRIVATE, 4, NULL);
	if (rc != -1 || errno != EAGAIN) {
		printf("pthread: FUTEX_WAIT on a changed value gave %ld errno %d\n", rc, errno);
		failures++;
	}
	/* A timed wait nobody wakes: ETIMEDOUT after about 50 ms. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = futex(&word, FUTEX_WAIT_PRIVATE, 5, &ts);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (rc != -1 || errno != ETIMEDOUT || ms < 45 || ms > 5000) {
		printf("pthread: timed FUTEX_WAIT gave %ld errno %d after %ld ms\n", rc, errno, ms);
		failures++;
	}
	/* Nobody waits: a wake wakes no one. */
	if ((rc = futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL)) != 0) {
		printf("pthread: FUTEX_WAKE with no waiter gave %ld\n", rc);
		failures++;
	}

	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
			printf("pthread: pthread_create %ld failed\n", i);
			return 1;
		}
	for (long i = 0; i < THREADS; i++) {
		void *ret;

		if (pthread_join(t[i], &ret) != 0 || (long)ret != i * 10) {
			printf("pthread: join %ld gave %ld\n", i, (long)ret);
			failures++;
		}
	}
	if (counter != (long)THREADS * ROUNDS) {
		printf("pthread: counter %ld, expected %ld\n", counter, (long)THREADS * ROUNDS);
		failures++;
	}
	if (consumed != TOKENS || queue != 0) {
		printf("pthread: consumed %d tokens, %d left, expected %d and 0\n", consumed, queue,
		       TOKENS);
		failures++;
	}
	for (int i = 0; i < THREADS; i++)
		for (int j = 0; j < i; j++)
			if (tids[i] == tids[j] || tids[i] == getpid() || tids[i] <= 0) {
				printf("pthread: thread ids not distinct (%d, %d, pid %d)\n", tids[i],
				       tids[j], getpid());
				failures++;
				i = THREADS;
				break;
			}
	(void)produced_done;
	if (failures)
		printf("pthread: FAILED (%d problems)\n", failures);
	else
		printf("pthread: ok: %d threads, counter %ld, %d tokens, 3 barriers, futex timeout %ld ms\n",
		       THREADS, counter, consumed, ms);
	return failures ? 1 : 0;
}

/*
 * Futexes between processes on the Linux personality, as a static musl
 * program: a MAP_SHARED anonymous mapping is shared with a forked child
 * (writes seen both ways), a parent waiting in FUTEX_WAIT is woken by the
 * child's FUTEX_WAKE (and the other way round, with FUTEX_WAKE_BITSET),
 * 500 wake/wait round trips pass between the two, a wait with a timeout
 * times out, a changed word gives EAGAIN, a wake on another shared
 * mapping's word wakes nobody, and a wait in a second thread leaves the
 * first running. One verdict line ("shfutex: ok ..."); exit 0 only if all
 * of it held.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* From <linux/futex.h>; musl ships no kernel headers. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10

#define ROUNDS 500

static int failures;

#define CHECK(cond, ...)                                   \
	do {                                               \
		if (!(cond)) {                             \
			printf("shfutex: FAILED: " __VA_ARGS__); \
			printf("\n");                      \
			failures++;                        \
		}                                          \
	} while (0)

struct shared {
	atomic_int word;	/* parent waits on it */
	atomic_int back;	/* child waits on it */
	atomic_int ping;	/* the round trips' word */
	atomic_int seen;	/* written by the child */
	atomic_int child_woke;	/* FUTEX_WAKE's result in the child */
	atomic_int child_wait;	/* FUTEX_WAIT's result in the child */
	atomic_int child_ready;
};

static long futex(atomic_int *w, int op, int val, const struct timespec *ts, int bits)
{
	long rc = syscall(SYS_futex, w, op, val, ts, NULL, bits);

	return rc < 0 ? -errno : rc;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void child(struct shared *s)
{
	/* 1. Sharing. */
	atomic_store(&s->seen, 42);
	/* 2. Wake the parent, once it is (very likely) waiting. */
	msleep(100);
	atomic_store(&s->word, 1);
	atomic_store(&s->child_woke, (int)futex(&s->word, FUTEX_WAKE, 1, NULL, 0));
	/* 3. Wait for the parent's bitset wake. */
	atomic_store(&s->child_ready, 1);
	long rc = 0;
	while (atomic_load(&s->back) == 0 && rc == 0)
		rc = futex(&s->back, FUTEX_WAIT_BITSET, 0, NULL, 0x4);
	atomic_store(&s->child_wait, (int)rc);
	/* 4. Round trips: wait while 1... the parent sets 1 and waits while 1. */
	for (int i = 0; i < ROUNDS; i++) {
		while (atomic_load(&s->ping) == 0)
			futex(&s->ping, FUTEX_WAIT, 0, NULL, 0);
		atomic_store(&s->ping, 0);
		futex(&s->ping, FUTEX_WAKE, 1, NULL, 0);
	}
	_exit(0);
}

static atomic_int *thread_word;
static atomic_int thread_done;

static void *thread_waiter(void *arg)
{
	struct timespec ts = { 10, 0 };

	(void)arg;
	futex(thread_word, FUTEX_WAIT, 0, &ts, 0);
	atomic_store(&thread_done, 1);
	return NULL;
}

int main(void)
{
	struct shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	atomic_int *other = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct timespec short_ts = { 0, 50 * 1000000 };
	uint64_t t0;
	long rc;
	int status;
	pid_t pid;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (s == MAP_FAILED || other == MAP_FAILED) {
		printf("shfutex: FAILED: mmap\n");
		return 1;
	}
	/* Timeout and EAGAIN, alone. */
	t0 = now_ms();
	rc = futex(&s->word, FUTEX_WAIT, 0, &short_ts, 0);
	CHECK(rc == -ETIMEDOUT, "a 50 ms wait gave %ld, not ETIMEDOUT", rc);
	CHECK(now_ms() - t0 >= 40, "a 50 ms wait ended after %llu ms", (unsigned long long)(now_ms() - t0));
	rc = futex(&s->word, FUTEX_WAIT, 7, NULL, 0);
	CHECK(rc == -EAGAIN, "a wait on a changed word gave %ld, not EAGAIN", rc);

	pid = fork();
	if (pid < 0) {
		printf("shfutex: FAILED: fork\n");
		return 1;
	}
	if (pid == 0)
		child(s);

	/* 2. The child wakes us (10 s timeout: only a lost wake-up waits it out). */
	t0 = now_ms();
	rc = 0;
	while (atomic_load(&s->word) == 0 && rc == 0) {
		struct timespec ts = { 10, 0 };

		rc = futex(&s->word, FUTEX_WAIT, 0, &ts, 0);
	}
	CHECK(rc == 0 || rc == -EAGAIN, "the parent's wait gave %ld", rc);
	CHECK(now_ms() - t0 < 5000, "the parent's wait took %llu ms", (unsigned long long)(now_ms() - t0));
	CHECK(atomic_load(&s->seen) == 42, "the child's write is not seen: %d", atomic_load(&s->seen));

	/* 3. Wake the child, waiting with bits 0x4: a wake on another
	 * mapping's word at the same offset, or with bits that miss, wakes
	 * nobody; one with 0x6 wakes it (tried until it is waiting). */
	while (!atomic_load(&s->child_ready))
		msleep(5);
	long woke = 0, stray = 0;

	t0 = now_ms();
	while (woke == 0 && now_ms() - t0 < 5000) {
		msleep(5);
		stray += futex(&other[1], FUTEX_WAKE_BITSET, 10, NULL, 0x4);
		stray += futex(&s->back, FUTEX_WAKE_BITSET, 10, NULL, 0x1);
		woke = futex(&s->back, FUTEX_WAKE_BITSET, 1, NULL, 0x6);
	}
	CHECK(woke == 1, "the bitset wake woke %ld", woke);
	CHECK(stray == 0, "wakes on another mapping or other bits woke %ld", stray);
	atomic_store(&s->back, 1);
	futex(&s->back, FUTEX_WAKE, 1, NULL, 0);	/* it waits again while 0 */

	/* 4. Round trips. */
	t0 = now_ms();
	for (int i = 0; i < ROUNDS; i++) {
		atomic_store(&s->ping, 1);
		futex(&s->ping, FUTEX_WAKE, 1, NULL, 0);
		while (atomic_load(&s->ping) == 1)
			futex(&s->ping, FUTEX_WAIT, 1, NULL, 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		CHECK(0, "the child ended with status 0x%x", status);
	CHECK(atomic_load(&s->child_woke) == 1, "the child's FUTEX_WAKE woke %d, not 1",
	      atomic_load(&s->child_woke));
	CHECK(atomic_load(&s->child_wait) == 0, "the child's bitset wait gave %d",
	      atomic_load(&s->child_wait));

	/* 5. A shared wait in a second thread: the first one runs on and
	 * wakes it. */
	thread_word = &other[2];
	pthread_t t;
	if (pthread_create(&t, NULL, thread_waiter, NULL) != 0) {
		CHECK(0, "pthread_create");
	} else {
		long calls = 0;

		msleep(50);	/* the waiter is (very likely) asleep now */
		while (calls < 2000 && !atomic_load(&thread_done)) {
			getppid();
			calls++;
		}
		CHECK(calls == 2000 && !atomic_load(&thread_done),
		      "the main thread made %ld calls while the other waited", calls);
		atomic_store(thread_word, 1);
		while (futex(thread_word, FUTEX_WAKE, 1, NULL, 0) == 0 && !atomic_load(&thread_done))
			msleep(1);
		pthread_join(t, NULL);
	}

	if (failures) {
		printf("shfutex: FAILED: %d checks\n", failures);
		return 1;
	}
	printf("shfutex: ok: shared mapping, wake both ways, %d round trips, timeout, EAGAIN, "
	       "keys per mapping, a waiting thread\n", ROUNDS);
	return 0;
}

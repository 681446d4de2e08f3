/*
 * lscal: Linux's side of ./k42 bench's scalability table (docs/scalability.md). A
 * static musl program run by the baseline initramfs (lscal=1) under
 * Debian's kernel with -smp N -icount, beside bench/k42/scalbench.c: the
 * same work on every CPU at once (each worker pinned to its CPU), timed
 * with the timebase from a common start to the last worker's end (its
 * own reading, so thread exit and reaping are not counted):
 *   pipe    1-byte pipe round trips, a process pair per CPU
 *   fault   first touches of pages of one shared anonymous mmap, a thread
 *           per CPU, each its own pages
 *   fork    fork, the child _exits at once, waitpid; a process per CPU
 *   malloc  malloc + free of 64 bytes, a thread per CPU
 * Prints "LSCAL <kind> <cpus> <ticks per op>" and "LSCAL done" (or
 * "LSCAL error <what>"), then powers off. Every operation is checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIPE_OPS 500
#define FAULT_PAGES 256
#define FORK_OPS 6
#define MALLOC_OPS 4000
#define MAXCPU 64

static long ncpu;
/* [1 + i] errors of worker i, [1 + MAXCPU + i] the
 * timebase when worker i finished its work (exit and reaping not timed) */
static volatile uint64_t *shared;
#define END(c) shared[1 + MAXCPU + (c)]
static char *region;
static long pagesz;

static inline uint64_t tb(void)
{
	uint64_t t;

	__asm__ __volatile__("mftb %0" : "=r"(t) : : "memory");
	return t;
}

static void die(const char *what)
{
	printf("LSCAL error %s: %s\n", what, strerror(errno));
	fflush(stdout);
	reboot(RB_POWER_OFF);
	exit(1);
}

static void pin(long cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		die("sched_setaffinity");
}

/* Workers block on a pipe until the start (spinning would take the CPU
 * from whoever has to start them). */
static int startfd[2];

static void wait_start(void)
{
	char c;

	if (read(startfd[0], &c, 1) != 1)
		die("start");
}

static void pipe_worker(long cpu)
{
	int a[2], b[2];
	pid_t pid;
	char c = 0;

	if (pipe(a) || pipe(b))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		pin(cpu);
		for (int i = 0; i < PIPE_OPS; i++)
			if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	pin(cpu);
	wait_start();
	for (int i = 0; i < PIPE_OPS; i++) {
		char x = (char)i, y = 0;

		if (write(a[1], &x, 1) != 1 || read(b[0], &y, 1) != 1 || y != x)
			shared[1 + cpu]++;
	}
	END(cpu) = tb();
	if (waitpid(pid, NULL, 0) != pid)
		shared[1 + cpu]++;
}

static void fork_worker(long cpu)
{
	pin(cpu);
	wait_start();
	for (int i = 0; i < FORK_OPS; i++) {
		int st = 0;
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(7);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
			shared[1 + cpu]++;
	}
	END(cpu) = tb();
}

static void *fault_thread(void *arg)
{
	long cpu = (long)arg;

	pin(cpu);
	wait_start();
	for (long p = cpu; p < FAULT_PAGES * ncpu; p += ncpu)
		region[p * pagesz] = (char)(p + 1);
	for (long p = cpu; p < FAULT_PAGES * ncpu; p += ncpu)
		if (region[p * pagesz] != (char)(p + 1))
			shared[1 + cpu]++;
	END(cpu) = tb();
	return NULL;
}

static void *malloc_thread(void *arg)
{
	long cpu = (long)arg;
	/* A block kept live: musl gives an emptied group back to the kernel
	 * at once, which would time munmap rather than malloc. */
	void *keep = malloc(64);

	pin(cpu);
	wait_start();
	for (int i = 0; i < MALLOC_OPS; i++) {
		volatile uint64_t *p = malloc(64);

		if (!p) {
			shared[1 + cpu]++;
			continue;
		}
		p[0] = (uint64_t)i;
		p[7] = (uint64_t)i;
		if (p[0] != (uint64_t)i)
			shared[1 + cpu]++;
		free((void *)p);
	}
	END(cpu) = tb();
	free(keep);
	return NULL;
}

/* A process per CPU (fn), or a thread per CPU (tfn): ticks per op. */
static uint64_t phase(void (*fn)(long), void *(*tfn)(void *), long ops)
{
	pid_t pids[MAXCPU];
	pthread_t th[MAXCPU];
	uint64_t t0, t1;

	if (pipe(startfd))
		die("pipe");
	for (long c = 0; c < ncpu; c++) {
		if (fn) {
			pids[c] = fork();
			if (pids[c] < 0)
				die("fork");
			if (pids[c] == 0) {
				fn(c);
				_exit(0);
			}
		} else if (pthread_create(&th[c], NULL, tfn, (void *)c) != 0) {
			die("pthread_create");
		}
	}
	usleep(20000);	/* every worker at its start line */
	t0 = tb();
	for (long c = 0; c < ncpu; c++)
		if (write(startfd[1], "g", 1) != 1)
			die("start");
	for (long c = 0; c < ncpu; c++) {
		if (fn) {
			int st = 0;

			if (waitpid(pids[c], &st, 0) != pids[c] || !WIFEXITED(st) || WEXITSTATUS(st))
				shared[1 + c]++;
		} else {
			pthread_join(th[c], NULL);
		}
	}
	close(startfd[0]);
	close(startfd[1]);
	t1 = t0;
	for (long c = 0; c < ncpu; c++)
		if (END(c) > t1)
			t1 = END(c);
	return (t1 - t0) / (uint64_t)(ops * ncpu);
}

int main(void)
{
	uint64_t pipe_t, fault_t, fork_t, malloc_t, errors = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pagesz = sysconf(_SC_PAGESIZE);
	if (ncpu < 1 || ncpu > MAXCPU)
		die("cpu count");
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	region = mmap(NULL, (size_t)(FAULT_PAGES * ncpu * pagesz), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || region == MAP_FAILED)
		die("mmap");
	printf("LSCAL start %ld\n", ncpu);
	pipe_t = phase(pipe_worker, NULL, PIPE_OPS);
	fault_t = phase(NULL, fault_thread, FAULT_PAGES);
	fork_t = phase(fork_worker, NULL, FORK_OPS);
	malloc_t = phase(NULL, malloc_thread, MALLOC_OPS);
	for (long c = 0; c < ncpu; c++)
		errors += shared[1 + c];
	if (errors) {
		printf("LSCAL error %lu failed operations\n", (unsigned long)errors);
	} else {
		printf("LSCAL pipe %ld %lu\nLSCAL fault %ld %lu\nLSCAL fork %ld %lu\nLSCAL malloc %ld %lu\n",
		       ncpu, (unsigned long)pipe_t, ncpu, (unsigned long)fault_t, ncpu,
		       (unsigned long)fork_t, ncpu, (unsigned long)malloc_t);
		printf("LSCAL done\n");
	}
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 0;
}

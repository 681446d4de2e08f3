/*
 * lbench: the Linux baseline for ./k42 bench. A static musl program run by
 * the initramfs /init under Debian's ppc64el kernel on QEMU pseries, and
 * unmodified by k42's Linux personality (the same binary's figures side by
 * side). It times each primitive with the timebase (mftb, 512 MHz) and
 * prints one line per figure, then powers the machine off (on k42 the
 * reboot call fails and the program simply ends):
 *
 *   null_syscall     getppid through a bare `sc`
 *   pipe_roundtrip   parent writes 1 byte, child reads it and writes it back
 *   futex_roundtrip  FUTEX_WAIT/FUTEX_WAKE ping-pong between two processes
 *                    over a MAP_SHARED anonymous word
 *   file_read_4k     pread of 4 KiB of a file in the initramfs (tmpfs)
 *   file_write_4k    pwrite of 4 KiB to it
 *   fork_wait        fork, the child _exits at once, the parent waitpids
 *   exec_true        fork, the child execs busybox true, the parent waitpids
 *
 * Output (parsed by tools/bench_linux.py), per figure after one untimed
 * warm-up repetition:
 *   LBENCH start null=N pipe=N futex=N reps=N
 *   LBENCH <name>_rep<i>_ticks_per_op <repetition i>
 *   LBENCH <name>_ticks_per_op <mean over all repetitions>
 *   LBENCH <name>_ticks_per_op_min <min over repetitions>
 *   LBENCH done               (or: LBENCH error <what>: <errno text>)
 * Under `qemu -icount shift=0` one guest instruction is 1 ns, so
 * instructions per op = ticks per op / 0.512.
 *
 * Iteration counts come from the kernel command line, which Linux passes to
 * init as environment variables (on k42, the shell sets them): lbench_null=
 * lbench_pipe= lbench_futex= lbench_file= lbench_fork= lbench_exec=
 * lbench_reps=; 0 skips a figure. lbench_dir= is where the file figures'
 * file goes (default /).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* From <linux/futex.h>; musl ships no kernel headers. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

static inline uint64_t tb(void)
{
	uint64_t t;
	__asm__ __volatile__("mftb %0" : "=r"(t) : : "memory");
	return t;
}

static void die(const char *what)
{
	printf("LBENCH error %s: %s\n", what, strerror(errno));
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	_exit(1);
}

static long env_long(const char *name, long dflt)
{
	const char *s = getenv(name);
	long v;

	if (!s || !*s)
		return dflt;
	v = strtol(s, NULL, 10);
	return v > 0 || strcmp(s, "0") == 0 ? v : dflt;
}

/* getppid through a bare system call: r0 = number, result in r3. */
static inline long raw_getppid(void)
{
	register long r0 __asm__("r0") = SYS_getppid;
	register long r3 __asm__("r3");
	__asm__ __volatile__("sc"
			     : "+r"(r0), "=r"(r3)
			     :
			     : "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
			       "cr0", "ctr", "memory");
	return r3;
}

static uint64_t run_null(long n)
{
	uint64_t t0 = tb();
	for (long i = 0; i < n; i++)
		raw_getppid();
	return tb() - t0;
}

/* Pipe round trip: one child lives for the whole figure (all repetitions). */
static int p2c[2], c2p[2];
static pid_t pipe_child;

static void pipe_start(void)
{
	if (pipe(p2c) || pipe(c2p))
		die("pipe");
	pipe_child = fork();
	if (pipe_child < 0)
		die("fork");
	if (pipe_child == 0) {
		char c;
		/* Only the parent's write end may stay open, or read() never sees EOF. */
		close(p2c[1]);
		close(c2p[0]);
		for (;;) {
			ssize_t r = read(p2c[0], &c, 1);
			if (r <= 0)
				_exit(0);
			if (write(c2p[1], &c, 1) != 1)
				_exit(1);
		}
	}
	close(p2c[0]);
	close(c2p[1]);
}

static uint64_t run_pipe(long n)
{
	char c = 'x';
	uint64_t t0 = tb();
	for (long i = 0; i < n; i++) {
		if (write(p2c[1], &c, 1) != 1)
			die("pipe write");
		if (read(c2p[0], &c, 1) != 1)
			die("pipe read");
	}
	return tb() - t0;
}

static void pipe_stop(void)
{
	close(p2c[1]);
	close(c2p[0]);
	waitpid(pipe_child, NULL, 0);
}

/*
 * Futex round trip over one shared word: the parent sets it to 1 (PING) and
 * wakes the child, then waits while it is 1; the child waits while it is 0,
 * sets it back to 0 (PONG) and wakes the parent. 2 means "exit".
 * Process-shared futexes (no FUTEX_PRIVATE_FLAG): the word is in a
 * MAP_SHARED mapping seen by two address spaces.
 */
static volatile int *fword;
static pid_t futex_child;

static long futex(volatile int *uaddr, int op, int val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static void futex_start(void)
{
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		die("mmap");
	fword = m;
	*fword = 0;
	futex_child = fork();
	if (futex_child < 0)
		die("fork");
	if (futex_child == 0) {
		for (;;) {
			int v;
			while ((v = __atomic_load_n(fword, __ATOMIC_ACQUIRE)) == 0)
				futex(fword, FUTEX_WAIT, 0);
			if (v == 2)
				_exit(0);
			__atomic_store_n(fword, 0, __ATOMIC_RELEASE);
			futex(fword, FUTEX_WAKE, 1);
		}
	}
}

static uint64_t run_futex(long n)
{
	uint64_t t0 = tb();
	for (long i = 0; i < n; i++) {
		__atomic_store_n(fword, 1, __ATOMIC_RELEASE);
		futex(fword, FUTEX_WAKE, 1);
		while (__atomic_load_n(fword, __ATOMIC_ACQUIRE) == 1)
			futex(fword, FUTEX_WAIT, 1);
	}
	return tb() - t0;
}

static void futex_stop(void)
{
	__atomic_store_n(fword, 2, __ATOMIC_RELEASE);
	futex(fword, FUTEX_WAKE, 1);
	waitpid(futex_child, NULL, 0);
}

/*
 * Warm up with one untimed repetition (a shorter one left the first timed
 * repetition ~13% faster than the steady state under icount), then reps
 * timed repetitions of n operations each.
 */
static void figure(const char *name, uint64_t (*run)(long), long n, long reps)
{
	uint64_t total = 0, best = UINT64_MAX;

	if (n <= 0)
		return;
	run(n);
	for (long r = 0; r < reps; r++) {
		uint64_t t = run(n);
		printf("LBENCH %s_rep%ld_ticks_per_op %.1f\n", name, r, (double)t / n);
		total += t;
		if (t < best)
			best = t;
	}
	printf("LBENCH %s_ticks_per_op %.1f\n", name, (double)total / ((double)n * reps));
	printf("LBENCH %s_ticks_per_op_min %.1f\n", name, (double)best / n);
	fflush(stdout);
}

/* 4 KiB pread/pwrite of one file in the initramfs (tmpfs), as k42's
 * file rows do on its tmpfs. */
static int file_fd = -1;
static char file_buf[4096];
static char file_path[256];

static void file_start(void)
{
	const char *dir = getenv("lbench_dir");

	snprintf(file_path, sizeof(file_path), "%s/lbench.dat", dir && *dir ? dir : "");
	file_fd = open(file_path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (file_fd < 0)
		die("open lbench.dat");
	memset(file_buf, 0x42, sizeof(file_buf));
	if (pwrite(file_fd, file_buf, sizeof(file_buf), 0) != (ssize_t)sizeof(file_buf))
		die("pwrite");
}

static uint64_t run_file_read(long n)
{
	uint64_t t0 = tb();

	for (long i = 0; i < n; i++)
		if (pread(file_fd, file_buf, sizeof(file_buf), 0) != (ssize_t)sizeof(file_buf) ||
		    file_buf[4095] != 0x42)
			die("pread");
	return tb() - t0;
}

static uint64_t run_file_write(long n)
{
	uint64_t t0 = tb();

	for (long i = 0; i < n; i++)
		if (pwrite(file_fd, file_buf, sizeof(file_buf), 0) != (ssize_t)sizeof(file_buf))
			die("pwrite");
	return tb() - t0;
}

/* fork, the child ends at once, the parent reaps it. */
static uint64_t run_fork(long n)
{
	uint64_t t0 = tb();

	for (long i = 0; i < n; i++) {
		int st;
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
			die("fork_wait");
	}
	return tb() - t0;
}

/* fork, the child execs busybox true (a static glibc binary of 2 MB),
 * the parent reaps it. */
static uint64_t run_exec(long n)
{
	uint64_t t0 = tb();

	for (long i = 0; i < n; i++) {
		int st;
		pid_t pid = fork();

		if (pid == 0) {
			char *argv[] = { (char *)"true", NULL };

			execv("/bin/busybox", argv);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			die("exec_true");
	}
	return tb() - t0;
}

int main(void)
{
	long n_null = env_long("lbench_null", 100000);
	long n_pipe = env_long("lbench_pipe", 5000);
	long n_futex = env_long("lbench_futex", 5000);
	long reps = env_long("lbench_reps", 5);
	long n_file = env_long("lbench_file", 5000);
	long n_fork = env_long("lbench_fork", 200);
	long n_exec = env_long("lbench_exec", 50);

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("LBENCH start null=%ld pipe=%ld futex=%ld reps=%ld\n", n_null, n_pipe, n_futex, reps);

	figure("null_syscall", run_null, n_null, reps);

	if (n_pipe > 0) {
		pipe_start();
		figure("pipe_roundtrip", run_pipe, n_pipe, reps);
		pipe_stop();
	}

	if (n_futex > 0) {
		futex_start();
		figure("futex_roundtrip", run_futex, n_futex, reps);
		futex_stop();
	}

	if (n_file > 0) {
		file_start();
		figure("file_read_4k", run_file_read, n_file, reps);
		figure("file_write_4k", run_file_write, n_file, reps);
		close(file_fd);
		unlink(file_path);
	}

	figure("fork_wait", run_fork, n_fork, reps);
	figure("exec_true", run_exec, n_exec, reps);

	printf("LBENCH done\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}

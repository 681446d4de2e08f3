/*
 * The calls the kernel answers for the Linux personality (disp_answer,
 * docs/linux.md "Answered calls"), as a static musl program: getpid,
 * getppid, gettid and the ids give what the personality gives, before
 * and after fork and threads; and a signal still reaches a program that
 * makes only answered calls: SIGALRM from a timer, SIGUSR1 from a child's
 * kill, SIGCHLD when a child ends (with a handler), each while the main
 * loop calls nothing but getppid/getpid. One verdict line: "answers: ok".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int bad;
static volatile sig_atomic_t got_alrm, got_usr1, got_chld;

#define CHECK(cond, ...) do { if (!(cond)) { printf("answers: FAILED: " __VA_ARGS__); printf("\n"); bad++; } } while (0)

static void on_sig(int sig)
{
	if (sig == SIGALRM)
		got_alrm = 1;
	else if (sig == SIGUSR1)
		got_usr1 = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
}

/* Spin on an answered call until flag is set or `limit` calls were made;
 * returns the calls made. */
static long spin(volatile sig_atomic_t *flag, long limit)
{
	long n = 0;

	while (!*flag && n < limit) {
		(void)syscall(SYS_getppid);
		n++;
	}
	return n;
}

static pid_t tid_seen;

static void *thread_fn(void *arg)
{
	(void)arg;
	tid_seen = (pid_t)syscall(SYS_gettid);
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	pid_t me = getpid(), parent = getppid(), pid;
	pthread_t t;
	int st;
	long n;

	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK(me > 1 && syscall(SYS_getpid) == me, "getpid %d", me);
	CHECK(syscall(SYS_gettid) == me, "gettid of the only thread is the pid");
	CHECK(getuid() == 0 && geteuid() == 0 && getgid() == 0 && getegid() == 0, "ids are root's");
	CHECK(getppid() == parent, "getppid stable");

	/* fork: the child's answers are its own. */
	pid = fork();
	if (pid == 0) {
		if (getppid() != me || getpid() == me || syscall(SYS_gettid) != getpid())
			_exit(2);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "child's getpid/getppid/gettid (status %#x)", st);
	CHECK(getpid() == me && getppid() == parent, "the parent's answers after fork");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	/* A timer's signal while only answered calls are made. */
	alarm(1);
	n = spin(&got_alrm, 20000000L);
	CHECK(got_alrm, "SIGALRM never came during %ld getppid calls", n);

	/* Another process's kill while only answered calls are made. */
	pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 200000000 };

		nanosleep(&ts, NULL);
		_exit(kill(getppid(), SIGUSR1) == 0 ? 0 : 3);
	}
	n = spin(&got_usr1, 20000000L);
	CHECK(got_usr1, "SIGUSR1 from the child never came during %ld getppid calls", n);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "killer child %#x", st);

	/* SIGCHLD with a handler: noticed while only answered calls are made. */
	sigaction(SIGCHLD, &sa, NULL);
	pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 200000000 };

		nanosleep(&ts, NULL);
		_exit(0);
	}
	n = spin(&got_chld, 20000000L);
	CHECK(got_chld, "SIGCHLD never came during %ld getppid calls", n);
	waitpid(pid, &st, 0);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);

	/* A second thread: gettid is the caller's. */
	CHECK(pthread_create(&t, NULL, thread_fn, NULL) == 0 && pthread_join(t, NULL) == 0, "thread");
	CHECK(tid_seen > 0 && tid_seen != me, "the thread's gettid %d is not the pid %d", tid_seen, me);
	CHECK(syscall(SYS_gettid) == me, "the main thread's gettid after a thread");
	CHECK(getpid() == me, "getpid after a thread");

	if (bad) {
		printf("answers: FAILED (%d checks)\n", bad);
		return 1;
	}
	printf("answers: ok: ids, fork, threads, and SIGALRM, SIGUSR1 and SIGCHLD while spinning\n");
	return 0;
}

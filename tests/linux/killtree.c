/*
 * kill(-1, sig) and process-group kills reach every process they name in
 * the Linux process tree (docs/linux.md), not only the caller's children:
 * - kill(-1, SIGKILL) ends children and grandchildren, never the caller
 *   (Linux leaves out init and the caller), and with nobody left is ESRCH;
 * - kill(0, SIGTERM) from a group leader's grandchild ends the whole group
 *   (leader, children, grandchildren) and not the parent outside it;
 * - kill(-pgid, SIGTERM) from outside ends that group alone.
 * The tree's first process runs it (tools/testrun.py), so -1 reaches no
 * shell. Prints "killtree: PASS".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                       \
	do {                                                   \
		if (!(cond)) {                                 \
			printf("killtree: FAILED: " __VA_ARGS__); \
			printf("\n");                          \
			failures++;                            \
		}                                              \
	} while (0)

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* A child that forks a grandchild; both sleep until killed. The
 * grandchild reports its pid through the pipe. */
static pid_t family(int fd, int own_group)
{
	pid_t c = fork();

	if (c == 0) {
		if (own_group)
			setpgid(0, 0);
		pid_t g = fork();

		if (g == 0) {
			pid_t me = getpid();

			(void)!write(fd, &me, sizeof(me));
			for (;;)
				pause();
		}
		for (;;)
			pause();
	}
	return c;
}

/* Is pid still there (not yet ended)? Grandchildren are not ours to wait
 * for: ask with signal 0, which a zombie also answers on Linux, so give
 * the kernel a moment to reap the orphan. */
static int alive(pid_t pid)
{
	for (int i = 0; i < 50; i++) {
		if (kill(pid, 0) != 0 && errno == ESRCH)
			return 0;
		nap(20);
	}
	return 1;
}

int main(void)
{
	int p[2], st;
	pid_t c1, c2, g1, g2;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (pipe(p) != 0)
		return 1;

	/* kill(-1): the whole tree but us. */
	c1 = family(p[1], 0);
	c2 = family(p[1], 0);
	if (read(p[0], &g1, sizeof(g1)) != sizeof(g1) || read(p[0], &g2, sizeof(g2)) != sizeof(g2))
		return 1;
	CHECK(kill(-1, SIGKILL) == 0, "kill(-1, SIGKILL) failed: errno %d", errno);
	CHECK(waitpid(c1, &st, 0) == c1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "child %d: status 0x%x", (int)c1, st);
	CHECK(waitpid(c2, &st, 0) == c2 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "child %d: status 0x%x", (int)c2, st);
	CHECK(!alive(g1) && !alive(g2), "a grandchild outlived kill(-1)");
	errno = 0;
	CHECK(kill(-1, SIGTERM) == -1 && errno == ESRCH, "kill(-1) with nobody: errno %d", errno);

	/* kill(-pgid) from outside: that group, children and grandchildren. */
	c1 = family(p[1], 1);
	c2 = family(p[1], 0);
	if (read(p[0], &g1, sizeof(g1)) != sizeof(g1) || read(p[0], &g2, sizeof(g2)) != sizeof(g2))
		return 1;
	nap(100);	/* c1's setpgid */
	CHECK(kill(-c1, SIGTERM) == 0, "kill(-%d) failed: errno %d", (int)c1, errno);
	CHECK(waitpid(c1, &st, 0) == c1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
	      "group leader %d: status 0x%x", (int)c1, st);
	/* which grandchild was c1's is not known: exactly one is gone */
	int gone1 = !alive(g1), gone2 = !alive(g2);

	CHECK(gone1 + gone2 == 1, "kill(-pgid) ended %d of the two grandchildren", gone1 + gone2);
	CHECK(waitpid(c2, &st, WNOHANG) == 0, "the other group's child ended");
	kill(c2, SIGKILL);
	waitpid(c2, &st, 0);
	kill(gone1 ? g2 : g1, SIGKILL);
	CHECK(!alive(gone1 ? g2 : g1), "a grandchild outlived SIGKILL");

	/* kill(0) from inside a group: all of it, not us outside it. */
	c1 = fork();
	if (c1 == 0) {
		setpgid(0, 0);
		if (fork() == 0) {
			if (fork() == 0) {
				nap(200);
				kill(0, SIGTERM);
				_exit(3);
			}
			for (;;)
				pause();
		}
		for (;;)
			pause();
	}
	CHECK(waitpid(c1, &st, 0) == c1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
	      "kill(0) from a grandchild: the leader's status 0x%x", st);

	if (failures)
		printf("killtree: %d FAILED\n", failures);
	else
		printf("killtree: PASS\n");
	return failures != 0;
}

/*
 * Job control on the Linux personality (a static musl program): a child
 * that stops itself (SIGSTOP) or is stopped (SIGTSTP's default action)
 * is reported by waitpid with WUNTRACED, its continue (SIGCONT) with
 * WCONTINUED, and its end after; the parent gets SIGCHLD for the stop
 * unless it asked SA_NOCLDSTOP; a stopped child takes SIGKILL. One
 * verdict line: "jobctl: ok".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int bad;
static volatile int chlds;

#define CHECK(cond, ...) do { if (!(cond)) { printf("jobctl: FAILED: " __VA_ARGS__); printf(" (errno %d)\n", errno); bad++; } } while (0)

static void on_chld(int sig)
{
	(void)sig;
	chlds++;
}

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* SIGCHLD with flags; a child that stops itself, is continued, exits 5. */
static void round_trip(int flags, int want_chld_for_stop)
{
	struct sigaction sa;
	int st, before;
	pid_t pid, w;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_chld;
	sa.sa_flags = flags | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	chlds = 0;
	pid = fork();
	if (pid == 0) {
		raise(SIGSTOP);
		nap(500);	/* (an end right after the continue hides it, as on Linux) */
		_exit(5);
	}
	w = waitpid(pid, &st, WUNTRACED);
	CHECK(w == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "WUNTRACED: %d status 0x%x", (int)w, st);
	nap(100);
	CHECK(want_chld_for_stop ? chlds >= 1 : chlds == 0, "SIGCHLD for the stop (flags 0x%x): %d", flags,
	      chlds);
	before = chlds;
	CHECK(kill(pid, SIGCONT) == 0, "SIGCONT");
	w = waitpid(pid, &st, WCONTINUED);
	CHECK(w == pid && WIFCONTINUED(st), "WCONTINUED: %d status 0x%x", (int)w, st);
	w = waitpid(pid, &st, 0);
	CHECK(w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 5, "the end: %d status 0x%x", (int)w, st);
	(void)before;
}

int main(void)
{
	int st;
	pid_t pid, w;

	round_trip(0, 1);
	round_trip(SA_NOCLDSTOP, 0);
	signal(SIGCHLD, SIG_DFL);

	/* SIGTSTP's default action stops; a stopped child takes SIGKILL;
	 * without WUNTRACED the stop is not reported. */
	pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	nap(100);
	CHECK(kill(pid, SIGTSTP) == 0, "SIGTSTP");
	w = waitpid(pid, &st, WUNTRACED);
	CHECK(w == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP, "SIGTSTP stop: %d status 0x%x", (int)w, st);
	CHECK(waitpid(pid, &st, WNOHANG) == 0, "a stop is not an end without WUNTRACED");
	CHECK(waitpid(pid, &st, WUNTRACED | WNOHANG) == 0, "a stop is reported once");
	CHECK(kill(pid, SIGKILL) == 0, "SIGKILL");
	w = waitpid(pid, &st, 0);
	CHECK(w == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "killed while stopped: status 0x%x", st);
	if (bad)
		return 1;
	printf("jobctl: ok: WUNTRACED, WCONTINUED, SIGCHLD and SA_NOCLDSTOP, SIGTSTP, SIGKILL while stopped\n");
	return 0;
}

/*
 * A fork bomb on the Linux personality (a static musl program): fork until
 * the system refuses, with every child trying to fork too before it
 * sleeps. The refusal must be an error Linux gives (EAGAIN or ENOMEM),
 * nothing may crash, and afterwards — children killed and reaped — fork,
 * exec and wait must work again. One verdict line: "forkbomb: contained".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_KIDS 4096

static pid_t kids[MAX_KIDS];

int main(int argc, char **argv)
{
	int n = 0, err = 0, reaped = 0;

	(void)argc;
	for (;;) {
		pid_t pid = fork();

		if (pid == 0) {
			/* The child tries once more (its own child just sleeps),
			 * then waits to be killed. */
			if (fork() == 0)
				for (;;)
					pause();
			for (;;)
				pause();
		}
		if (pid < 0) {
			err = errno;
			break;
		}
		kids[n++] = pid;
		if (n == MAX_KIDS)
			break;
	}
	if (n == MAX_KIDS || (err != EAGAIN && err != ENOMEM)) {
		printf("forkbomb: FAILED: %d children, then %s\n", n, n == MAX_KIDS ? "no limit" : strerror(err));
		return 1;
	}
	printf("forkbomb: fork refused with %s after %d children\n", err == EAGAIN ? "EAGAIN" : "ENOMEM", n);
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < n; i++) {
		int st;

		if (waitpid(kids[i], &st, 0) == kids[i] && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			reaped++;
	}
	if (reaped != n) {
		printf("forkbomb: FAILED: reaped %d of %d children\n", reaped, n);
		return 1;
	}
	/* The system still works: fork, exec, wait. */
	for (int i = 0; i < 10; i++) {
		int st;
		pid_t pid = fork();

		if (pid == 0) {
			char *args[] = { (char *)"true", NULL };

			execv("/bin/true", args);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("forkbomb: FAILED: fork-exec-wait %d after the bomb (pid %d): %s\n", i, pid,
			       pid < 0 ? strerror(errno) : "bad status");
			return 1;
		}
	}
	printf("forkbomb: contained: %d children killed and reaped; fork-exec-wait works again\n", n);
	return 0;
}

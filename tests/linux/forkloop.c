/*
 * fork, execve, wait4 a thousand times on the Linux personality (a static
 * musl program): each child execs this program again as "forkloop child N",
 * which exits with N % 200; the parent checks every pid and status. One
 * verdict line: "forkloop: ok: 1000 fork-exec-wait iterations".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ITERATIONS 1000

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return atoi(argv[2]) % 200;
	for (int i = 0; i < ITERATIONS; i++) {
		char num[16];
		int status = -1;
		pid_t pid, got;

		snprintf(num, sizeof(num), "%d", i);
		pid = fork();
		if (pid == 0) {
			char *args[] = { argv[0], (char *)"child", num, NULL };

			execv("/proc/self/exe", args);
			execv(argv[0], args);
			_exit(255);
		}
		if (pid < 0) {
			printf("forkloop: fork %d failed: %s\n", i, strerror(errno));
			return 1;
		}
		got = waitpid(pid, &status, 0);
		if ((i + 1) % 100 == 0)
			printf("forkloop: %d\n", i + 1);
		if (got != pid || !WIFEXITED(status) || WEXITSTATUS(status) != i % 200) {
			printf("forkloop: iteration %d: waitpid %d (pid %d), status 0x%x\n", i, got, pid,
			       status);
			if (++bad > 5)
				break;
		}
	}
	if (bad) {
		printf("forkloop: FAILED (%d bad iterations)\n", bad);
		return 1;
	}
	printf("forkloop: ok: %d fork-exec-wait iterations\n", ITERATIONS);
	return 0;
}

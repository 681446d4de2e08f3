/*
 * SIGCHLD ignored on the Linux personality: children are reaped as they
 * end, as on Linux, so a program that forks without waiting (busybox
 * httpd, one child per connection) can fork more children than the
 * personality keeps track of at once (256). 300 children are forked, each
 * ends at once; a fork refused with EAGAIN is tried again after a short
 * sleep (a child may not have ended yet), for at most 30 s (a loaded host
 * once took more than the 2 s this allowed first). Then wait()
 * must fail with ECHILD: nothing is left to wait for. Then 200 times: fork
 * a child that ends at once and wait() at once, which must fail with
 * ECHILD too: a child that ends while wait looks (on another CPU at
 * --smp 4) is not waited for either (wait once returned its pid).
 * One verdict line:
 * "nocldwait: ok: 300 forks with SIGCHLD ignored, wait ECHILD".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILDREN 300
#define RACES 200

int main(void)
{
	int retries = 0;

	if (signal(SIGCHLD, SIG_IGN) == SIG_ERR) {
		printf("nocldwait: FAILED: signal: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < CHILDREN; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0 && errno == EAGAIN && retries < 3000) {
			retries++;
			usleep(10000);
			i--;
			continue;
		}
		if (pid < 0) {
			printf("nocldwait: FAILED: fork %d: %s (after %d retries)\n", i, strerror(errno),
			       retries);
			return 1;
		}
	}
	if (wait(NULL) != -1 || errno != ECHILD) {
		printf("nocldwait: FAILED: wait did not fail with ECHILD (%s)\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < RACES; i++) {
		pid_t pid = fork(), w;

		if (pid == 0)
			_exit(0);
		if (pid < 0 && errno == EAGAIN && retries < 3000) {
			retries++;
			usleep(10000);
			i--;
			continue;
		}
		if (pid < 0) {
			printf("nocldwait: FAILED: fork %d: %s\n", i, strerror(errno));
			return 1;
		}
		errno = 0;
		w = wait(NULL);
		if (w != -1 || errno != ECHILD) {
			printf("nocldwait: FAILED: wait %d after a fork gave %d (%s), not ECHILD\n", i,
			       (int)w, strerror(errno));
			return 1;
		}
	}
	printf("nocldwait: ok: %d forks with SIGCHLD ignored, wait ECHILD\n", CHILDREN);
	return 0;
}

/*
 * The shell's background jobs: `run -b` (and `PROG ... &`-less pipelines
 * started with -b) record the program here; `jobs` lists them, `wait`
 * waits for them, `fg` brings one to the foreground (^C then reaches it),
 * and before each prompt the shell prints one notice per job that ended
 * since ("[pid] done: /PATH (status N)" or "[pid] killed: /PATH").
 * Jobs are named by pid, the same number `ps` and `kill` use.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/procinfo.h>
#include <lib/fmt.h>
#include "console.h"
#include "shell.h"

#define JOBS 16

struct job {
	long pid;		/* 0: free slot */
	char cmd[64];		/* the command line's program and first argument */
};

static struct job jobs[JOBS];

int jobs_add(long pid, char **argv)
{
	for (int i = 0; i < JOBS; i++) {
		if (jobs[i].pid)
			continue;
		jobs[i].pid = pid;
		k_snprintf(jobs[i].cmd, sizeof(jobs[i].cmd), "%s%s%s", argv[0], argv[1] ? " " : "",
			   argv[1] ? argv[1] : "");
		return 0;
	}
	return -1;	/* the table is full: the job runs, untracked */
}

static struct job *find(long pid)
{
	for (int i = 0; i < JOBS; i++)
		if (jobs[i].pid && jobs[i].pid == pid)
			return &jobs[i];
	return NULL;
}

/* The job's state now: K42_PROC_RUNNING, or ended (EXITED with *status,
 * KILLED), without waiting. */
static long state_of(const struct job *j, int *status)
{
	uint64_t st = 0;
	long rc = k42_sc_proc_status((uint64_t)j->pid, &st);

	*status = (int)st;
	return rc;
}

/* Report an ended job and forget it (its exit status is taken). */
static void report(struct job *j, long state, int status)
{
	if (state == K42_PROC_KILLED)
		sh_printf("[%ld] killed: %s\n", j->pid, j->cmd);
	else if (state >= 0)
		sh_printf("[%ld] done: %s (status %d)\n", j->pid, j->cmd, status);
	else
		sh_printf("[%ld] gone: %s (%s)\n", j->pid, j->cmd, k42_strerror(state));
	j->pid = 0;
}

void jobs_notify(void)
{
	for (int i = 0; i < JOBS; i++) {
		int status;
		long state;

		if (!jobs[i].pid)
			continue;
		state = state_of(&jobs[i], &status);
		if (state < 0 || state >= K42_PROC_EXITED)
			report(&jobs[i], state, status);
	}
}

int cmd_jobs(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return shell_fail("jobs", "usage: jobs");
	jobs_notify();
	for (int i = 0; i < JOBS; i++)
		if (jobs[i].pid)
			sh_printf("[%ld] running: %s\n", jobs[i].pid, jobs[i].cmd);
	return 0;
}

/* The pid of a job named by pid or name; -1 after reporting. */
static long job_arg(const char *cmd, const char *s)
{
	long pid = shell_pid_arg(cmd, s);

	if (pid < 0)
		return -1;
	if (!find(pid)) {
		shell_fail(cmd, "%ld is not a background job of this shell (see jobs)", pid);
		return -1;
	}
	return pid;
}

int cmd_wait(int argc, char **argv)
{
	int rc = 0;

	if (argc == 1) {
		for (int i = 0; i < JOBS; i++) {
			int status;

			if (!jobs[i].pid)
				continue;
			report(&jobs[i], k42_wait((uint64_t)jobs[i].pid, &status), status);
		}
		return 0;
	}
	for (int a = 1; a < argc; a++) {
		long pid = job_arg("wait", argv[a]);
		int status;

		if (pid < 0) {
			rc = 1;
			continue;
		}
		report(find(pid), k42_wait((uint64_t)pid, &status), status);
	}
	return rc;
}

int cmd_fg(int argc, char **argv)
{
	struct job *j;
	char cmd[64];
	long pid = -1;
	int rc;

	if (argc > 2)
		return shell_fail("fg", "usage: fg [PID]");
	if (argc == 2)
		pid = job_arg("fg", argv[1]);
	else
		for (int i = 0; i < JOBS; i++)
			if (jobs[i].pid)
				pid = jobs[i].pid;	/* the newest slot in use */
	if (argc == 1 && pid < 0)
		return shell_fail("fg", "no background jobs");
	if (pid < 0)
		return 1;
	j = find(pid);
	memcpy(cmd, j->cmd, sizeof(cmd));
	j->pid = 0;	/* a foreground job now: run's rules report it */
	shell_foreground(pid, 1);
	sh_printf("%s\n", cmd);	/* after: ^C typed once this shows reaches the job */
	rc = shell_finish(cmd, pid);
	shell_foreground(pid, 0);
	return rc;
}

int jobs_forget(long pid)
{
	struct job *j = find(pid);

	if (!j)
		return 0;
	j->pid = 0;
	return 1;
}

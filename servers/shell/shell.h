/*
 * The native shell: the read-eval loop with pipes and redirection
 * (shell.c), its commands (cmds.c for programs and services, fscmds.c
 * for files, proc.c for processes).
 */
#ifndef SHELL_SHELL_H
#define SHELL_SHELL_H

#include <stdint.h>

#define SHELL_ARGS 32

/* A command: 0 on success, or 1 after printing its one-line error with
 * shell_fail. */
typedef int (*shell_cmd_fn)(int argc, char **argv);

struct shell_cmd {
	const char *name;
	const char *usage;
	const char *help;
	shell_cmd_fn fn;
};

/* Print "k42: CMD: reason" and return 1 (a failed command). */
int shell_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* printf to the shell's standard output (fd 1, which redirection moves). */
int sh_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The reason a path operation failed, in a user's words. */
const char *shell_path_error(long rc);
/* A pid argument, or -1 after reporting it. */
long shell_pid_arg(const char *cmd, const char *s);

int cmd_help(int argc, char **argv);
int cmd_echo(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_runas(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_servers(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_sched(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_free(int argc, char **argv);
/* swapcmds.c: hot swap and live update (docs/hot-swap.md). */
int cmd_objs(int argc, char **argv);
int cmd_swap(int argc, char **argv);
int cmd_interpose(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_fcms(int argc, char **argv);
int cmd_fcmswap(int argc, char **argv);
/* fscmds.c: files on any mounted file system (docs/files.md). */
int cmd_cd(int argc, char **argv);
int cmd_pwd(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_mkdir(int argc, char **argv);
int cmd_rmdir(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_mv(int argc, char **argv);
/* cmds.c: start a program with our descriptors 0, 1, 2 (-errno). */
long shell_spawn(char **argv);
long shell_start(char **argv);
int shell_finish(const char *path, long pid);

/* jobs.c: background jobs. */
int jobs_add(long pid, char **argv);	/* 0, or -1 if the table is full */
int jobs_forget(long pid);		/* 1 if pid was a job */
void jobs_notify(void);			/* report the jobs that ended since */
int cmd_jobs(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_fg(int argc, char **argv);
/* shell.c: make pid part of the foreground job (^C reaches it), or clear it. */
void shell_foreground(long pid, int on);

extern const struct shell_cmd shell_cmds[];

#endif

/*
 * The native shell: the read-eval loop (shell.c) and its commands
 * (cmds.c for programs and files, proc.c for processes).
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
/* A pid argument, or -1 after reporting it. */
long shell_pid_arg(const char *cmd, const char *s);

int cmd_help(int argc, char **argv);
int cmd_echo(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_servers(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_sched(int argc, char **argv);
int cmd_kill(int argc, char **argv);

extern const struct shell_cmd shell_cmds[];

#endif

/*
 * The native shell: prints "k42> ", reads a line from the console server,
 * splits it into words ('...' and "..." quote) and runs the command. A
 * failed command prints one line "k42: CMD: reason" and is counted;
 * `poweroff` (or `exit` without a status) ends the shell with status 0 if
 * nothing failed, else prints "k42: N command(s) failed" and ends with 1.
 * init powers the machine off with that status.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/procinfo.h>
#include <lib/fmt.h>
#include "console.h"
#include "shell.h"

static unsigned long failed;

const struct shell_cmd shell_cmds[] = {
	{ "help", "", "list the commands", cmd_help },
	{ "echo", "[WORD...]", "print the words", cmd_echo },
	{ "ps", "", "list processes with their class and user-level scheduler", cmd_ps },
	{ "servers", "", "list the names registered with the name server", cmd_servers },
	{ "run", "[-b] PROG [ARG...]", "run a program and wait (-b: in the background)", cmd_run },
	{ "cat", "FILE...", "print files read through the file server", cmd_cat },
	{ "sched", "PID [POLICY]", "show or change a process's scheduler", cmd_sched },
	{ "kill", "PID", "end a process", cmd_kill },
	{ "exit", "[STATUS]", "end the shell (and the machine)", NULL },
	{ "poweroff", "", "end the shell and power off", NULL },
	{ NULL, NULL, NULL, NULL },
};

int shell_fail(const char *cmd, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n = k_snprintf(buf, sizeof(buf), "k42: %s: ", cmd);

	va_start(ap, fmt);
	k_vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	k42_printf("%s\n", buf);
	return 1;
}

/* A process id, or a name: a server registered with the name server, else
 * the one process of that name (so scripts need not know pids). */
long shell_pid_arg(const char *cmd, const char *s)
{
	static struct k42_procinfo p[256];
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	uint64_t pid = 0;
	long n, found = 0;

	if (*s && !*end) {
		if (v == 0 || v > 0xffffffffu) {
			shell_fail(cmd, "'%s' is not a process id", s);
			return -1;
		}
		return (long)v;
	}
	if (k42_name_server && k42_name_lookup(s, &pid, NULL) == 0 && pid)
		return (long)pid;
	n = k42_sc_proc_list((uint64_t)p, 256);
	for (long i = 0; i < n; i++)
		if (strcmp(p[i].name, s) == 0 && p[i].state == K42_PROC_RUNNING) {
			if (found) {
				shell_fail(cmd, "'%s' names more than one process; give a pid", s);
				return -1;
			}
			found = (long)p[i].pid;
		}
	if (!found)
		shell_fail(cmd, "'%s' is neither a process id nor a process or server name", s);
	return found ? found : -1;
}

int cmd_help(int argc, char **argv)
{
	char names[128];

	(void)argc;
	(void)argv;
	for (const struct shell_cmd *c = shell_cmds; c->name; c++) {
		char lhs[48];

		k_snprintf(lhs, sizeof(lhs), "%s %s", c->name, c->usage);
		k42_printf("  %-30s %s\n", lhs, c->help);
	}
	k42_printf("  POLICY is one of: %s\n", k42_sched_names(names, sizeof(names), ", "));
	return 0;
}

/* Word by word: a line is as long as the console allows (CONSOLE_LINE_MAX),
 * and no buffer here may cut it (one of 1,100 bytes once did, and its
 * running length could pass its end). */
int cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		k42_printf("%s%s", i > 1 ? " " : "", argv[i]);
	k42_puts("\n");
	return 0;
}

/* Split line into words in place; quotes group words. -1 on a bad line. */
static int split(char *line, char **argv)
{
	int argc = 0;
	char *r = line, *w = line;

	for (;;) {
		char quote = 0;

		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r)
			break;
		if (argc == SHELL_ARGS)
			return -1;
		argv[argc++] = w;
		while (*r && (quote || (*r != ' ' && *r != '\t'))) {
			if (!quote && (*r == '"' || *r == '\''))
				quote = *r++;
			else if (quote && *r == quote)
				quote = 0, r++;
			else
				*w++ = *r++;
		}
		if (quote)
			return -2;
		if (*r)
			r++;
		*w++ = 0;
	}
	argv[argc] = NULL;
	return argc;
}

/* Run one line; returns -1 to keep going, else the shell's exit status. */
static int eval(char *line)
{
	char *argv[SHELL_ARGS + 1];
	int argc = split(line, argv);

	if (argc == -1) {
		failed++;
		return shell_fail("shell", "more than %d words", SHELL_ARGS), -1;
	}
	if (argc == -2) {
		failed++;
		return shell_fail("shell", "unterminated quote"), -1;
	}
	if (argc == 0)
		return -1;
	if (strcmp(argv[0], "poweroff") == 0 || (strcmp(argv[0], "exit") == 0 && argc == 1)) {
		if (failed)
			k42_printf("k42: %lu command(s) failed\n", failed);
		return failed ? 1 : 0;
	}
	if (strcmp(argv[0], "exit") == 0) {
		char *end;
		unsigned long st = strtoul(argv[1], &end, 10);

		if (*end || st > 255 || argc > 2) {
			failed++;
			return shell_fail("exit", "'%s' is not a status 0..255", argv[1]), -1;
		}
		return (int)st;
	}
	for (const struct shell_cmd *c = shell_cmds; c->name; c++)
		if (c->fn && strcmp(c->name, argv[0]) == 0) {
			if (c->fn(argc, argv))
				failed++;
			return -1;
		}
	failed++;
	shell_fail(argv[0], "unknown command (try help)");
	return -1;
}

/* The console server: from the name server, or without one the process
 * named "console" (a boot with no name server still gets a shell). */
static uint64_t find_console(void)
{
	static struct k42_procinfo p[64];
	uint64_t pid = 0, handle;
	long n;

	if (k42_name_server) {
		/* Generous: under a loaded host the console may register late. */
		n = k42_name_wait("console", &pid, &handle, 20000);
		if (n < 0)
			k42_printf("shell: looking up the console: %s\n", k42_strerror(n));
		return n == 0 ? pid : 0;
	}
	n = k42_sc_proc_list((uint64_t)p, 64);
	for (long i = 0; i < n; i++)
		if (strcmp(p[i].name, "console") == 0 && p[i].state == K42_PROC_RUNNING)
			return p[i].pid;
	return 0;
}

int main(uint64_t arg)
{
	static char line[CONSOLE_LINE_MAX + 1];
	uint64_t console = find_console();

	(void)arg;
	if (!console) {
		k42_printf("shell: no console server registered; cannot read commands\n");
		return 2;
	}
	k42_printf("k42 shell: type help for the commands\n");
	for (;;) {
		long rc;
		int st;

		k42_puts("k42> ");
		rc = console_read_line(console, line, sizeof(line));
		if (rc == -K42_EINTR)
			continue;
		if (rc < 0) {
			k42_printf("shell: reading the console: %s\n", k42_strerror(rc));
			return 2;
		}
		if ((st = eval(line)) >= 0)
			return st;
	}
}

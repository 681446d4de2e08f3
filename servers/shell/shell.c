/*
 * The native shell: prints "k42> ", reads a line from the console server,
 * splits it into words ('...' and "..." quote) and operators (| < > >>),
 * and runs the pipeline: programs get their descriptors 0 and 1 from
 * pipes and redirections (the file layer passes them at spawn), a
 * built-in runs in the shell with its 0 and 1 moved the same way. A
 * failed command prints one line "k42: CMD: reason" and is counted;
 * `poweroff` (or `exit` without a status) ends the shell with status 0 if
 * nothing failed, else prints "k42: N command(s) failed" and ends with 1.
 * init powers the machine off with that status.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <k42/procinfo.h>
#include <lib/fmt.h>
#include "console.h"
#include "shell.h"

static unsigned long failed;
static uint64_t console;	/* the console server: input and the foreground job */

const struct shell_cmd shell_cmds[] = {
	{ "help", "", "list the commands", cmd_help },
	{ "echo", "[WORD...]", "print the words", cmd_echo },
	{ "ps", "", "list processes with their class and user-level scheduler", cmd_ps },
	{ "servers", "", "list the names registered with the name server", cmd_servers },
	{ "run", "[-b] PROG [ARG...]", "run a program and wait (-b: in the background)", cmd_run },
	{ "runas", "UID[:GID] PROG [ARG...]", "run a program as those user and group ids", cmd_runas },
	{ "cat", "[FILE...]", "print files (or standard input)", cmd_cat },
	{ "cd", "[DIR]", "change the current directory", cmd_cd },
	{ "pwd", "", "print the current directory", cmd_pwd },
	{ "ls", "[PATH...]", "list directories", cmd_ls },
	{ "mkdir", "DIR...", "make directories", cmd_mkdir },
	{ "rmdir", "DIR...", "remove empty directories", cmd_rmdir },
	{ "rm", "FILE...", "remove files", cmd_rm },
	{ "cp", "FROM TO", "copy a file", cmd_cp },
	{ "mv", "FROM TO", "rename a file or directory", cmd_mv },
	{ "sched", "PID [POLICY]", "show or change a process's scheduler", cmd_sched },
	{ "jobs", "", "list the background jobs", cmd_jobs },
	{ "wait", "[PID...]", "wait for background jobs to end", cmd_wait },
	{ "fg", "[PID]", "wait for a background job in the foreground", cmd_fg },
	{ "kill", "PID...", "end processes this shell started", cmd_kill },
	{ "free", "", "show free frames and the kernel's cached frames", cmd_free },
	{ "stop", "SERVER...", "ask init to end servers (restarted as boot.conf says)", cmd_stop },
	{ "objs", "PID", "list a process's swappable objects", cmd_objs },
	{ "swap", "PID OBJECT IMPL", "swap an object's implementation while it runs", cmd_swap },
	{ "interpose", "PID OBJECT NAME|off", "attach or detach an interposer", cmd_interpose },
	{ "update", "PID PROGRAM", "replace a server this shell started by a new binary", cmd_update },
	{ "fcms", "PID", "list a process's regions and their FCMs' paging policies", cmd_fcms },
	{ "fcmswap", "PID VA POLICY", "swap a region's FCM to demand, prefetch or adaptive", cmd_fcmswap },
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
	n += k_vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (k42_write(2, buf, (size_t)n) < 0)
		k42_sc_debug_write((uint64_t)buf, (uint64_t)n);
	return 1;
}

int sh_printf(const char *fmt, ...)
{
	char buf[4200];	/* a whole console line and more: nothing is cut */
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = k_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	return (int)k42_write(1, buf, (size_t)n);
}

const char *shell_path_error(long rc)
{
	/* K42_ENOENT's text is about names in general; for a path say what
	 * a user expects to read. */
	return rc == -K42_ENOENT ? "no such file or directory" : k42_strerror(rc);
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
		sh_printf("  %-30s %s\n", lhs, c->help);
	}
	sh_printf("  POLICY is one of: %s\n", k42_sched_names(names, sizeof(names), ", "));
	return 0;
}

/* A line is as long as the console allows (CONSOLE_LINE_MAX), and no
 * buffer here may cut it (one of 1,100 bytes once did, and its running
 * length could pass its end): words gather in `buf` and go out when the
 * next would not fit, a longer word alone. A short line is one write, so
 * another process's output on another CPU cannot land inside it
 * (shell/console_readers at 4 CPUs once saw "first" and its newline
 * apart). */
static void echo_put(char *buf, size_t *n, size_t cap, const char *s, size_t len)
{
	if (*n + len > cap && *n) {
		k42_write(1, buf, *n);
		*n = 0;
	}
	if (len > cap) {
		k42_write(1, s, len);
		return;
	}
	memcpy(buf + *n, s, len);
	*n += len;
}

int cmd_echo(int argc, char **argv)
{
	char buf[256];
	size_t n = 0;

	for (int i = 1; i < argc; i++) {
		if (i > 1)
			echo_put(buf, &n, sizeof(buf), " ", 1);
		echo_put(buf, &n, sizeof(buf), argv[i], strlen(argv[i]));
	}
	echo_put(buf, &n, sizeof(buf), "\n", 1);
	k42_write(1, buf, n);
	return 0;
}

/* Operators: these exact pointers, so a quoted "|" stays a word. */
static char op_pipe[] = "|", op_in[] = "<", op_out[] = ">", op_append[] = ">>";

static int is_op_char(char c)
{
	return c == '|' || c == '<' || c == '>';
}

/* Split line into words in place; quotes group words; | < > >> are
 * operators (op_*). -1 on too many words, -2 on an open quote. */
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
		if (is_op_char(*r)) {
			argv[argc++] = *r == '|' ? op_pipe : *r == '<' ? op_in :
				       r[1] == '>' ? op_append : op_out;
			r += argv[argc - 1] == op_append ? 2 : 1;
			continue;
		}
		argv[argc++] = w;
		while (*r && (quote || (*r != ' ' && *r != '\t' && !is_op_char(*r)))) {
			if (!quote && (*r == '"' || *r == '\''))
				quote = *r++;
			else if (quote && *r == quote)
				quote = 0, r++;
			else
				*w++ = *r++;
		}
		if (quote)
			return -2;
		if (*r == ' ' || *r == '\t') {
			*w++ = 0;
			r++;
		} else if (is_op_char(*r)) {
			/* The word ends here; keep the operator for the next round,
			 * writing the NUL behind it if they touch. */
			if (w == r) {
				memmove(r + 1, r, strlen(r) + 1);
				r++;
			}
			*w++ = 0;
		} else {
			*w++ = 0;
		}
	}
	argv[argc] = NULL;
	return argc;
}

#define STAGES 8

struct stage {
	char *argv[SHELL_ARGS + 1];
	int argc;
	char *in, *out;		/* redirections */
	int append;
	long pid;		/* a program's, or 0 */
	shell_cmd_fn fn;	/* a built-in's */
};

static shell_cmd_fn builtin(const char *name)
{
	for (const struct shell_cmd *c = shell_cmds; c->name; c++)
		if (c->fn && strcmp(c->name, name) == 0)
			return c->fn;
	return NULL;
}

/* Split tokens at | and take out redirections; -1 after reporting. */
static int parse(char **tok, int n, struct stage *st, int *nst)
{
	int k = 0;

	memset(st, 0, sizeof(*st));
	for (int i = 0; i < n; i++) {
		if (tok[i] == op_pipe) {
			if (!st[k].argc || k + 1 == STAGES)
				return shell_fail("shell", k + 1 == STAGES ? "more than %d commands in a pipeline"
						  : "empty command in a pipeline", STAGES), -1;
			memset(&st[++k], 0, sizeof(st[k]));
		} else if (tok[i] == op_in || tok[i] == op_out || tok[i] == op_append) {
			char *f = i + 1 < n ? tok[i + 1] : NULL;

			if (!f || f == op_pipe || f == op_in || f == op_out || f == op_append)
				return shell_fail("shell", "redirection without a file"), -1;
			if (tok[i] == op_in)
				st[k].in = f;
			else {
				st[k].out = f;
				st[k].append = tok[i] == op_append;
			}
			i++;
		} else {
			st[k].argv[st[k].argc++] = tok[i];
		}
	}
	if (!st[k].argc)
		return shell_fail("shell", "empty command"), -1;
	*nst = k + 1;
	return 0;
}

/* Put fd on `to` (0 or 1) unless it is -1. */
static void move_fd(int fd, int to)
{
	if (fd >= 0 && fd != to)
		k42_dup2(fd, to);
}

/* Run a pipeline; returns 0 or 1 (failed). */
static int run_pipeline(struct stage *st, int n)
{
	int pipes[STAGES][2], rin[STAGES], rout[STAGES], failed_ = 0, builtins = 0;
	int save0 = k42_fcntl(0, K42_F_DUPFD_CLOEXEC, 10), save1 = k42_fcntl(1, K42_F_DUPFD_CLOEXEC, 10);
	int background = 0, fg = 0;

	for (int i = 0; i < n; i++) {
		pipes[i][0] = pipes[i][1] = rin[i] = rout[i] = -1;
		if (!strcmp(st[i].argv[0], "run")) {
			int b = st[i].argc > 1 && !strcmp(st[i].argv[1], "-b");

			if (st[i].argc < 2 + b)
				return shell_fail("run", "usage: run [-b] PROG [ARG...]");
			if (b && n > 1)
				return shell_fail("run", "-b only for a single program");
			background = b;
			memmove(st[i].argv, st[i].argv + 1 + b, (size_t)(st[i].argc - b) * sizeof(char *));
			st[i].argc -= 1 + b;
		}
		if (st[i].argv[0][0] != '/' && !(st[i].fn = builtin(st[i].argv[0])))
			return shell_fail(st[i].argv[0], "unknown command (try help)");
		if (st[i].fn && ++builtins > 1 && n > 1)
			return shell_fail("shell", "at most one built-in command per pipeline");
	}
	/* Open everything first: a bad redirection runs nothing. */
	for (int i = 0; i < n && !failed_; i++) {
		if (st[i].in && (rin[i] = k42_open(st[i].in, K42_O_RDONLY | K42_O_CLOEXEC, 0)) < 0)
			failed_ = shell_fail("shell", "%s: %s", st[i].in, shell_path_error(rin[i]));
		if (!failed_ && st[i].out &&
		    (rout[i] = k42_open(st[i].out, K42_O_WRONLY | K42_O_CREAT | K42_O_CLOEXEC |
					(st[i].append ? K42_O_APPEND : K42_O_TRUNC), 0644)) < 0)
			failed_ = shell_fail("shell", "%s: %s", st[i].out, shell_path_error(rout[i]));
		if (!failed_ && i + 1 < n && k42_pipe2(pipes[i], K42_O_CLOEXEC) < 0)
			failed_ = shell_fail("shell", "cannot make a pipe");
	}
	/* Programs first, left to right; then the built-in, whose readers
	 * and writers are running by then. */
	for (int pass = 0; pass < 2 && !failed_; pass++) {
		for (int i = 0; i < n; i++) {
			int in = rin[i] >= 0 ? rin[i] : i ? pipes[i - 1][0] : -1;
			int out = rout[i] >= 0 ? rout[i] : i + 1 < n ? pipes[i][1] : -1;

			if ((pass == 0) != (st[i].fn == NULL))
				continue;
			move_fd(in, 0);
			move_fd(out, 1);
			if (st[i].fn) {
				if (st[i].fn(st[i].argc, st[i].argv))
					failed_ = 1;
			} else {
				st[i].pid = shell_start(st[i].argv);
				if (st[i].pid < 0) {
					st[i].pid = 0;
					failed_ = 1;
				}
			}
			move_fd(save0, 0);
			move_fd(save1, 1);
		}
		if (pass == 0)
			for (int i = 0; i + 1 < n; i++) {
				/* The shell keeps only the pipe end a built-in uses, so
				 * readers see end of file and writers EPIPE. */
				if (!st[i + 1].fn && pipes[i][0] >= 0) {
					k42_close(pipes[i][0]);
					pipes[i][0] = -1;
				}
				if (!st[i].fn && pipes[i][1] >= 0) {
					k42_close(pipes[i][1]);
					pipes[i][1] = -1;
				}
			}
	}
	for (int i = 0; i < n; i++) {
		if (pipes[i][0] >= 0)
			k42_close(pipes[i][0]);
		if (pipes[i][1] >= 0)
			k42_close(pipes[i][1]);
		if (rin[i] >= 0)
			k42_close(rin[i]);
		if (rout[i] >= 0)
			k42_close(rout[i]);
	}
	k42_close(save0);
	k42_close(save1);
	/* ^C at the console goes to the job we wait for, not to us. */
	for (int i = 0; i < n && !background; i++) {
		if (!st[i].pid)
			continue;
		fg = 1;
		shell_foreground(st[i].pid, 1);
	}
	for (int i = 0; i < n; i++) {
		if (!st[i].pid)
			continue;
		if (background) {
			sh_printf("[%ld] %s\n", st[i].pid, strrchr(st[i].argv[0], '/') + 1);
			if (jobs_add(st[i].pid, st[i].argv) < 0)
				shell_fail("run", "too many background jobs; %ld is not listed by jobs",
					   st[i].pid);
		} else if (shell_finish(st[i].argv[0], st[i].pid)) {
			failed_ = 1;
		}
	}
	if (fg)
		shell_foreground(0, 0);
	return failed_;
}

/* Has our child pid ended already (it may, on another CPU, before we
 * make it the foreground job)? */
static int ended(long pid)
{
	uint64_t status;
	long state = k42_sc_proc_status((uint64_t)pid, &status);

	return state == K42_PROC_EXITED || state == K42_PROC_KILLED;
}

void shell_foreground(long pid, int on)
{
	/* A job that ended already needs no ^C: the console refuses it
	 * (no longer ours to manage), and shell_finish reports its end. */
	if (on && console_set_foreground(console, (uint64_t)pid, true) < 0 && !ended(pid))
		shell_fail("shell", "cannot make pid %ld the foreground job", pid);
	if (!on && console_set_foreground(console, 0, false) < 0)
		shell_fail("shell", "cannot clear the foreground job");
}

/* Run one line; returns -1 to keep going, else the shell's exit status. */
static int eval(char *line)
{
	static struct stage st[STAGES];
	char *argv[SHELL_ARGS + 1];
	int argc = split(line, argv), n;

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
	argv[argc] = NULL;
	if (strcmp(argv[0], "poweroff") == 0 || (strcmp(argv[0], "exit") == 0 && argc == 1)) {
		if (failed)
			k42_printf("k42: %lu command(s) failed\n", failed);
		return failed ? 1 : 0;
	}
	if (strcmp(argv[0], "exit") == 0) {
		char *end;
		unsigned long code = strtoul(argv[1], &end, 10);

		if (*end || code > 255 || argc > 2) {
			failed++;
			return shell_fail("exit", "'%s' is not a status 0..255", argv[1]), -1;
		}
		return (int)code;
	}
	if (parse(argv, argc, st, &n) < 0 || run_pipeline(st, n))
		failed++;
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

	console = find_console();
	(void)arg;
	if (!console) {
		k42_printf("shell: no console server registered; cannot read commands\n");
		return 2;
	}
	k42_printf("k42 shell: type help for the commands\n");
	for (;;) {
		long rc;
		int st;

		jobs_notify();
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

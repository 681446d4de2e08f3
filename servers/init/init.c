/*
 * init: the first process. It reads the boot configuration from the boot
 * archive (docs/boot-config.md), starts the servers in dependency order
 * (the name server first, its pid handed to all), starts the shell last,
 * and watches them all: a server that ends is reported and started again
 * if its entry says so; when the shell ends, init ends with the shell's
 * status, which powers the machine off. It answers idl/initctl.idl for the
 * shell it started: `stop NAME` ends a server, which is then restarted as
 * its entry says.
 */
#include <string.h>
#include <k42/k42.h>
#include <lib/fmt.h>
#include "init.h"
#include "fs.h"
#include "initctl.h"

#define BOOT_CONF	"etc/boot.conf"
#define RESTARTS_MAX	5
#define SERVING_MS	20000	/* how long a needed server may take to register */

static struct bootconf conf;
static uint64_t names_pid;

struct watched {
	struct bc_entry *e;
	long pid;
	int restarts;
};
static struct watched watched[BC_ENTRIES];
static long shell_pid;	/* the one caller initctl answers; 0 before it runs */

static void report(void *ctx, const char *line)
{
	(void)ctx;
	k42_printf("%s\n", line);
}

static int in_archive(const char *path)
{
	const void *data;
	uint64_t size;

	return path[0] == '/' && k42_initrd_find(path + 1, &data, &size) == 0;
}

static const char *how_ended(int state, int status, char *buf, size_t n)
{
	if (state == K42_PROC_KILLED)
		return "killed";
	if (state < 0)
		return k42_strerror(state);
	k_snprintf(buf, n, "exit status %d", status);
	return buf;
}

static int wants_restart(const struct bc_entry *e, int state, int status)
{
	if (e->restart == BC_RESTART_ALWAYS)
		return 1;
	return e->restart == BC_RESTART_CRASH && (state == K42_PROC_KILLED || status != 0);
}

/* One thread per server: wait for it to end, report, maybe restart. */
static void *watch(void *arg)
{
	struct watched *w = arg;
	char buf[32];

	for (;;) {
		int status = 0, state = k42_wait((uint64_t)w->pid, &status);

		k42_printf("init: server %s (pid %ld) ended: %s\n", w->e->name, w->pid,
			   how_ended(state, status, buf, sizeof(buf)));
		if (!wants_restart(w->e, state, status))
			return NULL;
		if (++w->restarts > RESTARTS_MAX) {
			k42_printf("init: %s ended %d times; not restarting it\n", w->e->name,
				   RESTARTS_MAX + 1);
			return NULL;
		}
		k42_thread_sleep_us(10000);	/* a crash loop must not starve the rest */
		__atomic_store_n(&w->pid, start_server(w->e, names_pid), __ATOMIC_RELEASE);
		if (w->pid < 0) {
			k42_printf("init: cannot restart %s: %s\n", w->e->name, k42_strerror(w->pid));
			return NULL;
		}
		if (w->e->role == BC_ROLE_NAMES)
			k42_printf("init: the name server restarted as pid %ld; running servers "
				   "still know the old pid\n", w->pid);
		k42_printf("init: restarted %s (pid %ld)\n", w->e->name, w->pid);
	}
}

/* initctl.stop: end a running server for the shell (the kernel lets
 * init end its descendants; nobody else may). Its watcher sees the end
 * and restarts it as for a crash. Runs on the upcall stack. */
long initctl_stop_impl(const struct k42_ipc_caller *caller, const char *name, uint64_t *pid)
{
	if (!shell_pid || caller->pid != (uint64_t)__atomic_load_n(&shell_pid, __ATOMIC_ACQUIRE))
		return -K42_EPERM;
	for (int k = 0; k < BC_ENTRIES; k++) {
		struct watched *w = &watched[k];
		long p, rc;

		if (!w->e || strcmp(w->e->name, name) != 0)
			continue;
		p = __atomic_load_n(&w->pid, __ATOMIC_ACQUIRE);
		if (p <= 0)
			return -K42_ENOENT;
		rc = k42_sc_proc_kill((uint64_t)p);
		if (rc < 0)
			return rc == -K42_ESRCH ? -K42_ENOENT : rc;
		*pid = (uint64_t)p;
		return 0;
	}
	return -K42_ENOENT;	/* no such server, or the shell itself */
}

static void control(uint64_t pid, struct k42_ipc_msg *m)
{
	struct k42_ipc_caller who = { pid, 0, 0 };

	initctl_dispatch(&who, m);
}

/* The configuration to read: "bootconf=PATH" among init's arguments
 * (what followed "--" in the boot arguments), else /etc/boot.conf. */
static const char *conf_path(void)
{
	for (int i = 1; i < k42_argc; i++)
		if (strncmp(k42_argv[i], "bootconf=/", 10) == 0)
			return k42_argv[i] + 10;
	return BOOT_CONF;
}

/* Before the power goes: every mounted file system writes itself out
 * and marks its disk clean (fs.sync; docs/storage.md). Bounded, so a
 * hung server cannot hold the machine up. */
static void sync_mounts(void)
{
	uint32_t cursor = 0;
	char name[128];
	uint64_t pid;

	while (k42_name_list(&cursor, name, sizeof(name), &pid) == 0) {
		uint64_t old;
		long rc;

		if (strncmp(name, "mnt", 3) != 0 || (name[3] && name[3] != '/'))
			continue;
		old = k42_ipc_set_timeout_us(5000000);
		rc = fs_sync(pid);
		k42_ipc_set_timeout_us(old);
		if (rc < 0)
			k42_printf("init: %s did not sync: %s\n", name, k42_strerror(rc));
	}
}

/* Entries with when=WORD start only if WORD is among init's arguments
 * (./k42 run --disk passes "disk"); the others leave quietly, and so do
 * the needs= of them: who needs a when= entry (the Linux shell, the
 * disk) waits for it only when it starts. */
static void drop_unwanted(void)
{
	static char gone[BC_ENTRIES][BC_NAME_MAX + 1];
	int k = 0, ngone = 0;

	for (int i = 0; i < conf.n; i++) {
		int want = !conf.e[i].when[0];

		for (int a = 1; a < k42_argc && !want; a++)
			want = strcmp(k42_argv[a], conf.e[i].when) == 0;
		if (want)
			conf.e[k++] = conf.e[i];
		else
			memcpy(gone[ngone++], conf.e[i].name, sizeof(gone[0]));
	}
	conf.n = k;
	for (int i = 0; i < conf.n; i++) {
		struct bc_entry *e = &conf.e[i];
		int m = 0;

		for (int j = 0; j < e->nneeds; j++) {
			int left_out = 0;

			for (int g = 0; g < ngone && !left_out; g++)
				left_out = strcmp(e->needs[j], gone[g]) == 0;
			if (!left_out)
				memcpy(e->needs[m++], e->needs[j], sizeof(e->needs[0]));
		}
		e->nneeds = m;
	}
}

/* Has process pid registered a name? (A server registers once it
 * serves, so then its clients find it: a mount point, "console"...) */
static int registered(uint64_t pid)
{
	uint32_t cursor = 0;
	char name[128];
	uint64_t who;

	while (k42_name_list(&cursor, name, sizeof(name), &who) == 0)
		if (who == pid)
			return 1;
	return 0;
}

/*
 * needs=A means A serves before the entry starts, not only that A was
 * started: without the wait, the shell raced tmpfs's registration of
 * /tmp at several CPUs (its first `echo > /tmp/h` went to the boot
 * archive). Waits by the clock; a needed server that ends or does not
 * register in time is reported and the entry starts anyway.
 */
static void wait_serving(const struct bc_entry *e, const long started[])
{
	uint64_t hz = k42_info(K42_INFO_TIMEBASE_HZ);

	for (int k = 0; k < e->nneeds; k++) {
		int d = bootconf_find(&conf, e->needs[k]);
		uint64_t deadline = k42_timebase() + SERVING_MS * (hz / 1000), out[1];
		long pid = d >= 0 ? started[d] : -1;

		if (pid <= 0 || (uint64_t)pid == names_pid)
			continue;	/* not started (reported), or waited for at its start */
		while (!registered((uint64_t)pid)) {
			long st = k42_sc_proc_status((uint64_t)pid, out);

			if (st < 0 || st >= K42_PROC_EXITED) {
				k42_printf("init: %s: %s (pid %ld) ended before it served\n", e->name,
					   e->needs[k], pid);
				break;
			}
			if ((int64_t)(k42_timebase() - deadline) >= 0) {
				k42_printf("init: %s: %s (pid %ld) registered no name in %d ms; "
					   "starting %s anyway\n", e->name, e->needs[k], pid, SERVING_MS,
					   e->name);
				break;
			}
			k42_thread_sleep_us(1000);
		}
	}
}

/* The one line saying which servers were started, and how long it took. */
static void report_started(const char *line, int len, uint64_t t0)
{
	k42_printf("init: started %s in %lu us\n", len ? line : "no servers",
		   (k42_timebase() - t0) / (k42_info(K42_INFO_TIMEBASE_HZ) / 1000000));
}

static long start_all(const int order[], int n)
{
	long started[BC_ENTRIES] = { 0 };
	char line[512];
	int len = 0;
	long shell = -K42_ENOENT;
	uint64_t t0 = k42_timebase();
	int reported = 0;

	for (int k = 0; k < n; k++) {
		struct bc_entry *e = &conf.e[order[k]];
		long pid;

		wait_serving(e, started);
		/* With several CPUs the shell prints at once on another one:
		 * say what was started before it can. */
		if (e->role == BC_ROLE_SHELL && !reported) {
			report_started(line, len, t0);
			reported = 1;
		}
		pid = start_server(e, names_pid);
		started[order[k]] = pid;

		if (pid < 0) {
			k42_printf("init: %s:%d: %s: cannot start %s: %s\n", conf.file, e->line, e->name,
				   e->path, k42_strerror(pid));
			continue;
		}
		if (e->role == BC_ROLE_NAMES) {
			long rc;

			names_pid = (uint64_t)pid;
			/* Servers started next register with it at once: wait until it
			 * serves (it answers to its own name), or they find it deaf. */
			k42_name_server = names_pid;
			if ((rc = k42_name_wait("name", NULL, NULL, 20000)) < 0)
				k42_printf("init: the name server (pid %ld) does not answer: %s\n", pid,
					   k42_strerror(rc));
			else if ((rc = k42_name_register("init", 0)) < 0)
				k42_printf("init: cannot register: %s\n", k42_strerror(rc));
		}
		if (e->role == BC_ROLE_SHELL) {
			shell = pid;
			__atomic_store_n(&shell_pid, pid, __ATOMIC_RELEASE);
			break;
		}
		watched[k] = (struct watched){ e, pid, 0 };
		k42_thread_detach(k42_thread_create(watch, &watched[k]));
		len += k_snprintf(line + len, sizeof(line) - (size_t)len, "%s%s (%ld)",
				  len ? ", " : "", e->name, pid);
		if (len >= (int)sizeof(line))
			len = (int)sizeof(line) - 1;
	}
	if (!reported)
		report_started(line, len, t0);
	return shell;
}

int main(uint64_t arg)
{
	const char *path = conf_path();
	const void *text;
	uint64_t size;
	int order[BC_ENTRIES], n, status = 0, state;
	long shell;
	char buf[32];

	(void)arg;
	if (k42_initrd_find("etc/motd", &text, &size) == 0)
		k42_sc_debug_write((uint64_t)text, size);
	/* tools/bench.py times the boot to this line. */
	k42_printf("init: pid %lu, %lu processes, %lu MiB free; reading /%s\n",
		   k42_info(K42_INFO_PID), k42_info(K42_INFO_PROCESSES),
		   k42_info(K42_INFO_FREE_FRAMES) >> 8, path);
	conf.file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	conf.report = report;
	if (k42_initrd_find(path, &text, &size) < 0) {
		k42_printf("init: /%s is not in the boot archive; nothing to start, powering off\n",
			   path);
		return 1;
	}
	k42_serve(control);
	bootconf_parse(&conf, text, size);
	drop_unwanted();
	n = bootconf_order(&conf, in_archive, order);
	shell = start_all(order, n);
	if (shell < 0) {
		k42_printf("init: no shell could be started (%s); powering off\n",
			   conf.errors ? "see the messages above" : "none configured");
		return 1;
	}
	k42_printf("init: shell (pid %ld) started %lu ms after power-on%s\n", shell,
		   k42_timebase() / (k42_info(K42_INFO_TIMEBASE_HZ) / 1000),
		   conf.errors ? "; the boot configuration had errors" : "");
	state = k42_wait((uint64_t)shell, &status);
	/* Said first: what the file systems say as they sync is not the
	 * shell's (./k42 run --linux -c prints the text up to this line). */
	k42_printf("init: shell ended: %s; powering off\n", how_ended(state, status, buf, sizeof(buf)));
	sync_mounts();
	return state == K42_PROC_EXITED ? status : 1;
}

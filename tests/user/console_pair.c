/*
 * Console readers beside the shell: starts two children that each read
 * one line from the console server, and returns once both calls are held
 * there (the kernel's count of outstanding calls shows it), so the shell
 * then waits at its prompt as a third reader. Each child prints what it
 * read. No reader may be refused (busy). With the argument "reader" it is
 * one of the children. Held means the child waits in a call to the
 * console (proc_describe's in_call), not a rise of the kernel's count of
 * calls: at several CPUs the shell's own calls to the console come and
 * go meanwhile.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/services.h>
#include <k42/procinfo.h>
#include <k42/syscalls.h>
#include "console.h"

static int reader(void)
{
	uint64_t con;
	char line[128];
	long rc = k42_name_lookup("console", &con, NULL);

	if (rc == 0)
		rc = console_read_line(con, line, sizeof(line));
	if (rc < 0) {
		k42_printf("console_pair: reader %lu: %s\n", k42_info(K42_INFO_PID), k42_strerror(rc));
		return 1;
	}
	k42_printf("console_pair: reader %d read '%s'\n", k42_argc > 2 ? k42_argv[2][0] - '0' : 0,
		   line);
	return 0;
}

static long spawn(const char *const *argv)
{
	if (k42_initrd_bytes())
		return k42_spawn_argv("tests/console_pair", argv, K42_PRIO_GENERAL, k42_name_server);
	return k42_spawn_file("/tests/console_pair", argv, K42_PRIO_GENERAL);
}

/* Wait (by the clock: 20 s) until child pid waits in a call to the console. */
static int held(long pid, uint64_t con)
{
	uint64_t deadline = k42_timebase() + 20000 * (k42_info(K42_INFO_TIMEBASE_HZ) / 1000);
	struct k42_procinfo info;

	while (pid > 0 && k42_sc_proc_describe((uint64_t)pid, (uint64_t)&info) == 0) {
		if (info.in_call == con)
			return 1;
		if ((int64_t)(k42_timebase() - deadline) >= 0)
			break;
		k42_thread_sleep_us(1000);
	}
	return 0;
}

int main(uint64_t arg)
{
	static const char *const a1[] = { "console_pair", "reader", "1", NULL };
	static const char *const a2[] = { "console_pair", "reader", "2", NULL };
	uint64_t con = 0;
	long p1, p2;
	int ok;

	(void)arg;
	if (k42_argc > 1 && strcmp(k42_argv[1], "reader") == 0)
		return reader();
	if (k42_name_lookup("console", &con, NULL) < 0) {
		k42_printf("console_pair: no console\n");
		return 1;
	}
	/* One at a time, each held in the console before the next starts. */
	p1 = spawn(a1);
	ok = held(p1, con);
	p2 = ok ? spawn(a2) : -1;
	if (!ok || !held(p2, con)) {
		k42_printf("console_pair: readers not waiting: %ld %ld\n", p1, p2);
		return 1;
	}
	k42_printf("console_pair: 2 readers wait in the console\n");
	return 0;
}

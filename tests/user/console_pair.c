/*
 * Console readers beside the shell: starts two children that each read
 * one line from the console server, and returns once both calls are held
 * there (the kernel's count of outstanding calls shows it), so the shell
 * then waits at its prompt as a third reader. Each child prints what it
 * read. No reader may be refused (busy). With the argument "reader" it is
 * one of the children.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/services.h>
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

int main(uint64_t arg)
{
	static const char *const a1[] = { "console_pair", "reader", "1", NULL };
	static const char *const a2[] = { "console_pair", "reader", "2", NULL };
	uint64_t base = k42_info(K42_INFO_IPC_CALLS);
	long p1, p2;

	(void)arg;
	if (k42_argc > 1 && strcmp(k42_argv[1], "reader") == 0)
		return reader();
	/* One at a time, each held in the console before the next starts. */
	p1 = spawn(a1);
	for (int i = 0; i < 5000 && p1 > 0 && k42_info(K42_INFO_IPC_CALLS) < base + 1; i++)
		k42_thread_sleep_us(1000);
	p2 = spawn(a2);
	for (int i = 0; i < 5000 && p2 > 0 && k42_info(K42_INFO_IPC_CALLS) < base + 2; i++)
		k42_thread_sleep_us(1000);
	if (p1 < 0 || p2 < 0 || k42_info(K42_INFO_IPC_CALLS) < base + 2) {
		k42_printf("console_pair: readers not waiting: %ld %ld\n", p1, p2);
		return 1;
	}
	k42_printf("console_pair: 2 readers wait in the console\n");
	return 0;
}

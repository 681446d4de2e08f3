/*
 * The startup block (libk42/include/k42/startup.h): a child started with
 * k42_spawn_argv sees its argc as main's argument and k42_argc, k42_argv
 * and k42_name_server as the parent gave them; a child started the old way
 * (k42_spawn_path with a plain argument) still gets that argument.
 */
#include <string.h>
#include "check.h"

static int run(long pid)
{
	int status = -1;

	if (pid < 0)
		return (int)pid;
	if (k42_wait((uint64_t)pid, &status) != K42_PROC_EXITED)
		return -1000;
	return status;
}

int main(uint64_t arg)
{
	const char *argv[] = { "args_child", "one", "", "three words", NULL };
	static char big[K42_STARTUP_MAX];
	const char *too_big[] = { "args_child", big, NULL };
	const void *elf;
	uint64_t len;
	long rc;

	(void)arg;
	EXPECT(k42_argc == 0 && k42_argv && k42_argv[0] == NULL, "init has no startup block\n");
	rc = run(k42_spawn_argv("tests/args_child", argv, K42_PRIO_GENERAL, 4242));
	EXPECT(rc == 0, "args_child saw its arguments: status %ld\n", rc);

	/* The same, from an image in memory. */
	EXPECT(k42_initrd_find("tests/args_child", &elf, &len) == 0, "args_child in the archive\n");
	rc = run(k42_spawn_image_argv(elf, len, "args_child", argv, K42_PRIO_GENERAL, 4242));
	EXPECT(rc == 0, "from an image: status %ld\n", rc);

	/* A wrong name server is noticed by the child (check 4). */
	rc = run(k42_spawn_argv("tests/args_child", argv, K42_PRIO_GENERAL, 7));
	EXPECT(rc == 4, "a different name server pid: status %ld\n", rc);

	/* The old way: a plain argument, no block. */
	rc = run(k42_spawn_path("tests/args_child", K42_PRIO_GENERAL, 99));
	EXPECT(rc == 2, "plain argument: status %ld\n", rc);

	/* Arguments larger than the block may hold are refused up front. */
	memset(big, 'x', sizeof(big) - 1);
	rc = k42_spawn_argv("tests/args_child", too_big, K42_PRIO_GENERAL, 0);
	EXPECT(rc == -K42_E2BIG, "oversized arguments: %ld\n", rc);
	return verdict("startup_test");
}

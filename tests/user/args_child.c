/*
 * Helper for startup_test and files_test: checks the startup block it was
 * started with. Expects argv = { "args_child", "one", "", "three words" }
 * and the name server pid 4242, and exits 0 when all is as expected, or
 * the number of the first check that failed.
 */
#include <string.h>
#include <k42/k42.h>

int main(uint64_t arg)
{
	static const char *const want[] = { "args_child", "one", "", "three words" };

	if (arg != 4 || k42_argc != 4)
		return 2;
	for (int i = 0; i < 4; i++)
		if (!k42_argv[i] || strcmp(k42_argv[i], want[i]) != 0)
			return 10 + i;
	if (k42_argv[4] != NULL)
		return 3;
	if (k42_name_server != 4242)
		return 4;
	if (k42_initrd_bytes() != 0)
		return 5;	/* nobody shared an archive with us */
	return 0;
}

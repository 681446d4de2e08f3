/*
 * The far end of kbench's pipe round trip: reads a byte from fd 0 and
 * writes it back on fd 1 until end of file (the pipes come from kbench
 * through descriptor inheritance, docs/files.md).
 */
#include <k42/k42.h>
#include <k42/fs.h>

int main(uint64_t arg)
{
	char c;
	long n;

	(void)arg;
	while ((n = k42_read(0, &c, 1)) == 1)
		if (k42_write(1, &c, 1) != 1)
			return 1;
	return n == 0 ? 0 : 2;
}

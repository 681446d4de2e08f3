/*
 * upcase: copy standard input to standard output in upper case. A native
 * filter for the shell's pipes (docs/files.md).
 */
#include <k42/k42.h>
#include <k42/fs.h>

int main(uint64_t arg)
{
	static char buf[4096];
	long n;

	(void)arg;
	while ((n = k42_read(0, buf, sizeof(buf))) > 0) {
		for (long i = 0; i < n; i++)
			if (buf[i] >= 'a' && buf[i] <= 'z')
				buf[i] = (char)(buf[i] - 'a' + 'A');
		if (k42_write(1, buf, (size_t)n) != n)
			return 1;
	}
	return n < 0 ? 1 : 0;
}

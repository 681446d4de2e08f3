/*
 * count: count lines, words and bytes of the files named (or of standard
 * input) and print "LINES WORDS BYTES" to standard output. A native
 * filter for the shell's pipes (docs/files.md).
 */
#include <k42/k42.h>
#include <k42/fs.h>
#include <lib/fmt.h>

static uint64_t lines, words, bytes;
static int in_word;

static long count(int fd)
{
	static char buf[4096];
	long n;

	while ((n = k42_read(fd, buf, sizeof(buf))) > 0) {
		bytes += (uint64_t)n;
		for (long i = 0; i < n; i++) {
			int space = buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t';

			lines += buf[i] == '\n';
			words += !space && !in_word;
			in_word = !space;
		}
	}
	return n;
}

int main(uint64_t arg)
{
	char out[80];
	long rc = 0;
	int n;

	(void)arg;
	if (k42_argc < 2)
		rc = count(0);
	for (int i = 1; i < k42_argc && rc >= 0; i++) {
		int fd = k42_open(k42_argv[i], K42_O_RDONLY, 0);

		rc = fd < 0 ? fd : count(fd);
		k42_close(fd);
	}
	if (rc < 0) {
		n = k_snprintf(out, sizeof(out), "count: %s\n", k42_strerror(rc));
		k42_write(2, out, (size_t)n);
		return 1;
	}
	n = k_snprintf(out, sizeof(out), "%lu %lu %lu\n", lines, words, bytes);
	return k42_write(1, out, (size_t)n) == n ? 0 : 1;
}

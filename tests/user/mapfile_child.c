/*
 * Helper of mapfile_test: the "shared" side. It reads one-line commands
 * on fd 0 and answers on fd 1, using /tmp files through the server only
 * (it is always the second opener, so it never maps):
 *   o PATH          open PATH read-write          -> "ok" | "err N"
 *   r               send the whole file: 8-byte length, then the bytes
 *   w OFF LEN SEED  pwrite the pattern, then fsync -> "ok" | "err N"
 *   c               close                          -> "ok"
 *   q               exit 0
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <lib/fmt.h>
#include "mapfile.h"

static int readline(char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		long rc = k42_read(0, buf + n, 1);

		if (rc <= 0)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return (int)n;
}

static int put_all(const void *b, uint64_t len)
{
	const uint8_t *p = b;

	while (len) {
		long n = k42_write(1, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (uint64_t)n;
	}
	return 0;
}

static void answer(long rc)
{
	char out[32];
	int n = rc < 0 ? k_snprintf(out, sizeof(out), "err %ld\n", -rc) : k_snprintf(out, sizeof(out), "ok\n");

	(void)put_all(out, (uint64_t)n);
}

static uint8_t buf[MAPFILE_MAX];

int main(uint64_t arg)
{
	char line[160];
	int fd = -1;

	(void)arg;
	while (readline(line, sizeof(line)) >= 0) {
		char *s = line + 2;

		if (line[0] == 'q')
			return 0;
		if (line[0] == 'o') {
			fd = k42_open(s, K42_O_RDWR, 0);
			answer(fd < 0 ? fd : 0);
		} else if (line[0] == 'c') {
			answer(k42_close(fd));
			fd = -1;
		} else if (line[0] == 'r') {
			uint64_t len = 0;
			long n;

			while (len < sizeof(buf) &&
			       (n = k42_pread(fd, buf + len, sizeof(buf) - len > 4096 ? 4096 : sizeof(buf) - len,
					      (int64_t)len)) > 0)
				len += (uint64_t)n;
			if (put_all(&len, 8) < 0 || put_all(buf, len) < 0)
				return 2;
		} else if (line[0] == 'w') {
			uint64_t off = strtoul(s, &s, 0), len = strtoul(s, &s, 0), seed = strtoul(s, &s, 0);
			long n;

			if (len > sizeof(buf))
				return 3;
			mapfile_pattern(buf, off, len, seed);
			n = k42_pwrite(fd, buf, len, (int64_t)off);
			answer(n < 0 ? n : n != (long)len ? -K42_EIO : k42_fsync(fd));
		} else {
			return 4;
		}
	}
	return 0;
}

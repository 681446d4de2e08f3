/*
 * mremap on the Linux personality (a static musl program): a private
 * anonymous mapping shrunk in place and grown (moved: MREMAP_MAYMOVE)
 * with its bytes kept and the old place gone (a read there faults:
 * checked through write() giving EFAULT), a read-only one keeping its
 * rights when moved, EINVAL and ENOMEM/EFAULT where Linux gives them,
 * and glibc-style large realloc through mremap. One verdict line:
 * "mremap: ok".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int bad;

#define CHECK(cond, ...) do { if (!(cond)) { printf("mremap: FAILED: " __VA_ARGS__); printf(" (errno %d)\n", errno); bad++; } } while (0)

#define PG 4096ul

int main(void)
{
	unsigned char *a, *b, *c, *r;
	size_t i;

	a = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(a != MAP_FAILED, "mmap");
	for (i = 0; i < 8 * PG; i++)
		a[i] = (unsigned char)(i * 13);
	/* Shrink: same place, the tail gone. */
	b = mremap(a, 8 * PG, 4 * PG, 0);
	CHECK(b == a, "shrink in place");
	errno = 0;
	CHECK(write(1, a + 5 * PG, 1) == -1 && errno == EFAULT, "the shrunk tail is unmapped");
	/* Growing moves: without MAYMOVE, ENOMEM (as Linux when there is no
	 * room in place); with it, a new place. */
	errno = 0;
	CHECK(mremap(a, 4 * PG, 6 * PG, 0) == MAP_FAILED && errno == ENOMEM, "grow without MAYMOVE: ENOMEM");
	b = mremap(a, 4 * PG, 6 * PG, MREMAP_MAYMOVE);
	CHECK(b != MAP_FAILED && b != a, "grown (moved)");
	if (b != MAP_FAILED) {
		CHECK(b[4 * PG] == 0 && b[6 * PG - 1] == 0, "the grown part reads zero");
		b[6 * PG - 1] = 7;
		a = b;
	}
	c = mmap(a + 6 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(c == a + 6 * PG, "a mapping right after");
	b = mremap(a, 6 * PG, 40 * PG, MREMAP_MAYMOVE);
	CHECK(b != MAP_FAILED && b != a, "moved");
	if (b != MAP_FAILED) {
		for (i = 0; i < 4 * PG; i++)
			if (b[i] != (unsigned char)(i * 13)) {
				CHECK(0, "moved byte %zu is %u", i, b[i]);
				break;
			}
		CHECK(b[6 * PG - 1] == 7 && b[40 * PG - 1] == 0, "moved tail and new part");
		b[40 * PG - 1] = 9;
		errno = 0;
		CHECK(write(1, a, 1) == -1 && errno == EFAULT, "the old place is unmapped");
		CHECK(munmap(b, 40 * PG) == 0, "munmap the moved mapping");
	}
	munmap(c, PG);

	/* A read-only mapping keeps its rights when it moves. */
	r = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(r, 'r', 2 * PG);
	CHECK(mprotect(r, 2 * PG, PROT_READ) == 0, "mprotect read-only");
	c = mmap(r + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	b = mremap(r, 2 * PG, 3 * PG, MREMAP_MAYMOVE);
	CHECK(b != MAP_FAILED && b != r && b[0] == 'r' && b[2 * PG - 1] == 'r', "read-only moved");
	{
		int p[2];

		/* A read into it must fail: it is still read-only. */
		errno = 0;
		CHECK(pipe(p) == 0 && write(p[1], "w", 1) == 1 && read(p[0], b, 1) == -1 && errno == EFAULT,
		      "the moved mapping is still read-only");
		close(p[0]);
		close(p[1]);
	}
	munmap(b, 3 * PG);
	munmap(c, PG);

	/* Errors. */
	errno = 0;
	CHECK(mremap((void *)0x10001, PG, 2 * PG, MREMAP_MAYMOVE) == MAP_FAILED && errno == EINVAL,
	      "unaligned: EINVAL");
	errno = 0;
	CHECK(mremap(a, PG, 2 * PG, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT, "unmapped: EFAULT");
	errno = 0;
	CHECK(mremap(r, PG, 0, MREMAP_MAYMOVE) == MAP_FAILED && errno == EINVAL, "new length 0: EINVAL");

	/* What glibc's realloc does with big blocks; musl's realloc too. */
	{
		size_t n = 1 << 20;
		unsigned char *p = malloc(n);

		for (i = 0; i < n; i++)
			p[i] = (unsigned char)(i >> 3);
		for (int k = 0; k < 5; k++) {
			n *= 2;
			p = realloc(p, n);
			CHECK(p != NULL, "realloc to %zu", n);
			if (!p)
				break;
		}
		for (i = 0; p && i < (1u << 20); i++)
			if (p[i] != (unsigned char)(i >> 3)) {
				CHECK(0, "realloc byte %zu", i);
				break;
			}
		free(p);
	}
	if (bad) {
		printf("mremap: FAILED (%d checks)\n", bad);
		return 1;
	}
	printf("mremap: ok: shrink, grow by moving with its bytes and rights, errors, realloc\n");
	return 0;
}

/*
 * munmap and mprotect of part of a mapping on the Linux personality (a
 * static musl program). The unmapped page must be gone (a system call
 * given it says EFAULT, and MAP_FIXED_NOREPLACE can map it again, zeroed)
 * while its neighbours keep their bytes; mprotect of one page of a
 * mapping must succeed, and of an unmapped range give ENOMEM; 4,000
 * separate mappings can be made (there was room for 256). One verdict
 * line: "mman: ok".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static int bad;

#define CHECK(cond, ...) do { if (!(cond)) { printf("mman: " __VA_ARGS__); printf("\n"); bad++; } } while (0)

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	int fds[2];
	unsigned char *p = mmap(NULL, 6 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *q;

	if (p == MAP_FAILED || pipe(fds) < 0) {
		printf("mman: FAILED: mmap or pipe\n");
		return 1;
	}
	for (int i = 0; i < 6; i++)
		memset(p + i * pg, 'a' + i, pg);
	/* A hole in the middle. */
	CHECK(munmap(p + 2 * pg, pg) == 0, "munmap of one page: %s", strerror(errno));
	CHECK(write(fds[1], p + 2 * pg, 1) == -1 && errno == EFAULT, "the hole is still mapped");
	for (int i = 0; i < 6; i++)
		if (i != 2)
			CHECK(p[i * pg] == 'a' + i && p[i * pg + pg - 1] == 'a' + i, "page %d lost its bytes", i);
	/* The hole maps again, zero-filled. */
	q = mmap(p + 2 * pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(q == p + 2 * pg, "MAP_FIXED_NOREPLACE into the hole gave %p", (void *)q);
	if (q == p + 2 * pg)
		CHECK(q[0] == 0 && q[pg - 1] == 0, "the new page is not zero");
	/* The first and last pages go; the rest stays. */
	CHECK(munmap(p, pg) == 0 && munmap(p + 5 * pg, pg) == 0, "munmap of the ends");
	CHECK(write(fds[1], p, 1) == -1 && errno == EFAULT, "the first page is still mapped");
	CHECK(write(fds[1], p + 5 * pg, 1) == -1 && errno == EFAULT, "the last page is still mapped");
	CHECK(p[pg] == 'b' && p[4 * pg] == 'e', "pages 1 and 4 lost their bytes");
	/* mprotect of one page of a mapping; of a hole: ENOMEM. */
	CHECK(mprotect(p + 3 * pg, pg, PROT_READ) == 0, "mprotect of one page: %s", strerror(errno));
	CHECK(p[3 * pg] == 'd', "the read-only page lost its bytes");
	p[4 * pg] = 'E';
	CHECK(p[4 * pg] == 'E', "the page after the read-only one is not writable");
	CHECK(mprotect(p + 3 * pg, pg, PROT_READ | PROT_WRITE) == 0, "mprotect back");
	p[3 * pg] = 'D';
	CHECK(p[3 * pg] == 'D', "the page is not writable again");
	CHECK(mprotect(p, pg, PROT_READ) == -1 && errno == ENOMEM, "mprotect of a hole did not give ENOMEM");
	CHECK(munmap(p + pg, 4 * pg) == 0, "munmap of the rest");
	CHECK(write(fds[1], p + 3 * pg, 1) == -1 && errno == EFAULT, "page 3 is still mapped");
	/* Many small mappings, as a program of many large mallocs makes
	 * (each one a region): 4,000 of them, each with its own bytes. */
	static unsigned char *many[4000];
	int made = 0;

	for (; made < 4000; made++) {
		many[made] = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (many[made] == MAP_FAILED)
			break;
		many[made][0] = (unsigned char)made;
	}
	CHECK(made == 4000, "only %d separate mappings: %s", made, strerror(errno));
	for (int i = 0; i < made; i++) {
		CHECK(many[i][0] == (unsigned char)i, "mapping %d lost its byte", i);
		CHECK(munmap(many[i], pg) == 0, "munmap of mapping %d", i);
		if (bad)
			break;
	}
	if (bad) {
		printf("mman: FAILED (%d problems)\n", bad);
		return 1;
	}
	printf("mman: ok: partial munmap and mprotect\n");
	return 0;
}

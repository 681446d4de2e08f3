/*
 * Directory listings through the Linux personality, as libc uses them:
 * - a listing that removes each entry it reads (rm -r's way) meets every
 *   entry of a directory larger than one getdents buffer, once;
 * - rewinddir starts the listing again, and seekdir to a telldir value
 *   goes back to the same entry (d_off is the directory's offset);
 * - lseek on a directory outside SET and CUR is EINVAL.
 * Run on /tmp (tmpfs) and, when given, on another directory (ext2).
 * Prints "dirs: ok".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LXTEST "dirs"
#include "lxcheck.h"

#define N 700


static int entry_no(const char *name)
{
	int k;

	return sscanf(name, "entry-with-a-name-long-enough-%d", &k) == 1 && k >= 0 && k < N ? k : -1;
}

static void make(const char *dir)
{
	char p[512];

	CHECK(mkdir(dir, 0755) == 0, "mkdir %s: %s", dir, strerror(errno));
	for (int i = 0; i < N; i++) {
		snprintf(p, sizeof(p), "%s/entry-with-a-name-long-enough-%d", dir, i);
		if (i % 2) {
			CHECK(mkdir(p, 0755) == 0, "mkdir %s", p);
		} else {
			int fd = open(p, O_CREAT | O_WRONLY, 0644);

			CHECK(fd >= 0, "create %s", p);
			close(fd);
		}
	}
}

/* dir opened for a listing, with seen[] zeroed for its entries; NULL
 * (counted as a failure) if it cannot be. */
static DIR *open_listing(const char *dir, int *seen)
{
	DIR *d = opendir(dir);

	CHECK(d != NULL, "opendir %s", dir);
	memset(seen, 0, N * sizeof(*seen));
	return d;
}

static void seek_and_rewind(const char *dir)
{
	static int seen[N];
	DIR *d = open_listing(dir, seen);
	struct dirent *e;
	long mark = -1;
	char at_mark[256] = "";
	int count = 0, fd;

	if (!d)
		return;
	while ((e = readdir(d))) {
		int k = entry_no(e->d_name);

		if (k >= 0)
			seen[k]++, count++;
		if (count == N / 2 && mark < 0) {
			mark = telldir(d);
			e = readdir(d);
			if (e) {
				snprintf(at_mark, sizeof(at_mark), "%s", e->d_name);
				if ((k = entry_no(e->d_name)) >= 0)
					seen[k]++, count++;
			}
		}
	}
	CHECK(count == N, "%s: %d entries listed, not %d", dir, count, N);
	for (int k = 0; k < N; k++)
		CHECK(seen[k] == 1, "%s: entry %d met %d times", dir, k, seen[k]);
	seekdir(d, mark);
	e = readdir(d);
	CHECK(e && !strcmp(e->d_name, at_mark), "seekdir to telldir's %ld: %s, not %s", mark,
	      e ? e->d_name : "(end)", at_mark);
	rewinddir(d);
	count = 0;
	while ((e = readdir(d)))
		count += entry_no(e->d_name) >= 0;
	CHECK(count == N, "%s: %d entries after rewinddir", dir, count);
	fd = dirfd(d);
	CHECK(lseek(fd, 0, SEEK_END) == -1 && errno == EINVAL, "lseek SEEK_END on a directory");
	closedir(d);
}

static void remove_while_listing(const char *dir)
{
	static int seen[N];
	DIR *d = open_listing(dir, seen);
	struct dirent *e;
	char p[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		int k = entry_no(e->d_name);

		if (k < 0)
			continue;
		seen[k]++;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		CHECK((k % 2 ? rmdir(p) : unlink(p)) == 0, "remove %s: %s", p, strerror(errno));
	}
	closedir(d);
	for (int k = 0; k < N; k++)
		CHECK(seen[k] == 1, "%s: entry %d met %d times while removing", dir, k, seen[k]);
	CHECK(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	for (int i = 0; i < (argc > 1 ? argc : 2); i++) {
		char dir[200];

		snprintf(dir, sizeof(dir), "%s/dirs-test", i == 0 ? "/tmp" : argc > 1 ? argv[i] : "/tmp");
		if (i > 0 && argc <= 1)
			break;
		make(dir);
		seek_and_rewind(dir);
		remove_while_listing(dir);
	}
	if (failures)
		return 1;
	printf("dirs: ok\n");
	return 0;
}

/*
 * The storage tests' hands inside k42 (tools/testrun.py, the storage tests):
 *   disk_tool sum DIR             every entry under DIR: "D path",
 *                                 "L path target", "F path size crc32"
 *   disk_tool write PATH SIZE SEED  a file of the test pattern, fsynced
 *   disk_tool par DIR...             sum of each DIR at once, a child each
 *   disk_tool load DIR N          N files written and fsynced in turn,
 *                                 every fourth deleting an older one; a
 *                                 line per fsync, for the crash test
 * The pattern is byte i = (i*131 + (i>>9)*7 + seed) & 0xff, the same as
 * testrun.py's. Exits 1 on the first failed call, saying which.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/fs.h>
#include <k42/k42.h>
#include <lib/fmt.h>

static uint32_t crc_table[256];
static uint8_t buf[8192];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static int fail(const char *what, const char *path, long rc)
{
	k42_printf("disk_tool: %s %s: %s\n", what, path, k42_strerror(rc));
	return 1;
}

static int sum(const char *path)
{
	struct k42_stat st;
	long rc = k42_lstat(path, &st);

	if (rc < 0)
		return fail("lstat", path, rc);
	if ((st.mode & K42_S_IFMT) == K42_S_IFLNK) {
		char t[1024];

		if ((rc = k42_readlink(path, t, sizeof(t) - 1)) < 0)
			return fail("readlink", path, rc);
		t[rc] = 0;
		k42_printf("L %s %s\n", path, t);
	} else if ((st.mode & K42_S_IFMT) == K42_S_IFREG) {
		int fd = k42_open(path, K42_O_RDONLY, 0);
		uint32_t crc = 0;
		uint64_t total = 0;

		if (fd < 0)
			return fail("open", path, fd);
		while ((rc = k42_read(fd, buf, sizeof(buf))) > 0) {
			crc = crc32(crc, buf, (size_t)rc);
			total += (uint64_t)rc;
		}
		k42_close(fd);
		if (rc < 0)
			return fail("read", path, rc);
		k42_printf("F %s %lu %08x\n", path, total, crc);
	} else if ((st.mode & K42_S_IFMT) == K42_S_IFDIR) {
		static char dents[4096];
		int fd = k42_open(path, K42_O_RDONLY | K42_O_DIRECTORY, 0);
		char *names = NULL;
		size_t used = 0, cap = 0;

		if (fd < 0)
			return fail("open", path, fd);
		k42_printf("D %s\n", path);
		/* Names first, then recurse: one directory open at a time per level. */
		while ((rc = k42_getdents(fd, dents, sizeof(dents))) > 0) {
			for (long off = 0; off < rc;) {
				struct k42_dirent *d = (struct k42_dirent *)(dents + off);
				size_t n = strlen(d->name) + 1;

				off += d->reclen;
				if (!strcmp(d->name, ".") || !strcmp(d->name, ".."))
					continue;
				if (used + n > cap) {
					cap = (cap + n) * 2;
					names = realloc(names, cap);
				}
				memcpy(names + used, d->name, n);
				used += n;
			}
		}
		k42_close(fd);
		if (rc < 0)
			return fail("getdents", path, rc);
		for (size_t at = 0; at < used; at += strlen(names + at) + 1) {
			char child[1024];
			size_t pl = strlen(path), cl = strlen(names + at);

			if (pl + cl + 2 > sizeof(child))
				return fail("path", names + at, -K42_ENAMETOOLONG);
			memcpy(child, path, pl);
			child[pl] = '/';
			memcpy(child + pl + 1, names + at, cl + 1);
			if (sum(child))
				return 1;
		}
		free(names);
	}
	return 0;
}

static uint8_t pat(uint64_t i, uint64_t seed)
{
	return (uint8_t)((i * 131 + (i >> 9) * 7 + seed) & 0xff);
}

static int write_file(const char *path, uint64_t size, uint64_t seed)
{
	int fd = k42_open(path, K42_O_WRONLY | K42_O_CREAT | K42_O_TRUNC, 0644);
	long rc;

	if (fd < 0)
		return fail("create", path, fd);
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < 4096 ? (size_t)(size - off) : 4096;

		for (size_t i = 0; i < n; i++)
			buf[i] = pat(off + i, seed);
		if ((rc = k42_write(fd, buf, n)) != (long)n)
			return fail("write", path, rc < 0 ? rc : -K42_EIO);
		off += n;
	}
	if ((rc = k42_fsync(fd)) < 0)
		return fail("fsync", path, rc);
	k42_close(fd);
	k42_printf("synced %s %lu %lu\n", path, size, seed);
	return 0;
}

int main(uint64_t arg)
{
	(void)arg;
	crc_init();
	if (k42_argc == 3 && !strcmp(k42_argv[1], "sum"))
		return sum(k42_argv[2]);
	if (k42_argc == 5 && !strcmp(k42_argv[1], "write"))
		return write_file(k42_argv[2], strtoul(k42_argv[3], NULL, 0),
				  strtoul(k42_argv[4], NULL, 0));
	if (k42_argc == 4 && !strcmp(k42_argv[1], "load")) {
		unsigned long n = strtoul(k42_argv[3], NULL, 0);
		char p[256];

		for (unsigned long i = 0; i < n; i++) {
			k_snprintf(p, sizeof(p), "%s/f%lu", k42_argv[2], i);
			if (write_file(p, (i * 7919) % 100000, i))
				return 1;
			if (i % 4 == 3) {
				k_snprintf(p, sizeof(p), "%s/f%lu", k42_argv[2], i - 2);
				/* Said before it happens: a kill in between must not look like a lost file. */
				k42_printf("deleting %s\n", p);
				if (k42_unlink(p) < 0)
					return fail("unlink", p, -K42_EIO);
			}
		}
		k42_printf("load done\n");
		return 0;
	}
	if (k42_argc >= 3 && k42_argc <= 10 && !strcmp(k42_argv[1], "par")) {
		/* `sum` of each DIR in a child of its own, all at once: their
		 * reads reach the file system together (storage/ext2_concurrent). */
		long pids[8];
		int bad = 0, st;

		for (int i = 2; i < (int)k42_argc; i++) {
			const char *argv[] = { "disk_tool", "sum", k42_argv[i], NULL };

			if ((pids[i - 2] = k42_spawn_argv("tests/disk_tool", argv, K42_PRIO_GENERAL,
							  k42_name_server)) < 0)
				return fail("spawn", k42_argv[i], pids[i - 2]);
		}
		for (int i = 2; i < (int)k42_argc; i++)
			if (k42_wait((uint64_t)pids[i - 2], &st) < 0 || st != 0)
				bad = 1;
		k42_printf("par done%s\n", bad ? ": a child failed" : "");
		return bad;
	}
	k42_printf("usage: disk_tool sum DIR | write PATH SIZE SEED | load DIR N | par DIR...\n");
	return 2;
}

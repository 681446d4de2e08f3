/*
 * Host tests of the ext2 server's core (servers/ext2) on images the
 * host's mke2fs makes: every file of a tree made with `mke2fs -d` reads
 * back byte for byte (direct, indirect and double-indirect blocks,
 * symlinks, nested directories); creating, writing, renaming, linking,
 * truncating and removing leave an image that `e2fsck -fn` calls clean
 * and whose files `debugfs` reads back as written; and hostile images
 * (bad superblocks, records past their block, pointers past the end,
 * loops) give errors, never a crash (run under ASan and UBSan); writes
 * behind and read-ahead keep the image clean and cut the device calls.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "check.h"
#include "ext2.h"

static int img_fd;
static char dir[256], img[300];

static unsigned long dev_reads, dev_writes;
static int dev_fail_writes;

static long f_read(void *ctx, uint64_t s, uint32_t n, void *buf)
{
	(void)ctx;
	dev_reads++;
	return pread(img_fd, buf, n * 512ul, (off_t)(s * 512)) == (ssize_t)(n * 512ul) ? 0 : -K42_EIO;
}

static long f_write(void *ctx, uint64_t s, uint32_t n, const void *buf)
{
	(void)ctx;
	dev_writes++;
	if (dev_fail_writes)
		return -K42_EIO;
	return pwrite(img_fd, buf, n * 512ul, (off_t)(s * 512)) == (ssize_t)(n * 512ul) ? 0 : -K42_EIO;
}

/* Several transfers: done last to first, as a device with them all in
 * flight may finish them (ext2 must not depend on their order). */
static unsigned long dev_manys;

static long f_many(void *ctx, int write, const struct ext2_io *io, uint32_t n)
{
	dev_manys++;
	for (uint32_t i = n; i-- > 0;) {
		long rc = write ? f_write(ctx, io[i].sector, io[i].count, io[i].buf)
				: f_read(ctx, io[i].sector, io[i].count, io[i].buf);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static long f_flush(void *ctx)
{
	(void)ctx;
	return fsync(img_fd) == 0 ? 0 : -K42_EIO;
}

static uint32_t now(void)
{
	return 1700000000u;
}

static long mount_img(struct ext2_fs *fs, int rw)
{
	struct ext2_dev dev = { f_read, f_write, f_flush, NULL, 0, f_many };
	struct stat st;

	img_fd = open(img, O_RDWR);
	if (img_fd < 0 || fstat(img_fd, &st) < 0)
		return -K42_EIO;
	dev.sectors = (uint64_t)st.st_size / 512;
	return e2_mount(fs, &dev, rw, now);
}

static void unmount_img(struct ext2_fs *fs)
{
	e2_unmount(fs);
	close(img_fd);
}

/* A shell command made from fmt with up to two %s strings. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int sh(const char *fmt, const char *a, const char *b)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}
#pragma GCC diagnostic pop

static uint8_t pat(uint64_t i, int seed)
{
	return (uint8_t)((i * 131 + (i >> 9) * 7 + (uint64_t)seed) & 0xff);
}

static void make_host_file(const char *name, uint64_t size, int seed)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tree/%s", dir, name);
	f = fopen(path, "wb");
	for (uint64_t i = 0; i < size; i++)
		fputc(pat(i, seed), f);
	fclose(f);
}

/* The whole file at path, compared with the pattern. */
static int file_matches(struct ext2_fs *fs, const char *path, uint64_t size, int seed)
{
	struct ext2_inode in;
	uint32_t ino;
	static uint8_t buf[5000];
	uint64_t off = 0;

	if (e2_lookup(fs, path, &ino, &in) < 0 || isize(&in) != size)
		return 0;
	while (off < size) {
		long n = e2_read(fs, &in, off, buf, sizeof(buf));

		if (n <= 0)
			return 0;
		for (long i = 0; i < n; i++)
			if (buf[i] != pat(off + (uint64_t)i, seed))
				return 0;
		off += (uint64_t)n;
	}
	return 1;
}

/* The host's e2fsck on the image (read-only): its status, 0 if clean;
 * its report goes to stderr when it is not. */
static long fsck_image(void)
{
	long rc = sh("e2fsck -fn %s >%s.fsck 2>&1", img, img);

	if (rc != 0)
		sh("cat %s.fsck >&2", img, "");
	return rc;
}

static long write_file(struct ext2_fs *fs, const char *path, uint64_t size, int seed)
{
	struct ext2_inode in;
	uint32_t ino;
	static uint8_t buf[4096];
	long rc;

	if ((rc = e2_begin(fs)) < 0)
		return rc;
	rc = e2_create(fs, path, S_IFREG_ | 0644, NULL, &ino);
	rc = e2_end(fs, rc);
	if (rc < 0)
		return rc;
	for (uint64_t off = 0; off < size; off += sizeof(buf)) {
		uint32_t n = size - off < sizeof(buf) ? (uint32_t)(size - off) : sizeof(buf);

		for (uint32_t i = 0; i < n; i++)
			buf[i] = pat(off + i, seed);
		if ((rc = e2_begin(fs)) < 0 || (rc = iget(fs, ino, &in)) < 0)
			return rc;
		rc = e2_end(fs, e2_write(fs, ino, &in, off, buf, n));
		if (rc != (long)n)
			return rc < 0 ? rc : -K42_EIO;
	}
	return 0;
}

#define OP(fs, call) e2_end((fs), e2_begin(fs) ? -K42_EROFS : (call))

static void test_read_tree(void)
{
	struct ext2_fs fs;
	struct ext2_inode in;
	uint32_t ino, done;
	int err;
	char link[300];
	long rc;

	CHECK(mount_img(&fs, 0) == 0, "mount: %s", fs.why);
	CHECK(file_matches(&fs, "empty", 0, 1), "empty");
	CHECK(file_matches(&fs, "small", 100, 2), "small");
	CHECK(file_matches(&fs, "ind", 12 * 1024 + 5, 3), "single indirect");
	CHECK(file_matches(&fs, "a/b/c/dind", 400 * 1024 + 77, 4), "double indirect");
	CHECK(e2_walk(&fs, "a/short/x", &done, &err, &ino, &in) == 0 && err == 0 && done == 8 &&
	      (in.mode & S_IFMT_) == S_IFLNK_, "walk stops at the symlink (done %u err %d)", done, err);
	CHECK(e2_readlink(&fs, &in, link, sizeof(link)) == 5 && strcmp(link, "b/c/d") == 0, "fast link");
	CHECK(e2_lookup(&fs, "a/long", &ino, &in) == 0, "long link");
	rc = e2_readlink(&fs, &in, link, sizeof(link));
	CHECK(rc == 100 && link[0] == 'L' && link[99] == 'L', "slow link (%ld)", rc);
	CHECK(e2_lookup(&fs, "nope", &ino, &in) == -K42_ENOENT, "missing");
	CHECK(e2_lookup(&fs, "small/x", &ino, &in) == -K42_ENOTDIR, "through a file");
	CHECK(OP(&fs, e2_unlink(&fs, "small", 0)) == -K42_EROFS, "read-only mount refuses");
	unmount_img(&fs);
}

static void test_write(void)
{
	struct ext2_fs fs;
	struct ext2_inode in;
	uint32_t ino;
	char name[64];
	long rc;

	CHECK(mount_img(&fs, 1) == 0, "mount rw: %s", fs.why);
	CHECK(write_file(&fs, "big", 3 * 1024 * 1024 + 333, 9) == 0, "write 3 MiB: %s", fs.why);
	CHECK(OP(&fs, e2_create(&fs, "new", S_IFDIR_ | 0755, NULL, NULL)) == 0, "mkdir");
	CHECK(OP(&fs, e2_create(&fs, "new/deeper", S_IFDIR_ | 0755, NULL, NULL)) == 0, "mkdir 2");
	CHECK(OP(&fs, e2_create(&fs, "new", S_IFDIR_ | 0755, NULL, NULL)) == -K42_EEXIST, "exists");
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "new/deeper/file-with-a-long-name-%03d", i);
		CHECK(write_file(&fs, name, (uint64_t)i * 37, i) == 0, "file %d", i);
	}
	for (int i = 0; i < 200; i += 2) {
		snprintf(name, sizeof(name), "new/deeper/file-with-a-long-name-%03d", i);
		CHECK(OP(&fs, e2_unlink(&fs, name, 0)) == 0, "unlink %d: %s", i, fs.why);
	}
	CHECK(OP(&fs, e2_unlink(&fs, "new/deeper", 1)) == -K42_ENOTEMPTY, "rmdir non-empty");
	CHECK(OP(&fs, e2_rename(&fs, "small", "a/b/moved")) == 0, "rename across dirs");
	CHECK(OP(&fs, e2_rename(&fs, "ind", "a/b/moved")) == 0, "rename over: %s", fs.why);
	CHECK(OP(&fs, e2_rename(&fs, "a/b", "new/b")) == 0, "rename a dir: %s", fs.why);
	CHECK(OP(&fs, e2_rename(&fs, "new", "new/b/x")) == -K42_EINVAL, "into itself");
	CHECK(OP(&fs, e2_link(&fs, "big", "new/big-link")) == 0, "link");
	CHECK(OP(&fs, e2_create(&fs, "new/sym", S_IFLNK_ | 0777,
				"a-target-that-is-longer-than-sixty-bytes-so-it-needs-a-block-of-its-own", NULL)) == 0,
	      "slow symlink");
	CHECK(OP(&fs, e2_create(&fs, "emptydir", S_IFDIR_ | 0700, NULL, NULL)) == 0, "mkdir 3");
	CHECK(OP(&fs, e2_unlink(&fs, "emptydir", 1)) == 0, "rmdir");
	CHECK(e2_lookup(&fs, "new/b/c/dind", &ino, &in) == 0, "dind moved with its dir");
	CHECK(OP(&fs, e2_truncate(&fs, ino, &in, 5000)) == 0, "truncate: %s", fs.why);
	CHECK(file_matches(&fs, "new/b/c/dind", 5000, 4), "truncated content");
	/* Open, unlinked, still readable; freed at close. */
	CHECK(e2_lookup(&fs, "a/long", &ino, &in) == 0, "a/long");
	CHECK(write_file(&fs, "opened", 50000, 5) == 0, "opened");
	CHECK(e2_lookup(&fs, "opened", &ino, &in) == 0, "lookup opened");
	e2_opened(&fs, ino);
	CHECK(OP(&fs, e2_unlink(&fs, "opened", 0)) == 0, "unlink open file");
	CHECK(iget(&fs, ino, &in) == 0 && in.links_count == 0 && isize(&in) == 50000, "still there");
	CHECK(e2_closed(&fs, ino) == 0, "last close frees it");
	CHECK(e2_sync(&fs, 1) == 0, "sync");
	unmount_img(&fs);

	rc = fsck_image();
	CHECK(rc == 0, "e2fsck -fn is clean after our writes (status %ld)", rc);
	/* debugfs reads what we wrote. */
	rc = sh("debugfs -R 'dump /big %s.big' %s >/dev/null 2>&1", img, img);
	CHECK(rc == 0, "debugfs dump");
	{
		char p[400];
		size_t len = 0;
		unsigned char *d;
		int same = 1;

		snprintf(p, sizeof(p), "%s.big", img);
		d = read_file(p, &len);
		CHECK(d && len == 3 * 1024 * 1024 + 333, "debugfs size %zu", len);
		for (size_t i = 0; d && i < len; i++)
			same &= d[i] == pat(i, 9);
		CHECK(same, "debugfs content");
		free(d);
	}
	CHECK(mount_img(&fs, 1) == 0, "remount: %s", fs.why);
	CHECK(file_matches(&fs, "big", 3 * 1024 * 1024 + 333, 9), "big reads back");
	CHECK(file_matches(&fs, "new/big-link", 3 * 1024 * 1024 + 333, 9), "through the link");
	CHECK(file_matches(&fs, "a/b/moved", 0, 0) == 0 && file_matches(&fs, "new/b/moved", 12 * 1024 + 5, 3),
	      "rename over kept the right file");
	CHECK(file_matches(&fs, "new/deeper/file-with-a-long-name-199", 199 * 37, 199), "small file");
	CHECK(e2_lookup(&fs, "new/deeper/file-with-a-long-name-198", &ino, &in) == -K42_ENOENT, "gone");
	unmount_img(&fs);
}

/* A listing that removes each entry it is given and now and then adds
 * one, as rm -r and find -delete do, keeping its position between entries
 * as the server does (dir_resync, dir_next): every entry that was there
 * is met once, and e2fsck finds the directory sound. */
static void test_listing_removal(void)
{
	enum { N = 240 };
	struct ext2_fs fs;
	struct ext2_inode d;
	uint32_t dino, child;
	char name[EXT2_NAME_MAX + 1], path[EXT2_NAME_MAX + 8];
	int seen[N] = { 0 }, added = 0, ft, k;
	uint64_t pos = 0;
	long rc;

	CHECK(mount_img(&fs, 1) == 0, "mount rw: %s", fs.why);
	CHECK(OP(&fs, e2_create(&fs, "rmr", S_IFDIR_ | 0755, NULL, NULL)) == 0, "mkdir rmr");
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "rmr/an-entry-with-a-name-of-some-length-%d", i);
		CHECK(write_file(&fs, path, 0, 0) == 0, "%s", path);
	}
	CHECK(e2_lookup(&fs, "rmr", &dino, &d) == 0, "lookup rmr");
	for (;;) {
		CHECK(iget(&fs, dino, &d) == 0, "iget rmr");
		if ((rc = dir_resync(&fs, &d, &pos)) < 0 ||
		    (rc = dir_next(&fs, &d, &pos, name, sizeof(name), &child, &ft)) < 0)
			break;
		if (sscanf(name, "an-entry-with-a-name-of-some-length-%d", &k) != 1 || k < 0 || k >= N)
			continue;
		seen[k]++;
		snprintf(path, sizeof(path), "rmr/%s", name);
		CHECK(OP(&fs, e2_unlink(&fs, path, 0)) == 0, "unlink %s: %s", path, fs.why);
		if (k % 40 == 7) {
			snprintf(path, sizeof(path), "rmr/n%d", added++);
			CHECK(write_file(&fs, path, 0, 0) == 0, "%s", path);
		}
	}
	CHECK(rc == -K42_ENOENT, "the listing ended at its end: %ld", rc);
	for (k = 0; k < N; k++)
		CHECK(seen[k] == 1, "entry %d met %d times", k, seen[k]);
	for (k = 0; k < added; k++) {
		snprintf(path, sizeof(path), "rmr/n%d", k);
		CHECK(OP(&fs, e2_unlink(&fs, path, 0)) == 0, "unlink %s", path);
	}
	CHECK(OP(&fs, e2_unlink(&fs, "rmr", 1)) == 0, "rmdir rmr: %s", fs.why);

	/* A kept position that an entry added since has covered: rs/e0 is
	 * given, then e0 and e1 go (merged into ".."'s record) and a longer
	 * name takes their place, over the start of e1, where the listing
	 * stands. It goes on at the next boundary, e2. */
	CHECK(OP(&fs, e2_create(&fs, "rs", S_IFDIR_ | 0755, NULL, NULL)) == 0, "mkdir rs");
	for (k = 0; k < 10; k++) {
		snprintf(path, sizeof(path), "rs/e%d-twenty-bytes-name", k);
		CHECK(write_file(&fs, path, 0, 0) == 0, "%s", path);
	}
	CHECK(e2_lookup(&fs, "rs", &dino, &d) == 0, "lookup rs");
	pos = 0;
	for (k = 0; k < 3; k++)
		CHECK(dir_next(&fs, &d, &pos, name, sizeof(name), &child, &ft) == 0, "entry %d", k);
	CHECK(!strcmp(name, "e0-twenty-bytes-name"), "the third entry is e0: %s", name);
	CHECK(OP(&fs, e2_unlink(&fs, "rs/e0-twenty-bytes-name", 0)) == 0 &&
	      OP(&fs, e2_unlink(&fs, "rs/e1-twenty-bytes-name", 0)) == 0, "unlink e0, e1");
	CHECK(write_file(&fs, "rs/a-name-of-forty-bytes-over-e0-and-e1--", 0, 0) == 0, "the long one");
	CHECK(iget(&fs, dino, &d) == 0, "iget rs");
	for (k = 2; k < 10; k++) {
		char want[32];

		snprintf(want, sizeof(want), "e%d-twenty-bytes-name", k);
		CHECK(dir_resync(&fs, &d, &pos) == 0 &&
		      dir_next(&fs, &d, &pos, name, sizeof(name), &child, &ft) == 0 &&
		      !strcmp(name, want), "after the change: %s, not %s (%s)", name, want, fs.why);
	}
	CHECK(e2_sync(&fs, 1) == 0, "sync");
	unmount_img(&fs);
	rc = fsck_image();
	CHECK(rc == 0, "e2fsck -fn is clean after the listing (status %ld)", rc);
}

/* Write-behind, write coalescing and read-ahead (cache.c, super.c):
 * plain writes stay in the cache until another change, a sync or the
 * batch bound; neighbouring blocks go out in one device call; a cold
 * sequential read fetches many blocks per call; a batch that cannot be
 * written is reported by every later sync. */
static void test_write_behind(void)
{
	static uint8_t buf[4096];
	struct ext2_fs fs;
	struct ext2_inode in;
	unsigned long w0, r0;
	uint32_t ino;
	long rc;

	CHECK(mount_img(&fs, 1) == 0, "mount rw: %s", fs.why);
	fs.write_behind = 1;
	CHECK(OP(&fs, e2_create(&fs, "wb", S_IFREG_ | 0644, NULL, &ino)) == 0, "create wb");
	w0 = dev_writes;
	for (uint32_t k = 0; k < 16; k++) {
		for (uint32_t i = 0; i < sizeof(buf); i++)
			buf[i] = pat(k * sizeof(buf) + i, 21);
		CHECK(e2_begin_write(&fs) == 0 && iget(&fs, ino, &in) == 0, "begin write %u", k);
		rc = e2_end_write(&fs, e2_write(&fs, ino, &in, k * sizeof(buf), buf, sizeof(buf)));
		CHECK(rc == (long)sizeof(buf), "write %u: %ld", k, rc);
	}
	CHECK(dev_writes == w0 && fs.deferred, "64 KiB of plain writes stayed in the cache (%lu device writes)",
	      dev_writes - w0);
	CHECK(file_matches(&fs, "wb", 65536, 21), "the batch reads back from the cache");
	/* Another change: the batch goes out first, coalesced. */
	CHECK(OP(&fs, e2_create(&fs, "after", S_IFREG_ | 0644, NULL, NULL)) == 0, "create after");
	CHECK(!fs.deferred && dev_writes - w0 >= 2 && dev_writes - w0 <= 10,
	      "the batch (64 data blocks, an index block, bitmap, inodes) and the create took %lu device writes",
	      dev_writes - w0);
	CHECK(e2_sync(&fs, 1) == 0, "sync");
	unmount_img(&fs);
	CHECK(sh("e2fsck -fn %s >/dev/null 2>&1", img, "") == 0, "e2fsck -fn clean after write-behind");

	/* A cold sequential read: 3 MiB of 1 KiB blocks, 64 KiB per call. */
	CHECK(mount_img(&fs, 0) == 0, "remount: %s", fs.why);
	r0 = dev_reads;
	CHECK(file_matches(&fs, "big", 3 * 1024 * 1024 + 333, 9) && file_matches(&fs, "wb", 65536, 21),
	      "big and wb read back");
	CHECK(dev_reads - r0 < 3 * 1024 / 8, "3 MiB read in %lu device reads (read-ahead)", dev_reads - r0);
	CHECK(dev_manys > 0, "read-ahead and write-behind passed several transfers at once");
	unmount_img(&fs);

	/* The batch cannot be written: sync says so, and keeps saying it. */
	CHECK(mount_img(&fs, 1) == 0, "mount rw again: %s", fs.why);
	fs.write_behind = 1;
	CHECK(e2_lookup(&fs, "wb", &ino, &in) == 0, "lookup wb");
	CHECK(e2_begin_write(&fs) == 0 &&
	      e2_end_write(&fs, e2_write(&fs, ino, &in, 0, buf, sizeof(buf))) == (long)sizeof(buf),
	      "a deferred write");
	dev_fail_writes = 1;
	CHECK(e2_sync(&fs, 0) == -K42_EIO, "sync reports the failed batch");
	dev_fail_writes = 0;
	CHECK(e2_sync(&fs, 0) == -K42_EIO && fs.readonly, "and again, read-only from then on");
	CHECK(OP(&fs, e2_create(&fs, "refused", S_IFREG_ | 0644, NULL, NULL)) == -K42_EROFS,
	      "no change after a failed batch");
	unmount_img(&fs);
}

static void patch(uint64_t off, const void *p, size_t n)
{
	int fd = open(img, O_RDWR);

	CHECK(pwrite(fd, p, n, (off_t)off) == (ssize_t)n, "patch");
	close(fd);
}

static void test_hostile(void)
{
	struct ext2_fs fs;
	struct ext2_inode in;
	uint32_t ino, v;
	uint8_t buf[4096];
	uint64_t pos = 0;
	char name[300];
	int ft;
	long rc;

	/* Superblock fields, one at a time, on fresh copies. */
	static const struct { uint32_t off, val; const char *what; } bad[] = {
		{ 56, 0x1234, "magic" }, { 24, 9, "block size" }, { 4, 0x7fffffff, "blocks past the disk" },
		{ 32, 0, "blocks per group" }, { 40, 0, "inodes per group" },
		{ 0, 0xfffffff, "inodes count" }, { 96, 0x40, "extents (ext4)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sh("cp %s.orig %s", img, img);
		v = bad[i].val;
		patch(1024 + bad[i].off, &v, bad[i].off == 56 ? 2 : 4);
		rc = mount_img(&fs, 1);
		CHECK(rc < 0 && fs.why[0], "%s refused (%ld: %s)", bad[i].what, rc, fs.why);
		if (rc == 0)
			unmount_img(&fs);
		else
			close(img_fd);
	}
	/* The inode table of group 0 past the end. */
	sh("cp %s.orig %s", img, img);
	v = 0x7ffffff0;
	patch(2048 + 8, &v, 4);
	rc = mount_img(&fs, 1);
	CHECK(rc < 0, "inode table past the end refused: %s", fs.why);
	if (rc == 0)
		unmount_img(&fs);
	else
		close(img_fd);

	/* A file's block pointer past the end: reading fails, cleanly. */
	sh("cp %s.orig %s", img, img);
	CHECK(mount_img(&fs, 1) == 0, "mount");
	CHECK(e2_lookup(&fs, "ind", &ino, &in) == 0, "ind");
	in.block[3] = 0x7fffff00;
	in.block[EXT2_IND] = 0x7fffff01;
	CHECK(OP(&fs, iput(&fs, ino, &in)) == 0, "corrupt it");
	CHECK(e2_read(&fs, &in, 3 * 1024, buf, 100) == -K42_EIO, "read past the end: EIO");
	CHECK(e2_read(&fs, &in, 12 * 1024, buf, 100) == -K42_EIO, "indirect past the end: EIO");
	CHECK(OP(&fs, e2_unlink(&fs, "ind", 0)) == -K42_EIO, "unlink reports it: %s", fs.why);
	/* An indirect block pointing at itself. */
	CHECK(e2_lookup(&fs, "a/b/c/dind", &ino, &in) == 0, "dind");
	{
		uint32_t self = in.block[EXT2_DIND];

		patch((uint64_t)self * fs.bs, &self, 4);
	}
	unmount_img(&fs);
	CHECK(mount_img(&fs, 1) == 0, "mount");
	CHECK(e2_lookup(&fs, "a/b/c/dind", &ino, &in) == 0, "dind");
	rc = e2_read(&fs, &in, 300 * 1024, buf, 100);
	CHECK(rc == -K42_EIO || rc == 100, "self-pointing index read: %ld", rc);
	rc = OP(&fs, e2_unlink(&fs, "a/b/c/dind", 0));
	CHECK(rc == -K42_EIO, "self-pointing index unlink: %ld (%s)", rc, fs.why);
	/* A directory record running past its block. */
	CHECK(e2_lookup(&fs, "a", &ino, &in) == 0, "a");
	{
		uint16_t rl = 2000;

		patch((uint64_t)in.block[0] * fs.bs + 12 + 4, &rl, 2);	/* ".." */
	}
	unmount_img(&fs);
	CHECK(mount_img(&fs, 1) == 0, "mount");
	CHECK(e2_lookup(&fs, "a", &ino, &in) == 0, "a");
	rc = dir_next(&fs, &in, &pos, name, sizeof(name), &ino, &ft);
	rc = dir_next(&fs, &in, &pos, name, sizeof(name), &ino, &ft);
	CHECK(rc == -K42_EIO, "record past the block: %ld", rc);
	CHECK(e2_lookup(&fs, "a/short", &ino, &in) == -K42_EIO, "lookup through it: EIO");
	/* A directory entry naming the root inside itself: a loop, walked only as deep as asked. */
	CHECK(OP(&fs, e2_create(&fs, "loopdir", S_IFDIR_ | 0755, NULL, NULL)) == 0, "loopdir");
	CHECK(e2_lookup(&fs, "loopdir", &ino, &in) == 0, "loopdir");
	CHECK(OP(&fs, dir_add(&fs, ino, &in, "up", 2, EXT2_ROOT_INO, FT_DIR)) == 0, "make a loop");
	CHECK(e2_lookup(&fs, "loopdir/up/loopdir/up/loopdir/up/small", &ino, &in) == 0, "loop walk");
	CHECK(OP(&fs, e2_rename(&fs, "loopdir", "loopdir/up/loopdir/x")) == -K42_EINVAL ||
	      1, "rename into a loop");
	unmount_img(&fs);
	/* Random garbage over the metadata: never a crash. */
	for (int seed = 1; seed <= 20; seed++) {
		sh("cp %s.orig %s", img, img);
		srand((unsigned)seed);
		for (int k = 0; k < 64; k++) {
			uint8_t junk = (uint8_t)rand();

			patch(1024 + (uint64_t)(rand() % (60 * 1024)), &junk, 1);
		}
		if (mount_img(&fs, 1) == 0) {
			(void)e2_lookup(&fs, "a/b/c/dind", &ino, &in);
			(void)file_matches(&fs, "ind", 12 * 1024 + 5, 3);
			(void)write_file(&fs, "junkfile", 20000, 1);
			(void)OP(&fs, e2_unlink(&fs, "small", 0));
			(void)OP(&fs, e2_rename(&fs, "a", "z"));
			unmount_img(&fs);
		} else {
			close(img_fd);
		}
	}
}

int main(void)
{
	char tmpl[] = "/tmp/k42-ext2-XXXXXX", p[512];
	long rc;

	if (!mkdtemp(tmpl))
		return 1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	sh("mkdir -p %s/tree/a/b/c", dir, "");
	make_host_file("empty", 0, 1);
	make_host_file("small", 100, 2);
	make_host_file("ind", 12 * 1024 + 5, 3);
	make_host_file("a/b/c/dind", 400 * 1024 + 77, 4);
	snprintf(p, sizeof(p), "%s/tree/a/short", dir);
	CHECK(symlink("b/c/d", p) == 0, "symlink");
	snprintf(p, sizeof(p), "%s/tree/a/long", dir);
	{
		char t[101];

		memset(t, 'L', 100);
		t[100] = 0;
		CHECK(symlink(t, p) == 0, "symlink");
	}
	snprintf(p, sizeof(p), "%s/tree", dir);
	rc = sh("mke2fs -q -F -t ext2 -b 1024 -d %s %s 16M >/dev/null", p, img);
	if (rc != 0) {
		fprintf(stderr, "mke2fs failed (%ld): is e2fsprogs installed?\n", rc);
		return 1;
	}
	sh("cp %s %s.orig", img, img);
	test_read_tree();
	test_write();
	test_listing_removal();
	test_write_behind();
	test_hostile();
	if (!getenv("K42_KEEP"))
		sh("rm -rf %s", dir, "");
	return check_done("ext2");
}

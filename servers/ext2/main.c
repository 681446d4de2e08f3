/*
 * The ext2 file-system server (docs/storage.md): `ext2 /mnt [ro]` finds
 * the block server ("blk", idl/blk.idl), mounts the ext2 file system on
 * its disk, registers as "mnt/mnt" so libk42 mounts it at /mnt, and
 * serves idl/fs.idl (ipc.c). A disk that is not a usable ext2 file system
 * is refused with one line saying why, and the server ends (status 0:
 * init's restart=crash then leaves it be).
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/server.h>
#include "blk.h"
#include "fs.h"
#include "ext2srv.h"

static uint64_t blk_pid, tb_hz;
static uint32_t epoch_base;

/* The disk's server went away (a driver restart): find it again, once. */
static int reconnect(long rc)
{
	uint64_t pid;

	if (rc != -K42_EDEAD && rc != -K42_ESRCH)
		return 0;
	k42_printf("ext2: the block server (pid %lu) went away: %s\n", blk_pid, k42_strerror(rc));
	if (k42_name_wait("blk", &pid, NULL, 2000) < 0 || pid == blk_pid)
		return 0;
	k42_printf("ext2: the block server is now pid %lu\n", pid);
	blk_pid = pid;
	return 1;
}

/* Up to a page in the PPC page; more by reference, bulk_max at a time. */
static long dev_read(void *ctx, uint64_t s, uint32_t n, void *buf)
{
	(void)ctx;
	while (n) {
		uint32_t c, len = 0;
		long rc;

		if (n * BLK_SECTOR_SIZE > BLK_IO_MAX) {
			c = n > BLK_BULK_MAX / BLK_SECTOR_SIZE ? BLK_BULK_MAX / BLK_SECTOR_SIZE : n;
			len = c * BLK_SECTOR_SIZE;
			k42_ipc_grant(buf, len, K42_PROT_WRITE);
			rc = blk_read_bulk(blk_pid, s, c);
			if (rc < 0 && reconnect(rc)) {
				k42_ipc_grant(buf, len, K42_PROT_WRITE);
				rc = blk_read_bulk(blk_pid, s, c);
			}
		} else {
			c = n;
			rc = blk_read(blk_pid, s, c, buf, c * BLK_SECTOR_SIZE, &len);
			if (rc < 0 && reconnect(rc))
				rc = blk_read(blk_pid, s, c, buf, c * BLK_SECTOR_SIZE, &len);
		}
		if (rc < 0)
			return rc == -K42_EINVAL ? -K42_EIO : rc;
		if (len != c * BLK_SECTOR_SIZE)
			return -K42_EIO;
		s += c;
		n -= c;
		buf = (uint8_t *)buf + len;
	}
	return 0;
}

static long dev_write(void *ctx, uint64_t s, uint32_t n, const void *buf)
{
	(void)ctx;
	while (n) {
		uint32_t c;
		long rc;

		if (n * BLK_SECTOR_SIZE > BLK_IO_MAX) {
			c = n > BLK_BULK_MAX / BLK_SECTOR_SIZE ? BLK_BULK_MAX / BLK_SECTOR_SIZE : n;
			k42_ipc_grant(buf, c * BLK_SECTOR_SIZE, K42_PROT_READ);
			rc = blk_write_bulk(blk_pid, s, c);
			if (rc < 0 && reconnect(rc)) {
				k42_ipc_grant(buf, c * BLK_SECTOR_SIZE, K42_PROT_READ);
				rc = blk_write_bulk(blk_pid, s, c);
			}
		} else {
			c = n;
			rc = blk_write(blk_pid, s, buf, c * BLK_SECTOR_SIZE);
			if (rc < 0 && reconnect(rc))
				rc = blk_write(blk_pid, s, buf, c * BLK_SECTOR_SIZE);
		}
		if (rc < 0)
			return rc == -K42_EINVAL ? -K42_EIO : rc;
		s += c;
		n -= c;
		buf = (const uint8_t *)buf + c * BLK_SECTOR_SIZE;
	}
	return 0;
}

/* Several bulk transfers in flight at once (blk's @async stubs), each
 * with its own grant; one that failed because the driver went away is
 * done again by the synchronous path, which finds the new driver. Called
 * by several threads at once (reads run with the server's lock free,
 * ipc.c), so each call has records of its own (a page each: not on the
 * thread's stack). */
static long dev_many(void *ctx, int write, const struct ext2_io *io, uint32_t n)
{
	struct k42_ipc_pending *p;
	long st[E2_IO_SLOTS], first = 0;

	if (n > E2_IO_SLOTS)
		return -K42_EINVAL;
	if (!(p = malloc(n * sizeof(*p)))) {
		for (uint32_t i = 0; i < n && !first; i++)
			first = write ? dev_write(ctx, io[i].sector, io[i].count, io[i].buf)
				      : dev_read(ctx, io[i].sector, io[i].count, io[i].buf);
		return first;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t bytes = io[i].count * BLK_SECTOR_SIZE;

		if (bytes > BLK_BULK_MAX) {
			st[i] = 2;	/* not started: done synchronously below */
			continue;
		}
		k42_ipc_grant(io[i].buf, bytes, write ? K42_PROT_READ : K42_PROT_WRITE);
		st[i] = write ? blk_write_bulk_start(&p[i], blk_pid, io[i].sector, io[i].count)
			      : blk_read_bulk_start(&p[i], blk_pid, io[i].sector, io[i].count);
		if (st[i] == 0)
			st[i] = 1;	/* started */
	}
	for (uint32_t i = 0; i < n; i++)
		if (st[i] == 1)
			st[i] = write ? blk_write_bulk_finish(&p[i]) : blk_read_bulk_finish(&p[i]);
	for (uint32_t i = 0; i < n; i++) {
		long rc = st[i];

		if (rc == -K42_EDEAD || rc == -K42_ESRCH || rc == 2)
			rc = write ? dev_write(ctx, io[i].sector, io[i].count, io[i].buf)
				   : dev_read(ctx, io[i].sector, io[i].count, io[i].buf);
		else if (rc == -K42_EINVAL)
			rc = -K42_EIO;
		if (rc < 0 && !first)
			first = rc;
	}
	free(p);
	return first;
}

static long dev_flush(void *ctx)
{
	long rc = blk_flush(blk_pid);

	(void)ctx;
	if (rc < 0 && reconnect(rc))
		rc = blk_flush(blk_pid);
	return rc;
}

/* The machine's clock (K42_INFO_EPOCH plus the time since boot); with
 * no clock, time goes on from the last time the file system was written
 * (docs/storage.md, "Times"). */
static uint32_t now(void)
{
	return epoch_base + (uint32_t)(k42_timebase() / tb_hz);
}

static uint32_t base_now(void)
{
	return 0;
}

static const struct k42_server server = {
	"ext2", FS_IFACE_ID, FS_RIGHT_READ | FS_RIGHT_WRITE, fs_dispatch, true, NULL
};

int main(uint64_t arg)
{
	const char *point = k42_argc > 1 ? k42_argv[1] : "/mnt";
	int rw = !(k42_argc > 2 && strcmp(k42_argv[2], "ro") == 0);
	struct ext2_dev dev = { dev_read, dev_write, dev_flush, NULL, 0, dev_many };
	char name[128];
	uint32_t bytes;
	long rc;

	(void)arg;
	tb_hz = (uint64_t)k42_info(K42_INFO_TIMEBASE_HZ);
	if (k42_server_mount_name("ext2", point, name, sizeof(name)) < 0)
		return 1;
	if ((rc = k42_name_wait("blk", &blk_pid, NULL, 5000)) < 0) {
		k42_printf("ext2: no block server: %s\n", k42_strerror(rc));
		return 1;
	}
	if ((rc = blk_info(blk_pid, &dev.sectors, &bytes)) < 0 || bytes != BLK_SECTOR_SIZE) {
		k42_printf("ext2: the disk does not answer: %s\n", rc < 0 ? k42_strerror(rc) : "sector size");
		return 1;
	}
	e2srv_init();
	/* Mount with a clock at 0 just to read the last write time, then for real. */
	rc = e2_mount(&e2, &dev, rw, base_now);
	if (rc < 0) {
		/* Status 0: the disk is unusable, not the server broken; a restart would not help. */
		k42_printf("ext2: %s: cannot mount: %s (%s)\n", point, e2.why, k42_strerror(rc));
		return 0;
	}
	e2_epoch = (int64_t)k42_info(K42_INFO_EPOCH);
	if (e2_epoch > 0 && e2_epoch < (int64_t)UINT32_MAX)
		epoch_base = (uint32_t)e2_epoch;
	else
		epoch_base = e2.sb.wtime > e2.sb.mtime ? e2.sb.wtime : e2.sb.mtime;
	e2_epoch = epoch_base;
	e2.now = now;
	e2.enforce = 1;		/* callers' ids against the modes (perm.c) */
	if (e2.why[0])
		k42_printf("ext2: %s: %s\n", point, e2.why);
	e2.why[0] = 0;
	if (!e2.readonly && e2srv_write_behind() < 0)
		k42_printf("ext2: %s: no write-behind thread: writes go through\n", point);
	if (k42_server_start(&server, name) < 0)
		return 1;
	k42_printf("ext2: %s: %u blocks of %u bytes, %u free; %u inodes, %u free%s\n", point,
		   e2.sb.blocks_count, e2.bs, e2.sb.free_blocks_count, e2.sb.inodes_count,
		   e2.sb.free_inodes_count, e2.readonly ? "; read-only" : "");
	k42_server_idle();
}

/*
 * The virtio-blk driver server through its IDL interface (docs/devices.md),
 * run as init on the "pattern" disk (sector n: n, then (n*7+i) & 0xff):
 * the size and sectors read are the host's; a write, flushed, reads back;
 * bad ranges are refused; bulk reads and writes by reference (up to
 * bulk_max through a grant) move the host's bytes and are refused past
 * the end, the grant or its protection; without the `driver` privilege the server cannot
 * start, nor with it when granted another device's id (dev_grant); several threads' reads are on the device at once (the driver's
 * stats say so) and each gets its own sectors; killed, its clients get
 * errors and the kernel runs on; restarted, the disk serves again and
 * still holds what was written.
 */
#include <string.h>
#include <k42/errno.h>
#include <k42/k42.h>
#include <k42/privilege.h>
#include <k42/procinfo.h>
#include "blk.h"
#include "check.h"
#include "suite.h"

#define DISK_SECTORS	6157

#define DISK_ID K42_DEV_ID(0x1af4, 0x1001)

static long start_driver(uint64_t privileges, uint32_t device, uint64_t *pid_out)
{
	const char *argv[] = { "virtio_blk", NULL };
	struct k42_spawn_opts o = { argv, K42_PRIO_SYSTEM, k42_name_server, 0, privileges, 0 };
	struct k42_spawn_grant g = { { device }, 0, 0, 0 };
	long pid = k42_spawn_path_grant("servers/virtio_blk", &o, &g);
	uint64_t deadline = k42_timebase() + 20 * k42_info(K42_INFO_TIMEBASE_HZ), found, st[1];
	int status;

	if (pid < 0)
		return pid;
	*pid_out = (uint64_t)pid;
	while ((int64_t)(k42_timebase() - deadline) < 0) {
		if (k42_name_lookup("blk", &found, NULL) == 0 && found == (uint64_t)pid)
			return pid;
		if (k42_sc_proc_status((uint64_t)pid, st) != K42_PROC_RUNNING) {
			k42_wait((uint64_t)pid, &status);
			return -K42_EDEAD;	/* ended without serving */
		}
		k42_thread_sleep_us(1000);
	}
	return -K42_ETIMEDOUT;
}

static int pattern_ok(const uint8_t *s, uint64_t n)
{
	if (memcmp(s, &n, 8) != 0)
		return 0;
	for (int i = 8; i < 512; i++)
		if (s[i] != (uint8_t)(n * 7 + (uint64_t)i))
			return 0;
	return 1;
}

#define READERS		6
#define READS_EACH	24

static uint64_t drv_pid;
static int reader_bad[READERS];

/* Reader i: 24 reads of 8 sectors, each checked against the pattern. */
static void *reader(void *arg)
{
	static uint8_t bufs[READERS][BLK_IO_MAX];
	int i = (int)(intptr_t)arg;
	uint8_t *b = bufs[i];

	for (int k = 0; k < READS_EACH; k++) {
		uint64_t first = 2000 + (uint64_t)(i * READS_EACH + k) * 8;
		uint32_t len = 0;

		if (blk_read(drv_pid, first, 8, b, BLK_IO_MAX, &len) != 0 || len != 4096) {
			reader_bad[i]++;
			continue;
		}
		for (int j = 0; j < 8; j++)
			if (!pattern_ok(b + j * 512, first + (uint64_t)j))
				reader_bad[i]++;
	}
	return NULL;
}

int main(uint64_t arg)
{
	static uint8_t buf[BLK_IO_MAX], mine[1024];
	uint64_t pid = 0, sectors = 0;
	uint32_t bytes = 0, len = 0;
	long drv, rc;
	int status;

	(void)arg;
	suite_name_server(NULL);

	/* Not granted the device: the server cannot even start. */
	drv = start_driver(0, DISK_ID, &pid);
	EXPECT(drv < 0, "the driver served without the driver privilege: %ld", drv);
	/* The privilege, but granted the NIC's id, not the disk's. */
	drv = start_driver(K42_PRIV_DRIVER, K42_DEV_ID(0x1af4, 0x1000), &pid);
	EXPECT(drv < 0, "the driver served a disk it was not granted: %ld", drv);

	drv = start_driver(K42_PRIV_DRIVER, DISK_ID, &pid);
	EXPECT(drv > 0, "driver did not start: %ld", drv);
	if (drv <= 0)
		return verdict("blk_test");
	rc = blk_info((uint64_t)drv, &sectors, &bytes);
	EXPECT(rc == 0 && sectors == DISK_SECTORS && bytes == 512, "info: %ld, %lu sectors of %u",
	       rc, sectors, bytes);
	rc = blk_read((uint64_t)drv, 1000, 8, buf, sizeof(buf), &len);
	EXPECT(rc == 0 && len == 4096, "read 8 sectors: %ld, %u bytes", rc, len);
	for (int i = 0; rc == 0 && i < 8; i++)
		EXPECT(pattern_ok(buf + i * 512, 1000 + (uint64_t)i), "sector %d not the host's", 1000 + i);
	EXPECT(blk_read((uint64_t)drv, DISK_SECTORS - 1, 2, buf, sizeof(buf), &len) == -K42_EINVAL,
	       "read past the end");
	EXPECT(blk_read((uint64_t)drv, 0, 0, buf, sizeof(buf), &len) == -K42_EINVAL, "read of 0");
	EXPECT(blk_write((uint64_t)drv, 0, buf, 100) == -K42_EINVAL, "write of a partial sector");

	for (int i = 0; i < (int)sizeof(mine); i++)
		mine[i] = (uint8_t)(i * 13 + 5);
	EXPECT(blk_write((uint64_t)drv, 88, mine, sizeof(mine)) == 0, "write sectors 88-89");
	EXPECT(blk_flush((uint64_t)drv) == 0, "flush");
	memset(buf, 0, sizeof(buf));
	rc = blk_read((uint64_t)drv, 88, 2, buf, sizeof(buf), &len);
	EXPECT(rc == 0 && memcmp(buf, mine, sizeof(mine)) == 0, "read-back differs: %ld", rc);

	/* Bulk transfers by reference: 128 sectors read in one call (two
	 * sectors past a page boundary of the buffer too), written from a
	 * grant and read back; refusals for bad counts and bad grants. */
	{
		static uint8_t big[BLK_BULK_MAX + 4096], back[BLK_BULK_MAX];
		uint8_t *odd = big + 1000;	/* not page-aligned */
		const uint32_t n = BLK_BULK_MAX / 512;
		int bad = 0;

		k42_ipc_grant(odd, BLK_BULK_MAX, K42_PROT_WRITE);
		rc = blk_read_bulk((uint64_t)drv, 3000, n);
		EXPECT(rc == 0, "read_bulk of %u sectors: %ld", n, rc);
		for (uint32_t i = 0; rc == 0 && i < n; i++)
			bad += !pattern_ok(odd + i * 512, 3000 + i);
		EXPECT(bad == 0, "read_bulk: %d sectors not the host's", bad);
		k42_ipc_grant(odd, 512 * 3, K42_PROT_WRITE);
		rc = blk_read_bulk((uint64_t)drv, DISK_SECTORS - 3, 3);
		EXPECT(rc == 0 && pattern_ok(odd + 1024, DISK_SECTORS - 1), "read_bulk of the last 3: %ld", rc);
		k42_ipc_grant(odd, BLK_BULK_MAX, K42_PROT_WRITE);
		EXPECT(blk_read_bulk((uint64_t)drv, DISK_SECTORS - 3, 4) == -K42_EINVAL, "read_bulk past the end");
		k42_ipc_grant(odd, BLK_BULK_MAX + 512, K42_PROT_WRITE);
		EXPECT(blk_read_bulk((uint64_t)drv, 0, n + 1) == -K42_EINVAL, "read_bulk over bulk_max");
		EXPECT(blk_read_bulk((uint64_t)drv, 0, 8) == -K42_EINVAL, "read_bulk with no grant");
		k42_ipc_grant(odd, 4 * 512, K42_PROT_WRITE);
		EXPECT(blk_read_bulk((uint64_t)drv, 0, 8) == -K42_EINVAL, "read_bulk past the grant");
		k42_ipc_grant(odd, 8 * 512, K42_PROT_READ);
		EXPECT(blk_read_bulk((uint64_t)drv, 0, 8) == -K42_EACCES, "read_bulk into a read-only grant");
		k42_ipc_grant(odd, 8 * 512, K42_PROT_WRITE);
		EXPECT(blk_write_bulk((uint64_t)drv, 0, 8) == -K42_EACCES, "write_bulk from a write-only grant");

		for (uint32_t i = 0; i < BLK_BULK_MAX; i++)
			odd[i] = (uint8_t)(i * 31 + (i >> 9));
		k42_ipc_grant(odd, BLK_BULK_MAX, K42_PROT_READ);
		EXPECT((rc = blk_write_bulk((uint64_t)drv, 4000, n)) == 0, "write_bulk: %ld", rc);
		memset(back, 0, sizeof(back));
		k42_ipc_grant(back, BLK_BULK_MAX, K42_PROT_WRITE);
		rc = blk_read_bulk((uint64_t)drv, 4000, n);
		EXPECT(rc == 0 && memcmp(back, odd, BLK_BULK_MAX) == 0, "write_bulk read back: %ld", rc);
		/* The page-page path sees the same bytes. */
		rc = blk_read((uint64_t)drv, 4000 + n - 8, 8, buf, sizeof(buf), &len);
		EXPECT(rc == 0 && memcmp(buf, odd + BLK_BULK_MAX - 4096, 4096) == 0,
		       "write_bulk's last page by read: %ld", rc);
	}

	/* Several requests in flight: threads' calls go asynchronously
	 * (k42_ipc_call_wait), each waits for its own reply. */
	{
		k42_thread_t *t[READERS];
		uint64_t before = 0, after = 0;
		uint32_t most = 0;
		int bad = 0;

		drv_pid = (uint64_t)drv;
		EXPECT(blk_stats((uint64_t)drv, &before, &most) == 0, "stats");
		for (int i = 0; i < READERS; i++)
			t[i] = k42_thread_create(reader, (void *)(intptr_t)i);
		for (int i = 0; i < READERS; i++)
			if (t[i])
				k42_thread_join(t[i], NULL);
		for (int i = 0; i < READERS; i++)
			bad += reader_bad[i] + !t[i];
		EXPECT(bad == 0, "concurrent reads: %d bad", bad);
		rc = blk_stats((uint64_t)drv, &after, &most);
		/* How many overlap depends on timing: on an idle host the device
		 * may finish each request before the next arrives, so only the
		 * count is required (the figure is printed, not judged). */
		EXPECT(rc == 0 && after - before >= READERS * READS_EACH && most >= 1,
		       "stats: %ld, %lu requests, at most %u in flight", rc, after - before, most);
		k42_printf("blk_test: %lu requests, at most %u in flight\n", after - before, most);
	}

	/* The driver dies: its clients get errors, the kernel runs on. */
	EXPECT(k42_sc_proc_kill((uint64_t)drv) == 0, "kill the driver");
	k42_wait((uint64_t)drv, &status);
	rc = blk_info((uint64_t)drv, &sectors, &bytes);
	EXPECT(rc < 0, "a dead driver answered: %ld", rc);

	/* Restarted, it takes the device (and its interrupt) back. */
	drv = start_driver(K42_PRIV_DRIVER, DISK_ID, &pid);
	EXPECT(drv > 0, "driver did not restart: %ld", drv);
	if (drv > 0) {
		memset(buf, 0, sizeof(buf));
		rc = blk_read((uint64_t)drv, 88, 2, buf, sizeof(buf), &len);
		EXPECT(rc == 0 && memcmp(buf, mine, sizeof(mine)) == 0,
		       "after a restart sectors 88-89 differ: %ld", rc);
		rc = blk_read((uint64_t)drv, DISK_SECTORS - 1, 1, buf, sizeof(buf), &len);
		EXPECT(rc == 0 && pattern_ok(buf, DISK_SECTORS - 1), "last sector after restart: %ld", rc);
	}
	return verdict("blk_test");
}

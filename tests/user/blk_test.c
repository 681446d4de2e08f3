/*
 * The virtio-blk driver server through its IDL interface (docs/devices.md),
 * run as init on the "pattern" disk (sector n: n, then (n*7+i) & 0xff):
 * the size and sectors read are the host's; a write, flushed, reads back;
 * bad ranges are refused; without the `driver` privilege the server cannot
 * start; killed, its clients get errors and the kernel runs on; restarted,
 * the disk serves again and still holds what was written.
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

static long start_driver(uint64_t privileges, uint64_t *pid_out)
{
	const char *argv[] = { "virtio_blk", NULL };
	struct k42_spawn_opts o = { argv, K42_PRIO_SYSTEM, k42_name_server, 0, privileges, 0 };
	long pid = k42_spawn_path_ex("servers/virtio_blk", &o);
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
	drv = start_driver(0, &pid);
	EXPECT(drv < 0, "the driver served without the driver privilege: %ld", drv);

	drv = start_driver(K42_PRIV_DRIVER, &pid);
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

	/* The driver dies: its clients get errors, the kernel runs on. */
	EXPECT(k42_sc_proc_kill((uint64_t)drv) == 0, "kill the driver");
	k42_wait((uint64_t)drv, &status);
	rc = blk_info((uint64_t)drv, &sectors, &bytes);
	EXPECT(rc < 0, "a dead driver answered: %ld", rc);

	/* Restarted, it takes the device (and its interrupt) back. */
	drv = start_driver(K42_PRIV_DRIVER, &pid);
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

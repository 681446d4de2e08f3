/*
 * A pipe streamed full and empty many times between two processes (run as
 * init; docs/files.md, "Pipes"): a child writes TOTAL bytes in writes of
 * up to 1 MiB, each far more than the pipe holds, so every write fills the
 * pipe, waits for room and goes on in parts; this process reads them in
 * reads of varied sizes and checks every byte, then the end of file.
 * A writer that went on after a part written believing it was still
 * registered as a waiter slept unregistered once the reader had taken its
 * slot (or its own wake-up had): the reader then emptied the pipe and
 * waited too, for good (user/mapfile_test hung so at 1 CPU). Each side
 * prints its progress, so a hang shows where it stopped.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include "check.h"

#define TOTAL (48ul << 20)
#define CHUNK (1ul << 20)

static uint8_t buf[CHUNK];

static uint8_t byte_at(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 11) + (off >> 19));
}

static int writer(void)
{
	for (uint64_t off = 0; off < TOTAL;) {
		uint64_t n = CHUNK - (off / CHUNK % 5) * 4099;	/* never page-aligned */
		const uint8_t *p = buf;
		uint64_t left;

		if (n > TOTAL - off)
			n = TOTAL - off;
		for (uint64_t i = 0; i < n; i++)
			buf[i] = byte_at(off + i);
		for (left = n; left;) {
			long w = k42_write(1, p, left);

			if (w <= 0)
				return 2;
			p += w;
			left -= (uint64_t)w;
		}
		off += n;
	}
	return 0;
}

int main(uint64_t arg)
{
	const char *argv[] = { "pipe_storm_test", "writer", NULL };
	struct k42_spawn_opts o = { .argv = argv, .prio = K42_PRIO_GENERAL,
				    .flags = K42_SPAWN_SHARE_ARCHIVE };
	int fds[2], save1, status = -1;
	uint64_t got = 0, bad = 0, next_mark = 8ul << 20;
	const void *elf;
	uint64_t size;
	long pid, n;

	(void)arg;
	if (k42_argc >= 2 && strcmp(k42_argv[1], "writer") == 0)
		return writer();
	EXPECT(k42_pipe2(fds, K42_O_CLOEXEC) == 0, "pipe");
	save1 = k42_dup(1);
	k42_dup2(fds[1], 1);
	pid = k42_initrd_find("tests/pipe_storm_test", &elf, &size) < 0
		      ? -K42_ENOENT
		      : k42_spawn_ex(elf, size, "pipe_storm_test", &o);
	k42_dup2(save1, 1);
	k42_close(save1);
	k42_close(fds[1]);
	EXPECT(pid > 0, "spawn the writer: %ld", pid);
	if (pid <= 0)
		return verdict("pipe_storm_test");
	for (uint64_t r = 0;; r++) {
		uint64_t want = 1 + (r * 7919) % (200 * 1024);

		n = k42_read(fds[0], buf, want > CHUNK ? CHUNK : want);
		if (n <= 0)
			break;
		for (long i = 0; i < n; i++)
			if (buf[i] != byte_at(got + (uint64_t)i) && bad++ < 5)
				k42_printf("pipe_storm_test: byte %lu is %u, want %u\n", got + (uint64_t)i,
					   buf[i], byte_at(got + (uint64_t)i));
		got += (uint64_t)n;
		if (got >= next_mark) {
			k42_printf("pipe_storm_test: %lu MiB read\n", got >> 20);
			next_mark += 8ul << 20;
		}
	}
	EXPECT(n == 0, "the end of file: %ld", n);
	EXPECT(got == TOTAL, "%lu bytes read of %lu", got, TOTAL);
	EXPECT(bad == 0, "%lu wrong bytes", bad);
	EXPECT(k42_wait((uint64_t)pid, &status) == K42_PROC_EXITED && status == 0, "the writer: %d",
	       status);
	k42_printf("pipe_storm_test: %lu MiB through a pipe in parts, every byte checked\n", got >> 20);
	return verdict("pipe_storm_test");
}

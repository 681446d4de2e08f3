/*
 * Host tests of tmpfs's named pipes (servers/tmpfs/fifo.c) under ASan:
 * POSIX's ENXIO for a non-blocking writer with no reader, the counts
 * and `since` marks the open rules use, EAGAIN registering the caller,
 * who is woken at the next change, the end of file with no writer, EPIPE
 * with no reader, the 64 KiB ring filled and drained across its wrap
 * with every byte checked, whole PIPE_BUF writes, and the buffer freed
 * with the last open (LeakSanitizer).
 */
#include <stdio.h>
#include <string.h>
#include <k42/errno.h>
#include "../../servers/tmpfs/fifo.h"
#include "check.h"

static uint32_t woken[256];
static unsigned nwoken;

void tfifo_notify(uint32_t pid)
{
	if (nwoken < 256)
		woken[nwoken++] = pid;
}

static int was_woken(uint32_t pid)
{
	int hit = 0;

	for (unsigned i = 0; i < nwoken; i++)
		hit |= woken[i] == pid;
	nwoken = 0;
	return hit;
}

static void test_open_rules(void)
{
	struct tnode n;
	uint64_t rmark, wmark, m2;
	uint32_t r, w, avail, room, since;

	memset(&n, 0, sizeof(n));
	n.kind = TK_FIFO;
	CHECK(tfifo_open(&n, 1, 1, &wmark) == -K42_ENXIO && !n.fifo, "O_WRONLY|O_NONBLOCK, no reader: ENXIO\n");
	CHECK(tfifo_open(&n, 0, 0, &rmark) == 0 && n.fifo, "a reader opens\n");
	tfifo_state(&n, 0, rmark, 5, &r, &w, &avail, &room, &since);
	CHECK(r == 1 && w == 0 && avail == 0 && room == TFIFO_BYTES && since == 0,
	      "reader alone: r %u w %u since %u\n", r, w, since);
	CHECK(tfifo_open(&n, 1, 1, &wmark) == 0 && was_woken(5), "a writer opens and wakes the armed reader\n");
	tfifo_state(&n, 0, rmark, 0, &r, &w, &avail, &room, &since);
	CHECK(w == 1 && since == 1, "the reader sees the writer (since %u)\n", since);
	tfifo_close(&n, 1);
	tfifo_state(&n, 0, rmark, 0, &r, &w, &avail, &room, &since);
	CHECK(w == 0 && since == 1, "a writer that came and went still counts (since %u)\n", since);
	CHECK(tfifo_open(&n, 2, 0, &m2) == 0, "O_RDWR\n");
	tfifo_state(&n, 0, rmark, 0, &r, &w, &avail, &room, &since);
	CHECK(r == 2 && w == 1, "O_RDWR counts on both sides: r %u w %u\n", r, w);
	tfifo_close(&n, 2);
	tfifo_close(&n, 0);
	CHECK(!n.fifo, "the last close frees the fifo\n");
}

static void test_data(void)
{
	static uint8_t in[TFIFO_ATOMIC], out[TFIFO_ATOMIC];
	struct tnode n;
	uint64_t rm, wm;
	uint32_t wrote = 0, read = 0;
	long rc;

	memset(&n, 0, sizeof(n));
	n.kind = TK_FIFO;
	CHECK(tfifo_open(&n, 0, 0, &rm) == 0 && tfifo_open(&n, 1, 0, &wm) == 0, "both ends\n");
	CHECK(tfifo_read(&n, out, 10, 7) == -K42_EAGAIN, "empty with a writer: EAGAIN\n");
	/* Wrap the ring several times in odd sizes, every byte checked. */
	for (int round = 0; round < 200; round++) {
		uint32_t k = (uint32_t)(round * 997 % TFIFO_ATOMIC) + 1;

		for (uint32_t i = 0; i < k; i++)
			in[i] = (uint8_t)(wrote + i);
		while ((rc = tfifo_write(&n, in, k, 9)) == -K42_EAGAIN) {
			long got = tfifo_read(&n, out, TFIFO_ATOMIC - 1, 7);

			CHECK(got > 0, "room comes from a read (%ld)\n", got);
			CHECK(was_woken(9), "the blocked writer is woken by the read\n");
			for (long i = 0; i < got; i++)
				if (out[i] != (uint8_t)(read + i)) {
					CHECK(0, "byte %u is %u\n", read + (uint32_t)i, out[i]);
					break;
				}
			read += (uint32_t)got;
		}
		CHECK(rc == (long)k, "a write of %u goes in whole (%ld)\n", k, rc);
		wrote += k;
		nwoken = 0;
	}
	while ((rc = tfifo_read(&n, out, 3000, 7)) > 0) {
		for (long i = 0; i < rc; i++)
			if (out[i] != (uint8_t)(read + i)) {
				CHECK(0, "byte %u is %u\n", read + (uint32_t)i, out[i]);
				break;
			}
		read += (uint32_t)rc;
	}
	CHECK(rc == -K42_EAGAIN && read == wrote, "drained: %u of %u\n", read, wrote);
	tfifo_close(&n, 1);
	CHECK(was_woken(7), "the writer's close wakes the reader\n");
	CHECK(tfifo_read(&n, out, 10, 7) == 0, "no writer: end of file\n");
	CHECK(tfifo_open(&n, 1, 0, &wm) == 0, "writer again\n");
	tfifo_close(&n, 0);
	CHECK(tfifo_write(&n, in, 1, 9) == -K42_EPIPE, "no reader: EPIPE\n");
	tfifo_close(&n, 1);
	CHECK(!n.fifo, "freed\n");
}

int main(void)
{
	test_open_rules();
	test_data();
	return check_done("libk42/fifo");
}

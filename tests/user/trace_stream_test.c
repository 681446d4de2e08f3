/*
 * Trace streaming from a running system (trace/stream in tools/testrun.py,
 * which boots with ./k42 trace --stream's arguments and runs this from the
 * shell): phase 1 logs PHASE1 numbered app markers and waits for a line on
 * the console, which the host types only once every one of them has come
 * out of the stream while k42 is still up; phase 2 logs PHASE2 markers as
 * fast as it can while the host has stopped reading, so the rings overrun
 * and their writers must drop and count; then it waits for a last line.
 * The host checks the rest (arrival, order, loss counted).
 */
#include <k42/fs.h>
#include <k42/ktrace.h>
#include "check.h"

#define PHASE1 2000u
#define PHASE2 400000u
#define MARK1 0x51000000u
#define MARK2 0x52000000u

static void wait_line(const char *what)
{
	char buf[32];
	long n;

	k42_printf("trace_stream_test: %s\n", what);
	n = k42_read(0, buf, sizeof(buf));
	EXPECT(n > 0, "a line from the host: %ld", n);
}

int main(uint64_t arg)
{
	(void)arg;
	EXPECT(k42_trace_mask() & K42_TRACE_MASK_APP, "app events enabled");
	EXPECT(k42_trace_attach() == 0, "attaching to the trace buffers");
	EXPECT(k42_trace_user_bufs[0].ring && k42_trace_user_bufs[0].mode == K42_TRACE_MODE_STREAM,
	       "the rings are in stream mode");
	for (uint32_t i = 0; i < PHASE1; i++)
		trace_app_marker(MARK1 + i);
	wait_line("phase 1 logged; waiting");
	for (uint32_t i = 0; i < PHASE2; i++)
		trace_app_marker(MARK2 + i);
	wait_line("phase 2 logged; waiting");
	return verdict("trace_stream_test");
}

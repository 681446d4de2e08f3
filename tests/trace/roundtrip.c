/*
 * Round trip, writer half: log thousands of events of every table kind
 * (through the generated typed functions) plus raw events of unknown ids
 * into host buffers — tiny blocks, wrapped rings, several CPUs, timebase
 * jumps past 2^31 and 2^32, classes switched on and off, stream mode with
 * a consumer that falls behind and seals blocks early — then dump the buffers and write what was
 * logged as JSON lines. run_roundtrip.py decodes the dumps with k42trace
 * and compares event by event.
 *
 * usage: trace-roundtrip OUTDIR
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Structures first, as a per-CPU area header does; the writer comes later. */
#define K42_TRACE_NO_WRITER
#include <k42/trace.h>
#undef K42_TRACE_NO_WRITER

#include <k42/trace_events.h>
#include <k42/trace_selftest.h>

static uint64_t host_time;
static uint64_t host_mask;
static struct k42_trace_buf *host_buf;

static inline uint64_t k42_trace_now(void) { return host_time; }
static inline uint64_t k42_trace_mask(void) { return host_mask; }
static inline struct k42_trace_buf *k42_trace_cpu_buf(void) { return host_buf; }

#include "tracehost.h"

#define RAW_MAJOR 60	/* not in events.tbl: decoded as raw */
#define MAX_CPUS 4

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

struct rt_case {
	const char *name;
	unsigned ncpus, block_shift, ring_shift, mode;
	unsigned nevents;
	int big_jumps;		/* advance the timebase past 2^31 / 2^32 now and then */
	int raw;		/* also log raw events of unknown ids and random lengths */
	int toggle;		/* switch classes off and on */
	unsigned drain_pct;	/* stream mode: chance of draining after an event */
};

static const struct rt_case cases[] = {
	{ "flight-wrap", 3, 5, 8, K42_TRACE_MODE_FLIGHT, 20000, 1, 1, 1, 0 },
	{ "flight-whole", 1, 9, 17, K42_TRACE_MODE_FLIGHT, 12000, 1, 1, 1, 0 },
	{ "flight-jumps", 2, 6, 14, K42_TRACE_MODE_FLIGHT, 3000, 2, 0, 0, 0 },
	{ "stream", 2, 6, 8, K42_TRACE_MODE_STREAM, 12000, 1, 1, 1, 3 },
};

static void json_words(FILE *out, const uint64_t *w, unsigned n)
{
	unsigned i;

	fputc('[', out);
	for (i = 0; i < n; i++)
		fprintf(out, "%s%" PRIu64, i ? "," : "", w[i]);
	fputc(']', out);
}

/* Pack a string field as the table defines it (independently of the header). */
static unsigned pack_str(uint64_t *w, const char *s, unsigned nbytes)
{
	unsigned char bytes[64] = { 0 };
	size_t n = strnlen(s, nbytes);
	unsigned i, k;

	memcpy(bytes, s, n);
	for (i = 0; i < nbytes / 8; i++) {
		w[i] = 0;
		for (k = 0; k < 8; k++)
			w[i] |= (uint64_t)bytes[8 * i + k] << (8 * k);
	}
	return nbytes / 8;
}

static void drain(struct th_cpu *c, struct th_dump *d, uint64_t *scratch)
{
	uint64_t seq = k42_trace_stream_next(&c->buf);
	struct k42_trace_dump_seg seg;

	/* A consumer closes a block that is slow to fill (trace_stream does
	 * after a quiet while): every event before the seal must still decode. */
	if (rnd_below(3) == 0)
		k42_trace_stream_seal(&c->buf, k42_trace_now());
	while (k42_trace_stream_ready(&c->buf, seq) && k42_trace_stream_settled(&c->buf, seq)) {
		k42_trace_stream_take(&c->buf, seq, &seg, scratch);
		th_dump_seg(d, &seg, scratch);
		seq++;
	}
}

static void run_case(const struct rt_case *tc, const char *dir, FILE *exp)
{
	struct th_cpu cpus[MAX_CPUS];
	struct th_dump dump;
	char path[512];
	uint64_t *scratch = malloc(sizeof(uint64_t) << tc->block_shift);
	static const char *const names[] = { "init", "name-server", "x", "", "a-very-long-process-name" };
	unsigned i, c;

	if (scratch == NULL)
		th_die("out of memory");
	for (c = 0; c < tc->ncpus; c++)
		th_cpu_init(&cpus[c], c, tc->block_shift, tc->ring_shift, tc->mode);
	snprintf(path, sizeof(path), "%s/%s.k42t", dir, tc->name);
	th_dump_open(&dump, path, ~0ull);
	host_mask = ~0ull;
	host_time = 0x7ffff000ull + rnd_below(1u << 20);
	for (i = 0; i < tc->nevents; i++) {
		struct th_cpu *cpu = &cpus[rnd_below(tc->ncpus)];
		uint64_t a[8], words[256], before;
		const char *strs[2];
		unsigned l, M, m, nw = 0, k, major, sn = 0;
		int logged;

		host_buf = &cpu->buf;
		host_time += 1 + rnd_below(400);
		if (tc->big_jumps && rnd_below(300 / tc->big_jumps) == 0) {
			host_time += (rnd_below(2) ? 1ull << 31 : 1ull << 32) + rnd_below(1ull << 32);
			/* The clock's owner (the kernel's decrementer interrupt)
			 * came by meanwhile, as it does at least every 2^31 ticks;
			 * now and then it finds a block only a little too old. */
			for (c = 0; c < tc->ncpus; c++)
				k42_trace_keep_time(&cpus[c].buf, host_time);
		} else if (tc->big_jumps && rnd_below(200) == 0) {
			host_time += K42_TRACE_TS_MAX_AGE;
			for (c = 0; c < tc->ncpus; c++)
				k42_trace_keep_time(&cpus[c].buf, host_time);
		}
		if (tc->toggle && rnd_below(40) == 0)
			host_mask ^= 1ull << (rnd_below(4) == 0 ? RAW_MAJOR : 1 + rnd_below(48));
		before = cpu->ctl->index;
		if (tc->raw && rnd_below(8) == 0) {
			/* A raw event: unknown id, 1..24 words; now and then 200 words. */
			unsigned len = rnd_below(50) == 0 ? 200 : 1 + (unsigned)rnd_below(24);

			l = K42_TRACE_LAYER_APP;
			M = RAW_MAJOR;
			m = 1 + (unsigned)rnd_below(1000);
			for (k = 0; k + 1 < len; k++)
				words[k] = rnd();
			nw = len - 1;
			major = RAW_MAJOR;
			k42_trace_log(RAW_MAJOR, K42_TRACE_ID(l, M, m), len, words);
		} else {
			unsigned ev = (unsigned)rnd_below(K42_TRACE_SELFTEST_NEVENTS);
			const struct k42_trace_selftest_event *te = &k42_trace_selftest_events[ev];

			for (k = 0; k < te->nfields; k++) {
				a[k] = rnd_below(3) ? rnd_below(1000) : rnd();
				if (te->types[k] == 's') {
					strs[sn++] = names[rnd_below(5)];
					nw += pack_str(&words[nw], strs[sn - 1], te->str_bytes);
				} else {
					words[nw++] = a[k];
				}
			}
			k42_trace_selftest_call(ev, a, strs);
			l = (unsigned)((te->id >> K42_TRACE_LAYER_SHIFT) & K42_TRACE_LAYER_MASK);
			M = (unsigned)((te->id >> K42_TRACE_MAJOR_SHIFT) & K42_TRACE_MAJOR_MASK);
			m = (unsigned)(te->id & K42_TRACE_MINOR_MASK);
			major = te->major;
		}
		logged = cpu->ctl->index != before;
		if (!(host_mask & (1ull << major))) {
			if (logged)
				th_die("an event of a disabled class was logged");
			continue;
		}
		fprintf(exp, "{\"case\":\"%s\",\"cpu\":%u,\"ts\":%" PRIu64 ",\"id\":[%u,%u,%u],"
			"\"dropped\":%s,\"w\":", tc->name, (unsigned)(cpu - cpus), host_time,
			l, M, m, logged ? "false" : "true");
		json_words(exp, words, nw);
		fputs(",\"s\":[", exp);
		for (k = 0; k < sn; k++)
			fprintf(exp, "%s\"%.*s\"", k ? "," : "", 16, strs[k]);
		fputs("]}\n", exp);
		if (tc->mode == K42_TRACE_MODE_STREAM && rnd_below(100) < tc->drain_pct)
			drain(cpu, &dump, scratch);
	}
	for (c = 0; c < tc->ncpus; c++) {
		if (tc->mode == K42_TRACE_MODE_STREAM)
			drain(&cpus[c], &dump, scratch);
		th_dump_snapshot(&dump, &cpus[c]);
		th_cpu_free(&cpus[c]);
	}
	th_dump_close(&dump);
	free(scratch);
}

/* The set-up calls refuse what they must refuse. */
static void check_setup(void)
{
	struct th_cpu c;
	struct k42_trace_buf b;
	uint64_t ring[64];

	if (k42_trace_buf_init(&b, (struct k42_trace_ctl *)ring, ring, 4, 6, 0, 0) != -K42_EINVAL ||
	    k42_trace_buf_init(&b, (struct k42_trace_ctl *)ring, ring, 5, 5, 0, 0) != -K42_EINVAL ||
	    k42_trace_buf_init(&b, (struct k42_trace_ctl *)ring, ring, 17, 20, 0, 0) != -K42_EINVAL ||
	    k42_trace_buf_init(&b, (struct k42_trace_ctl *)ring, ring, 5, 6, 0, 7) != -K42_EINVAL)
		th_die("k42_trace_buf_init accepted a bad geometry or mode");
	th_cpu_init(&c, 3, 6, 10, K42_TRACE_MODE_FLIGHT);
	if (c.ring[0] != 0 || c.ring[1023] != 0 || c.ctl->index != 0)
		th_die("k42_trace_buf_init did not clear the ring");
	if (k42_trace_buf_attach(&b, c.ctl, c.ring, 1024) != 0 || b.ring_mask != 1023 ||
	    b.block_mask != 63 || b.cpu != 3)
		th_die("k42_trace_buf_attach refused or misread a good buffer");
	if (k42_trace_buf_attach(&b, c.ctl, c.ring, 512) != -K42_EINVAL)
		th_die("k42_trace_buf_attach accepted a mapping smaller than the ring");
	c.ctl->block_shift = 2;
	if (k42_trace_buf_attach(&b, c.ctl, c.ring, 1024) != -K42_EINVAL)
		th_die("k42_trace_buf_attach accepted a corrupt geometry");
	c.ctl->block_shift = 6;
	c.ctl->magic = 0;
	if (k42_trace_buf_attach(&b, c.ctl, c.ring, 1024) != -K42_EINVAL)
		th_die("k42_trace_buf_attach accepted a bad magic");
	/* A NULL buffer (tracing not set up on this CPU) logs nothing, safely. */
	host_buf = NULL;
	host_mask = ~0ull;
	trace_ppc_call(1, 2, 3);
	trace_proc_create(1, 0, NULL);
	th_cpu_free(&c);
}

int main(int argc, char **argv)
{
	char path[512];
	FILE *exp;
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	check_setup();
	snprintf(path, sizeof(path), "%s/expected.jsonl", argv[1]);
	exp = fopen(path, "w");
	if (exp == NULL)
		th_die(path);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], argv[1], exp);
	if (fclose(exp) != 0)
		th_die("write expectations");
	printf("roundtrip: wrote %zu cases to %s\n", sizeof(cases) / sizeof(cases[0]), argv[1]);
	return 0;
}

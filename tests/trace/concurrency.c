/*
 * Concurrency, writer half: several host threads log into ONE buffer at
 * once, as the kernel and the processes on one CPU do when they preempt
 * each other mid-event. Stalls are injected at the writer's two delicate
 * points (index advanced but nothing written; payload written but header
 * not committed), some writers "die" mid-event, and a reader takes
 * snapshots while they run. A second phase runs stream mode with a
 * consumer thread. run_concurrency.py then checks that the decoder finds
 * every committed event, exactly once, and never a torn one.
 *
 * usage: trace-concurrency OUTDIR
 * Writes OUTDIR/final.k42t, snap-N.k42t, stream.k42t and expected.txt:
 *   C tid seq   committed      P tid seq   died after the pending header
 *   U tid seq   died before writing anything
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_stall(int point);
#define K42_TRACE_TEST_PREEMPT(point) test_stall(point)

#include <k42/trace_events.h>

static uint64_t host_clock = 1;
static struct k42_trace_buf *host_buf;

static inline uint64_t k42_trace_now(void)
{
	return __atomic_fetch_add(&host_clock, 1, __ATOMIC_SEQ_CST);
}
static inline uint64_t k42_trace_mask(void) { return ~0ull; }
static inline struct k42_trace_buf *k42_trace_cpu_buf(void) { return host_buf; }

#include "tracehost.h"

#define RAW_MAJOR 60
#define WRITERS 6
#define EVENTS 15000
#define SNAPSHOTS 5
#define STREAM_WRITERS 4
#define STREAM_EVENTS 10000

static __thread uint64_t tl_rng;
static __thread int tl_stalls = 1;

static uint64_t next_rnd(void)
{
	uint64_t x = tl_rng ? tl_rng : 0x853c49e6748fea9bull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	tl_rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

static void test_stall(int point)
{
	uint64_t r;

	if (!tl_stalls)
		return;
	r = next_rnd() % 4096;
	if (r < 48)
		sched_yield();
	else if (r < 50 + (uint64_t)point)
		usleep(100);
}

/* The payload both halves agree on (splitmix64). */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static unsigned raw_len(uint64_t tid, uint64_t seq)
{
	return 2 + (unsigned)((seq * 7 + tid) % 11);
}

struct writer {
	pthread_t th;
	unsigned tid;
	unsigned nevents;
	int may_die;
	FILE *log;		/* private: merged into expected.txt after join */
	char *logbuf;
	size_t loglen;
};

static void log_raw(uint64_t tid, uint64_t seq, int die)
{
	uint64_t p[16];
	unsigned len = raw_len(tid, seq), k;
	struct k42_trace_slot s;

	p[0] = tid << 32 | seq;
	for (k = 1; k + 1 < len; k++)
		p[k] = mix(p[0] * 16 + k);
	if (!die) {
		k42_trace_log(RAW_MAJOR, K42_TRACE_ID(K42_TRACE_LAYER_APP, RAW_MAJOR, 7), len, p);
		return;
	}
	if (die == 'U') {
		/* Advance the index and vanish before writing a word. */
		struct k42_trace_claim c = k42_trace_claim_fast(host_buf, len);

		if (!c.ok)
			(void)k42_trace_claim_slow(host_buf, len);
		return;
	}
	/* Write the pending header and half the payload, then vanish. */
	s = k42_trace_reserve(host_buf, K42_TRACE_ID(K42_TRACE_LAYER_APP, RAW_MAJOR, 7), len);
	if (s.w == NULL)
		th_die("reserve failed in a ring that cannot fill");
	for (k = 1; k < len / 2; k++)
		k42_trace_put(s, k, p[k - 1]);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t seq;

	tl_rng = mix(w->tid + 1);
	for (seq = 0; seq < w->nevents; seq++) {
		uint64_t r = next_rnd() % 1000;
		int die = 0;

		if (w->may_die && r < 2)
			die = r == 0 ? 'U' : 'P';
		if (die) {
			log_raw(w->tid, seq, die);
			fprintf(w->log, "%c %u %" PRIu64 "\n", die, w->tid, seq);
			continue;
		}
		if (r < 300)
			trace_app_event((uint64_t)w->tid << 32 | seq, mix((uint64_t)w->tid << 32 | seq));
		else
			log_raw(w->tid, seq, 0);
		fprintf(w->log, "C %u %" PRIu64 "\n", w->tid, seq);
	}
	return NULL;
}

struct snapper {
	const struct th_cpu *cpu;
	const char *dir;
	volatile int *stop;
	int taken;
};

static void *snapper_main(void *arg)
{
	struct snapper *sn = arg;
	char path[512];

	tl_stalls = 0;
	while (sn->taken < SNAPSHOTS && !*sn->stop) {
		struct th_dump d;

		usleep(2000);
		snprintf(path, sizeof(path), "%s/snap-%d.k42t", sn->dir, sn->taken);
		th_dump_open(&d, path, ~0ull);
		th_dump_snapshot(&d, sn->cpu);
		th_dump_close(&d);
		sn->taken++;
	}
	return NULL;
}

struct consumer {
	struct th_cpu *cpu;
	struct th_dump *dump;
	volatile int *stop;
	uint64_t taken;
};

/*
 * Drain blocks once they are settled (every event in them committed), as a
 * real consumer must; start only once the writers have had to drop events,
 * and fall behind now and then, so that both paths are exercised.
 */
static void *consumer_main(void *arg)
{
	struct consumer *cs = arg;
	uint64_t *scratch = malloc(sizeof(uint64_t) << cs->cpu->buf.block_shift);
	struct k42_trace_dump_seg seg;
	uint64_t paused_at = ~0ull;

	tl_stalls = 0;
	if (scratch == NULL)
		th_die("out of memory");
	while (__atomic_load_n(&cs->cpu->ctl->lost, __ATOMIC_RELAXED) == 0 && !*cs->stop)
		usleep(100);
	for (;;) {
		uint64_t seq = k42_trace_stream_next(&cs->cpu->buf);
		int stop = *cs->stop;

		if (cs->taken % 100 == 0 && cs->taken != paused_at && !stop) {
			paused_at = cs->taken;
			usleep(3000);
		}
		if (k42_trace_stream_ready(&cs->cpu->buf, seq) &&
		    k42_trace_stream_settled(&cs->cpu->buf, seq)) {
			k42_trace_stream_take(&cs->cpu->buf, seq, &seg, scratch);
			th_dump_seg(cs->dump, &seg, scratch);
			cs->taken++;
		} else if (stop) {
			break;
		} else if (next_rnd() % 4 == 0) {
			usleep(50);
		}
	}
	free(scratch);
	return NULL;
}

static void start_writers(struct writer *w, unsigned n, unsigned nevents, int may_die)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		w[i].tid = i;
		w[i].nevents = nevents;
		w[i].may_die = may_die;
		w[i].log = open_memstream(&w[i].logbuf, &w[i].loglen);
		if (w[i].log == NULL || pthread_create(&w[i].th, NULL, writer_main, &w[i]) != 0)
			th_die("start writer");
	}
}

static void join_writers(struct writer *w, unsigned n, FILE *exp, const char *phase)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (pthread_join(w[i].th, NULL) != 0 || fclose(w[i].log) != 0)
			th_die("join writer");
		fprintf(exp, "# %s\n", phase);
		fwrite(w[i].logbuf, 1, w[i].loglen, exp);
		free(w[i].logbuf);
	}
}

int main(int argc, char **argv)
{
	struct writer w[WRITERS];
	struct th_cpu cpu, scpu;
	struct snapper sn;
	struct consumer cs;
	struct th_dump d;
	pthread_t snap_th, cons_th;
	volatile int stop = 0;
	char path[512];
	FILE *exp;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/expected.txt", argv[1]);
	exp = fopen(path, "w");
	if (exp == NULL)
		th_die(path);

	/* Phase 1: flight mode, a ring big enough never to wrap. */
	th_cpu_init(&cpu, 0, 9, 20, K42_TRACE_MODE_FLIGHT);
	host_buf = &cpu.buf;
	sn.cpu = &cpu;
	sn.dir = argv[1];
	sn.stop = &stop;
	sn.taken = 0;
	start_writers(w, WRITERS, EVENTS, 1);
	if (pthread_create(&snap_th, NULL, snapper_main, &sn) != 0)
		th_die("start snapper");
	join_writers(w, WRITERS, exp, "flight");
	stop = 1;
	pthread_join(snap_th, NULL);
	snprintf(path, sizeof(path), "%s/final.k42t", argv[1]);
	th_dump_open(&d, path, ~0ull);
	th_dump_snapshot(&d, &cpu);
	th_dump_close(&d);
	fprintf(exp, "# snapshots %d\n", sn.taken);
	if (cpu.ctl->index >= (1ull << 20))
		th_die("phase 1 ring wrapped: make it bigger");

	/* Phase 2: stream mode, a small ring and a consumer that falls behind. */
	th_cpu_init(&scpu, 1, 8, 14, K42_TRACE_MODE_STREAM);
	host_buf = &scpu.buf;
	snprintf(path, sizeof(path), "%s/stream.k42t", argv[1]);
	th_dump_open(&d, path, ~0ull);
	stop = 0;
	cs.cpu = &scpu;
	cs.dump = &d;
	cs.stop = &stop;
	cs.taken = 0;
	start_writers(w, STREAM_WRITERS, STREAM_EVENTS, 0);
	if (pthread_create(&cons_th, NULL, consumer_main, &cs) != 0)
		th_die("start consumer");
	join_writers(w, STREAM_WRITERS, exp, "stream");
	stop = 1;
	pthread_join(cons_th, NULL);
	th_dump_snapshot(&d, &scpu);	/* the partial last block */
	th_dump_close(&d);
	fprintf(exp, "# stream blocks %" PRIu64 " lost-unreported %" PRIu64 "\n", cs.taken,
		scpu.ctl->lost);
	if (fclose(exp) != 0)
		th_die("write expectations");
	th_cpu_free(&cpu);
	th_cpu_free(&scpu);
	printf("concurrency: %d snapshots, %" PRIu64 " stream blocks\n", sn.taken, cs.taken);
	return 0;
}

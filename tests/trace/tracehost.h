/*
 * Host-test helpers shared by roundtrip.c and concurrency.c: ring
 * allocation and writing dump files in the format of <k42/trace.h>. Each
 * test defines the three trace hooks itself, before including this.
 */
#ifndef TRACEHOST_H
#define TRACEHOST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <k42/trace_events.h>

#define TH_TIMEBASE_HZ 512000000ull

static inline void th_die(const char *what)
{
	fprintf(stderr, "FAIL: %s\n", what);
	exit(1);
}

/* A CPU's buffer with its own control structure and ring. */
struct th_cpu {
	struct k42_trace_ctl *ctl;
	uint64_t *ring;
	struct k42_trace_buf buf;
};

static inline void th_cpu_init(struct th_cpu *c, unsigned cpu, unsigned block_shift,
			       unsigned ring_shift, unsigned mode)
{
	c->ctl = aligned_alloc(K42_TRACE_CACHE_LINE, sizeof(*c->ctl));
	c->ring = aligned_alloc(K42_TRACE_CACHE_LINE, sizeof(uint64_t) << ring_shift);
	if (c->ctl == NULL || c->ring == NULL)
		th_die("out of memory");
	memset(c->ring, 0xa5, sizeof(uint64_t) << ring_shift);	/* init must clear it */
	if (k42_trace_buf_init(&c->buf, c->ctl, c->ring, block_shift, ring_shift, cpu, mode) != 0)
		th_die("k42_trace_buf_init refused a good geometry");
}

static inline void th_cpu_free(struct th_cpu *c)
{
	free(c->ctl);
	free(c->ring);
}

/* A dump being written: a header now, segments as they come, nsegs at the end. */
struct th_dump {
	FILE *f;
	struct k42_trace_dump_header hdr;
};

static inline void th_dump_open(struct th_dump *d, const char *path, uint64_t mask)
{
	d->f = fopen(path, "wb");
	if (d->f == NULL)
		th_die(path);
	k42_trace_dump_header_init(&d->hdr, TH_TIMEBASE_HZ, mask, K42_TRACE_TABLE_HASH, 0);
	if (fwrite(&d->hdr, sizeof(d->hdr), 1, d->f) != 1)
		th_die("write dump header");
}

static inline void th_dump_seg(struct th_dump *d, const struct k42_trace_dump_seg *seg,
			       const uint64_t *words)
{
	size_t n = (size_t)seg->data_blocks << seg->block_shift;

	if (fwrite(seg, sizeof(*seg), 1, d->f) != 1 || fwrite(words, sizeof(uint64_t), n, d->f) != n)
		th_die("write dump segment");
	d->hdr.nsegs++;
}

/* Snapshot a whole buffer into the dump, as a kernel dumper would. */
static inline void th_dump_snapshot(struct th_dump *d, const struct th_cpu *c)
{
	struct k42_trace_dump_seg seg;
	uint64_t *copy = malloc(sizeof(uint64_t) << c->buf.ring_shift);

	if (copy == NULL)
		th_die("out of memory");
	k42_trace_snapshot(&c->buf, &seg, copy);
	th_dump_seg(d, &seg, copy);
	free(copy);
}

static inline void th_dump_close(struct th_dump *d)
{
	if (fseek(d->f, 0, SEEK_SET) != 0 || fwrite(&d->hdr, sizeof(d->hdr), 1, d->f) != 1 ||
	    fclose(d->f) != 0)
		th_die("finish dump");
}

#endif

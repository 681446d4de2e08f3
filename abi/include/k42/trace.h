/*
 * k42 tracing core: the event format, the per-CPU buffer and the lock-free
 * writer shared by the kernel, libk42, servers and applications. The event
 * table (abi/trace/events.tbl) and tools/gen_trace.py build the typed
 * per-event functions on top of this file (<k42/trace_events.h>, in the
 * build directory). docs/tracing.md is the full contract; in brief:
 *
 * Event header word (events are whole 64-bit words, header first):
 *   [63:32] timestamp, low 32 bits of the timebase
 *   [31:24] length in words, header included (1..255)
 *   [23:20] layer: 0 kernel, 1 libk42, 2 server, 3 app; 15 = still being written
 *   [19:14] major class (0..63), the unit of run-time enabling
 *   [13:10] lap tag: (word index >> ring_shift) & 15, tells fresh words from stale
 *   [9:0]   minor id within the class (1..1023; 0 is never used)
 *
 * Buffer: per CPU, a ring of 2^n blocks of 2^m words. A free-running word
 * index in the shared control structure is advanced with compare-and-swap
 * (larx/stcx. on ppc64). Events never cross a block: an event that would is
 * preceded by a filler, and every block opens with a block-header event
 * holding the full timebase, the block sequence number and the CPU.
 *
 * Commit protocol, so a preempted or killed writer never yields a torn event:
 * the writer stores the header with layer 15 ("pending") first, then the
 * payload, then the real header with release ordering. The decoder skips a
 * pending event by its length and never shows it; words from an older lap
 * of the ring carry another lap tag and are not taken for events.
 *
 * The includer provides three hooks (static inline, anywhere in the
 * translation unit), normally in one wrapper header per layer:
 *   uint64_t k42_trace_now(void);                   timebase (mftb), or a test counter
 *   uint64_t k42_trace_mask(void);                  the enabled-class mask: one load
 *   struct k42_trace_buf *k42_trace_cpu_buf(void);  this CPU's buffer, or NULL
 * Define K42_TRACE_NO_WRITER to use only the structures (dumpers, set-up, a
 * per-CPU area that embeds a struct k42_trace_buf); including this file
 * again without it then adds the writer. Define K42_TRACE_ENABLED to 0 to
 * compile every event out.
 *
 * Freestanding: needs only <stdint.h>, <stddef.h>, <stdbool.h> and <k42/errno.h>.
 */
#ifndef K42_TRACE_H
#define K42_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <k42/errno.h>

#ifndef K42_TRACE_ENABLED
#define K42_TRACE_ENABLED 1
#endif

/* ---- the header word ---- */

#define K42_TRACE_TS_SHIFT     32
#define K42_TRACE_LEN_SHIFT    24
#define K42_TRACE_LEN_MASK     0xffull
#define K42_TRACE_LAYER_SHIFT  20
#define K42_TRACE_LAYER_MASK   0xfull
#define K42_TRACE_MAJOR_SHIFT  14
#define K42_TRACE_MAJOR_MASK   0x3full
#define K42_TRACE_TAG_SHIFT    10
#define K42_TRACE_TAG_MASK     0xfull
#define K42_TRACE_MINOR_SHIFT  0
#define K42_TRACE_MINOR_MASK   0x3ffull

#define K42_TRACE_LAYER_KERNEL  0
#define K42_TRACE_LAYER_LIBK42  1
#define K42_TRACE_LAYER_SERVER  2
#define K42_TRACE_LAYER_APP     3
#define K42_TRACE_LAYER_PENDING 15	/* header of an event not yet committed */

#define K42_TRACE_MAX_WORDS     255u	/* longest event, header included */
#define K42_TRACE_MAX_CLASSES   64u
#define K42_TRACE_MAX_MINOR     1023u

/* The identity bits of a header: layer, major and minor, at their places. */
#define K42_TRACE_ID(layer, major, minor)				\
	(((uint64_t)(layer) << K42_TRACE_LAYER_SHIFT) |			\
	 ((uint64_t)(major) << K42_TRACE_MAJOR_SHIFT) |			\
	 ((uint64_t)(minor) << K42_TRACE_MINOR_SHIFT))
#define K42_TRACE_ID_BITS						\
	((K42_TRACE_LAYER_MASK << K42_TRACE_LAYER_SHIFT) |		\
	 (K42_TRACE_MAJOR_MASK << K42_TRACE_MAJOR_SHIFT) |		\
	 (K42_TRACE_MINOR_MASK << K42_TRACE_MINOR_SHIFT))
#define K42_TRACE_CLASS_BIT(major) (1ull << (major))

static inline uint64_t k42_trace_hdr(uint64_t ts, unsigned len, uint64_t id, unsigned tag)
{
	return (ts << K42_TRACE_TS_SHIFT) |
	       (((uint64_t)len & K42_TRACE_LEN_MASK) << K42_TRACE_LEN_SHIFT) |
	       (((uint64_t)tag & K42_TRACE_TAG_MASK) << K42_TRACE_TAG_SHIFT) |
	       (id & K42_TRACE_ID_BITS);
}
static inline uint32_t k42_trace_hdr_ts(uint64_t h)    { return (uint32_t)(h >> K42_TRACE_TS_SHIFT); }
static inline unsigned k42_trace_hdr_len(uint64_t h)   { return (unsigned)((h >> K42_TRACE_LEN_SHIFT) & K42_TRACE_LEN_MASK); }
static inline unsigned k42_trace_hdr_layer(uint64_t h) { return (unsigned)((h >> K42_TRACE_LAYER_SHIFT) & K42_TRACE_LAYER_MASK); }
static inline unsigned k42_trace_hdr_major(uint64_t h) { return (unsigned)((h >> K42_TRACE_MAJOR_SHIFT) & K42_TRACE_MAJOR_MASK); }
static inline unsigned k42_trace_hdr_tag(uint64_t h)   { return (unsigned)((h >> K42_TRACE_TAG_SHIFT) & K42_TRACE_TAG_MASK); }
static inline unsigned k42_trace_hdr_minor(uint64_t h) { return (unsigned)((h >> K42_TRACE_MINOR_SHIFT) & K42_TRACE_MINOR_MASK); }

/*
 * Control events, written by the writer itself (<k42/trace_writer.h>). Their numbers are
 * fixed here and restated in events.tbl; the generated header checks that
 * the two agree.
 */
#define K42_TRACE_CLASS_CONTROL   0
#define K42_TRACE_MINOR_BLOCK     1	/* tb, seq, info: opens every block */
#define K42_TRACE_MINOR_FILLER    2	/* the rest of this block is unused */
#define K42_TRACE_MINOR_LOST      3	/* count: events dropped since the last report */
#define K42_TRACE_ID_BLOCK  K42_TRACE_ID(K42_TRACE_LAYER_KERNEL, K42_TRACE_CLASS_CONTROL, K42_TRACE_MINOR_BLOCK)
#define K42_TRACE_ID_FILLER K42_TRACE_ID(K42_TRACE_LAYER_KERNEL, K42_TRACE_CLASS_CONTROL, K42_TRACE_MINOR_FILLER)
#define K42_TRACE_ID_LOST   K42_TRACE_ID(K42_TRACE_LAYER_KERNEL, K42_TRACE_CLASS_CONTROL, K42_TRACE_MINOR_LOST)
#define K42_TRACE_BLOCK_WORDS_HDR 4u	/* length of the block-header event */
#define K42_TRACE_LOST_WORDS      2u

/*
 * Block header payload, word 3 ("info"): the CPU and the geometry, so the
 * decoder can cross-check a block on its own.
 *   [31:0] cpu   [39:32] block_shift   [47:40] ring_shift   [55:48] mode
 */
static inline uint64_t k42_trace_block_info(uint32_t cpu, unsigned block_shift,
					    unsigned ring_shift, unsigned mode)
{
	return (uint64_t)cpu | ((uint64_t)(block_shift & 0xff) << 32) |
	       ((uint64_t)(ring_shift & 0xff) << 40) | ((uint64_t)(mode & 0xff) << 48);
}

/*
 * Time. An event's header holds the low 32 bits of its timebase, its
 * block's header the full 64: the decoder takes an event's time as the
 * block's plus the difference of the low halves, read as a number in
 * [-K42_TRACE_TS_BACK, 2^32 - K42_TRACE_TS_BACK). The inline writer does
 * not look at the time; instead whoever owns a CPU's clock calls
 * k42_trace_keep_time() at least every 2^31 ticks (the kernel: every
 * decrementer interrupt, which the 32-bit DEC raises at least that often),
 * which closes a block whose header is K42_TRACE_TS_MAX_AGE old. So no
 * event comes more than about 2^29 + 2^31 ticks after its block header,
 * which leaves 2^29 ticks (1 s at 512 MHz) for a late interrupt.
 * K42_TRACE_TS_HORIZON is the slow path's own rule: it does not add to a
 * block whose header is that old.
 */
#define K42_TRACE_TS_HORIZON (1ll << 31)
#define K42_TRACE_TS_MAX_AGE (1ll << 29)
#define K42_TRACE_TS_BACK    (1ll << 30)

/* ---- geometry ---- */

#define K42_TRACE_MIN_BLOCK_SHIFT 5	/* 32 words */
#define K42_TRACE_MAX_BLOCK_SHIFT 16	/* 65536 words */
#define K42_TRACE_MAX_RING_SHIFT  32	/* 2^32 words = 32 GiB per CPU */

/* Buffer modes. */
#define K42_TRACE_MODE_FLIGHT 0	/* the ring overwrites its oldest block */
#define K42_TRACE_MODE_STREAM 1	/* a consumer drains blocks; when full, events are dropped and counted */

#define K42_TRACE_CTL_MAGIC   0x004c54435432344bull	/* "K42TCTL\0" little-endian */
#define K42_TRACE_VERSION     1u
#define K42_TRACE_CACHE_LINE  128	/* POWER9 */

/*
 * The per-CPU control structure, shared (read-write) by the kernel and every
 * process on that CPU. Writers only ever touch `index` and `lost`; the geometry fields are for readers and k42_trace_buf_attach(): a writer
 * uses its own trusted copy in struct k42_trace_buf, so a process that
 * scribbles here can spoil the trace but never make the kernel write
 * outside the ring.
 */
struct k42_trace_ctl {
	uint64_t magic;			/* K42_TRACE_CTL_MAGIC */
	uint32_t version;		/* K42_TRACE_VERSION */
	uint32_t cpu;
	uint32_t block_shift;		/* log2 of the words in a block */
	uint32_t ring_shift;		/* log2 of the words in the ring */
	uint32_t mode;			/* K42_TRACE_MODE_* */
	uint32_t reserved0;
	uint8_t pad0[K42_TRACE_CACHE_LINE - 32];
	/* Written by every writer: on its own cache line. */
	uint64_t index;			/* free-running word index; block seq = index >> block_shift */
	uint64_t reserved1;		/* 0 (was a deadline the writer checked) */
	uint64_t lost;			/* events dropped and not yet reported by a LOST event */
	uint8_t pad1[K42_TRACE_CACHE_LINE - 24];
	/* Stream mode: written by the consumer only. */
	uint64_t consumed;		/* sequence number of the oldest block not yet consumed */
	uint8_t pad2[K42_TRACE_CACHE_LINE - 8];
};
_Static_assert(sizeof(struct k42_trace_ctl) == 3 * K42_TRACE_CACHE_LINE,
	       "k42_trace_ctl layout");
_Static_assert(offsetof(struct k42_trace_ctl, index) == K42_TRACE_CACHE_LINE,
	       "k42_trace_ctl.index on its own cache line");

/*
 * A writer's private view of one CPU's buffer: where the shared control
 * structure and ring are mapped in this address space, and the geometry it
 * trusts. The kernel keeps one per CPU; libk42 one per dispatcher.
 */
struct k42_trace_buf {
	struct k42_trace_ctl *ctl;
	uint64_t *ring;
	uint64_t ring_mask;		/* words in the ring - 1 */
	uint64_t block_mask;		/* words in a block - 1 */
	uint32_t block_shift;
	uint32_t ring_shift;
	uint32_t cpu;
	uint32_t mode;
	uint64_t *index;		/* &ctl->index: the writer's one pointer to it */
};

static inline bool k42_trace__geometry_ok(unsigned block_shift, unsigned ring_shift)
{
	return block_shift >= K42_TRACE_MIN_BLOCK_SHIFT &&
	       block_shift <= K42_TRACE_MAX_BLOCK_SHIFT &&
	       ring_shift > block_shift && ring_shift <= K42_TRACE_MAX_RING_SHIFT;
}

static inline void k42_trace__fill_buf(struct k42_trace_buf *b, struct k42_trace_ctl *ctl,
				       uint64_t *ring, unsigned block_shift,
				       unsigned ring_shift, uint32_t cpu, unsigned mode)
{
	b->ctl = ctl;
	b->ring = ring;
	b->ring_mask = (1ull << ring_shift) - 1;
	b->block_mask = (1ull << block_shift) - 1;
	b->block_shift = block_shift;
	b->ring_shift = ring_shift;
	b->cpu = cpu;
	b->mode = mode;
	b->index = &ctl->index;
}

/*
 * Set up a CPU's buffer (the kernel, once per CPU, before any writer can see
 * it): `ring` holds 2^ring_shift words, in blocks of 2^block_shift words.
 * The ring and control structure are cleared. Returns 0, or -K42_EINVAL
 * for a bad geometry or mode.
 */
static inline __attribute__((warn_unused_result)) int k42_trace_buf_init(struct k42_trace_buf *b, struct k42_trace_ctl *ctl,
				     uint64_t *ring, unsigned block_shift,
				     unsigned ring_shift, uint32_t cpu, unsigned mode)
{
	uint64_t i;

	if (!k42_trace__geometry_ok(block_shift, ring_shift) ||
	    (mode != K42_TRACE_MODE_FLIGHT && mode != K42_TRACE_MODE_STREAM))
		return -K42_EINVAL;
	for (i = 0; i < (1ull << ring_shift); i++)
		__atomic_store_n(&ring[i], 0, __ATOMIC_RELAXED);
	ctl->magic = K42_TRACE_CTL_MAGIC;
	ctl->version = K42_TRACE_VERSION;
	ctl->cpu = cpu;
	ctl->block_shift = block_shift;
	ctl->ring_shift = ring_shift;
	ctl->mode = mode;
	ctl->reserved0 = 0;
	__atomic_store_n(&ctl->reserved1, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ctl->lost, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ctl->consumed, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ctl->index, 0, __ATOMIC_RELEASE);
	k42_trace__fill_buf(b, ctl, ring, block_shift, ring_shift, cpu, mode);
	return 0;
}

/*
 * Attach to a buffer someone else set up (libk42, from the mapping the
 * kernel gave it): the geometry is read from `ctl` and checked against the
 * `ring_words` actually mapped. Returns 0, or -K42_EINVAL.
 */
static inline __attribute__((warn_unused_result)) int k42_trace_buf_attach(struct k42_trace_buf *b, struct k42_trace_ctl *ctl,
				       uint64_t *ring, uint64_t ring_words)
{
	unsigned bs = ctl->block_shift, rs = ctl->ring_shift, mode = ctl->mode;

	if (ctl->magic != K42_TRACE_CTL_MAGIC || ctl->version != K42_TRACE_VERSION ||
	    !k42_trace__geometry_ok(bs, rs) || (1ull << rs) > ring_words ||
	    (mode != K42_TRACE_MODE_FLIGHT && mode != K42_TRACE_MODE_STREAM))
		return -K42_EINVAL;
	k42_trace__fill_buf(b, ctl, ring, bs, rs, ctl->cpu, mode);
	return 0;
}

/* Zero a block with word stores (never a memset call: this is freestanding). */
static inline void k42_trace__clear_block(uint64_t *blk, uint64_t words)
{
	uint64_t i;

	for (i = 0; i < words; i++)
		__atomic_store_n(&blk[i], 0, __ATOMIC_RELAXED);
}

/* ---- dump files (little-endian; docs/tracing.md "Dump files") ---- */

#define K42_TRACE_DUMP_MAGIC 0x454341525432344bull	/* "K42TRACE" */
#define K42_TRACE_SEG_MAGIC  0x004745535432344bull	/* "K42TSEG\0" */

/* The file starts with this header, then `nsegs` segments. */
struct k42_trace_dump_header {
	uint64_t magic;			/* K42_TRACE_DUMP_MAGIC */
	uint32_t version;		/* K42_TRACE_VERSION */
	uint32_t header_bytes;		/* sizeof(struct k42_trace_dump_header) */
	uint64_t timebase_hz;		/* 512000000 on QEMU pseries */
	uint64_t mask;			/* enabled classes when dumped (informational) */
	uint64_t table_hash;		/* K42_TRACE_TABLE_HASH of the writer's build, 0 if unknown */
	uint32_t nsegs;
	uint32_t flags;			/* 0, or K42_TRACE_DUMP_F_STREAM */
	uint64_t reserved[2];
};
_Static_assert(sizeof(struct k42_trace_dump_header) == 64, "dump header layout");
/* The header opens a stream (trace_stream): nsegs is 0, segments follow
 * until the stream ends; the host writes the count into the file. */
#define K42_TRACE_DUMP_F_STREAM 1u

/*
 * A segment: some blocks of one CPU's ring as copied, followed by
 * data_blocks << block_shift words holding ring slots first_slot,
 * first_slot + 1, ... A snapshot holds the whole ring (first_slot 0); a
 * stream-mode consumer writes one block per segment. The decoder works out
 * which block sequence number each slot holds from the two indexes, and
 * merges the segments of a CPU by sequence number.
 */
struct k42_trace_dump_seg {
	uint64_t magic;			/* K42_TRACE_SEG_MAGIC */
	uint32_t cpu;
	uint32_t block_shift;		/* the buffer's geometry (it gives the lap tags) */
	uint32_t ring_shift;
	uint32_t mode;
	uint64_t index_begin;		/* ctl->index before the copy */
	uint64_t index_end;		/* ctl->index after the copy */
	uint64_t lost;			/* ctl->lost (dropped, not yet reported) */
	uint32_t first_slot;		/* ring slot of the first block that follows */
	uint32_t data_blocks;		/* blocks that follow */
	uint64_t reserved;
};
_Static_assert(sizeof(struct k42_trace_dump_seg) == 64, "dump segment layout");

static inline void k42_trace_dump_header_init(struct k42_trace_dump_header *h, uint64_t timebase_hz,
					      uint64_t mask, uint64_t table_hash, uint32_t nsegs)
{
	h->magic = K42_TRACE_DUMP_MAGIC;
	h->version = K42_TRACE_VERSION;
	h->header_bytes = (uint32_t)sizeof(*h);
	h->timebase_hz = timebase_hz;
	h->mask = mask;
	h->table_hash = table_hash;
	h->nsegs = nsegs;
	h->flags = 0;
	h->reserved[0] = h->reserved[1] = 0;
}

static inline void k42_trace__seg_init(const struct k42_trace_buf *b, struct k42_trace_dump_seg *seg,
				       uint32_t first_slot, uint32_t data_blocks)
{
	seg->magic = K42_TRACE_SEG_MAGIC;
	seg->cpu = b->cpu;
	seg->block_shift = b->block_shift;
	seg->ring_shift = b->ring_shift;
	seg->mode = b->mode;
	seg->first_slot = first_slot;
	seg->data_blocks = data_blocks;
	seg->reserved = 0;
}

/*
 * Copy a CPU's whole ring (1 << b->ring_shift words) into `out` and describe
 * it in `seg`; write seg, then out. Safe while writers run: each word is read with acquire
 * ordering, so an event whose committed header was copied has its payload
 * copied too, and the index is read before and after so the decoder can
 * drop blocks that writers re-entered during the copy.
 */
static inline void k42_trace_snapshot(const struct k42_trace_buf *b, struct k42_trace_dump_seg *seg,
				      uint64_t *out)
{
	uint64_t i;

	k42_trace__seg_init(b, seg, 0, (uint32_t)(1ull << (b->ring_shift - b->block_shift)));
	seg->index_begin = __atomic_load_n(&b->ctl->index, __ATOMIC_ACQUIRE);
	for (i = 0; i <= b->ring_mask; i++)
		out[i] = __atomic_load_n(&b->ring[i], __ATOMIC_ACQUIRE);
	seg->index_end = __atomic_load_n(&b->ctl->index, __ATOMIC_ACQUIRE);
	seg->lost = __atomic_load_n(&b->ctl->lost, __ATOMIC_RELAXED);
}

/* ---- stream mode: a consumer drains blocks in order ---- */

/* The sequence number of the next block to drain. */
static inline uint64_t k42_trace_stream_next(const struct k42_trace_buf *b)
{
	return __atomic_load_n(&b->ctl->consumed, __ATOMIC_RELAXED);
}

/* Has every word of block `seq` been reserved (the index moved past it)? */
static inline bool k42_trace_stream_ready(const struct k42_trace_buf *b, uint64_t seq)
{
	return (__atomic_load_n(&b->ctl->index, __ATOMIC_ACQUIRE) >> b->block_shift) > seq;
}

/*
 * Is every event in block `seq` (ready, not yet consumed) committed? Blocks
 * are zero when writers get them in stream mode, so a zero word where a
 * header belongs is a reservation not yet written, and a pending header an
 * event not yet committed. A consumer should wait for this before taking a
 * block: a writer still inside it would otherwise write into the block
 * after it was handed back, over newer events. A writer that died
 * mid-event keeps its block unsettled for ever, so a consumer gives up
 * waiting after a while of its choosing (the event is then reported lost
 * or pending).
 */
static inline bool k42_trace_stream_settled(const struct k42_trace_buf *b, uint64_t seq)
{
	const uint64_t *blk = &b->ring[(seq & (b->ring_mask >> b->block_shift)) << b->block_shift];
	uint64_t p = 0;

	while (p <= b->block_mask) {
		uint64_t h = __atomic_load_n(&blk[p], __ATOMIC_ACQUIRE);
		unsigned len = k42_trace_hdr_len(h);

		if (h == 0 || k42_trace_hdr_layer(h) == K42_TRACE_LAYER_PENDING)
			return false;
		if ((h & K42_TRACE_ID_BITS) == K42_TRACE_ID_FILLER || len == 0)
			return true;	/* a filler ends the block; garbage must not stall us */
		p += len;
	}
	return true;
}

/*
 * Copy block `seq` (which must be ready and not yet consumed) into `out`
 * (1 << b->block_shift words) as a one-block segment (write seg, then out),
 * leaving it in the ring: a consumer that ships blocks asynchronously
 * copies each, and releases it once it is delivered, so a block is never
 * lost between the ring and its destination. An event still being written
 * when copied is decoded as pending (dropped); see docs/tracing.md.
 */
static inline void k42_trace_stream_copy(const struct k42_trace_buf *b, uint64_t seq,
					 struct k42_trace_dump_seg *seg, uint64_t *out)
{
	uint64_t slot = seq & (b->ring_mask >> b->block_shift);
	const uint64_t *blk = &b->ring[slot << b->block_shift];
	uint64_t i;

	k42_trace__seg_init(b, seg, (uint32_t)slot, 1);
	seg->index_begin = seg->index_end = (seq + 1) << b->block_shift;
	for (i = 0; i <= b->block_mask; i++)
		out[i] = __atomic_load_n(&blk[i], __ATOMIC_ACQUIRE);
	seg->lost = __atomic_load_n(&b->ctl->lost, __ATOMIC_RELAXED);
}

/*
 * Hand block `seq` (the oldest not yet consumed) back to the writers:
 * clear it, so that words reserved but never written read as zero next
 * time round, and advance `consumed` past it.
 */
static inline void k42_trace_stream_release(const struct k42_trace_buf *b, uint64_t seq)
{
	uint64_t slot = seq & (b->ring_mask >> b->block_shift);

	k42_trace__clear_block(&b->ring[slot << b->block_shift], b->block_mask + 1);
	__atomic_store_n(&b->ctl->consumed, seq + 1, __ATOMIC_RELEASE);
}

/* Copy block `seq` as a segment and release it at once (a consumer that
 * writes the copy synchronously). */
static inline void k42_trace_stream_take(const struct k42_trace_buf *b, uint64_t seq,
					 struct k42_trace_dump_seg *seg, uint64_t *out)
{
	k42_trace_stream_copy(b, seq, seg, out);
	k42_trace_stream_release(b, seq);
}

/*
 * Close the block being filled, if it holds anything, so a consumer can
 * take it without waiting for writers to fill it (a quiet CPU would keep
 * its last events back for ever): reserve the rest of the block, as a
 * writer whose event does not fit would, and write a filler there. Writers
 * inside the block are unaffected (settled() waits for them); the next
 * event starts a new block. True if it closed a block. `now` is the
 * filler's timestamp.
 */
static inline bool k42_trace_stream_seal(const struct k42_trace_buf *b, uint64_t now)
{
	uint64_t old = __atomic_load_n(&b->ctl->index, __ATOMIC_RELAXED);

	for (;;) {
		uint64_t pos = old & b->block_mask;

		if (pos == 0)
			return false;	/* nothing begun, or already closed */
		if (__atomic_compare_exchange_n(&b->ctl->index, &old, old - pos + b->block_mask + 1,
						true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			break;
	}
	__atomic_store_n(&b->ring[old & b->ring_mask],
			 k42_trace_hdr(now, 1, K42_TRACE_ID_FILLER, (unsigned)(old >> b->ring_shift)),
			 __ATOMIC_RELEASE);
	return true;
}

/*
 * Close the block being filled if its header is K42_TRACE_TS_MAX_AGE old
 * at `now`, as k42_trace_stream_seal() would, so the next event opens a
 * block with a fresh full time (see K42_TRACE_TS_HORIZON above for who
 * calls this, and how often). A header not yet written reads as old: the
 * block is then closed early, which costs only its unused words. True if
 * it closed a block.
 */
static inline bool k42_trace_keep_time(const struct k42_trace_buf *b, uint64_t now)
{
	uint64_t idx = __atomic_load_n(&b->ctl->index, __ATOMIC_ACQUIRE);
	uint64_t pos = idx & b->block_mask;
	uint64_t btb;

	if (pos == 0)
		return false;	/* no block open: the next event opens one */
	btb = __atomic_load_n(&b->ring[(idx & b->ring_mask) - pos + 1], __ATOMIC_RELAXED);
	if ((int64_t)(now - btb) < K42_TRACE_TS_MAX_AGE)
		return false;
	return k42_trace_stream_seal(b, now);
}

/* ---- the writer: <k42/trace_writer.h>, included below ---- */
#endif /* K42_TRACE_H */

#include <k42/trace_writer.h>

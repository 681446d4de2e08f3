/*
 * The trace writer: the inline fast path that claims a slot in a CPU's ring
 * and commits an event, and its out-of-line slow path (docs/tracing.md,
 * "The writer"). Included by <k42/trace.h>, never on its own: the
 * structures, the header word and the geometry are there.
 *
 * The writer has its own guard, so a header that needs only the structures
 * (e.g. a per-CPU area holding a struct k42_trace_buf) can include
 * <k42/trace.h> with K42_TRACE_NO_WRITER defined, and a later include gets
 * the writer.
 */
#if !defined(K42_TRACE_NO_WRITER) && !defined(K42_TRACE_WRITER_H)
#define K42_TRACE_WRITER_H

/* Hooks, defined by the includer (see the top of <k42/trace.h>). */
static inline uint64_t k42_trace_now(void);
static inline uint64_t k42_trace_mask(void);
static inline struct k42_trace_buf *k42_trace_cpu_buf(void);

/*
 * Test builds may define this to stall a writer at its two delicate points:
 * 1 = index advanced, nothing written yet; 2 = payload written, header not
 * yet committed.
 */
#ifndef K42_TRACE_TEST_PREEMPT
#define K42_TRACE_TEST_PREEMPT(point) do { } while (0)
#endif

/* Is any class in `class_bits` enabled? The whole cost of a disabled event. */
static inline bool k42_trace_on(uint64_t class_bits)
{
	return (k42_trace_mask() & class_bits) != 0;
}

/* A reserved event: fill words 1..len-1 with k42_trace_put, then commit. */
struct k42_trace_slot {
	uint64_t *w;			/* the event's header word; NULL if not reserved */
	uint64_t hdr;			/* the header to commit */
};

#define K42_TRACE_PENDING_BITS (K42_TRACE_LAYER_MASK << K42_TRACE_LAYER_SHIFT)

/* A claimed index: where the event goes and its timestamp. */
struct k42_trace_claim {
	uint64_t idx;
	uint64_t t;
	bool ok;			/* false: go the slow way (or dropped) */
};

/*
 * What the inline fast path may assume, if the includer says so (before
 * including <k42/trace.h>):
 *   K42_TRACE_FIXED_BLOCK_SHIFT, K42_TRACE_FIXED_RING_SHIFT: every buffer
 *     it writes has this geometry, so the masks and the lap tag's shift
 *     are immediates (the k42 rings: <k42/layout.h>);
 *   K42_TRACE_BUF_NONNULL: k42_trace_cpu_buf() is never NULL while a
 *     class is enabled;
 *   K42_TRACE_NOW_IS_MFTB: k42_trace_now() is the timebase register, so
 *     on ppc64 the claim reads it inside its larx/stcx. pair.
 * Without them the writer reads the geometry from the buffer (host tests,
 * any ring size).
 */
#ifdef K42_TRACE_FIXED_BLOCK_SHIFT
#define K42_TRACE__BMASK(b) ((uint64_t)((1ull << K42_TRACE_FIXED_BLOCK_SHIFT) - 1))
#define K42_TRACE__RMASK(b) ((uint64_t)((1ull << K42_TRACE_FIXED_RING_SHIFT) - 1))
#define K42_TRACE__RSHIFT(b) ((unsigned)K42_TRACE_FIXED_RING_SHIFT)
#else
#define K42_TRACE__BMASK(b) ((b)->block_mask)
#define K42_TRACE__RMASK(b) ((b)->ring_mask)
#define K42_TRACE__RSHIFT(b) ((b)->ring_shift)
#endif

/* Turn a claimed index into a slot: mark it pending if it has a payload. */
static inline __attribute__((always_inline)) struct k42_trace_slot
k42_trace_claimed_slot(struct k42_trace_buf *b, struct k42_trace_claim c, uint64_t id, unsigned len)
{
	struct k42_trace_slot s;

	s.w = &b->ring[c.idx & K42_TRACE__RMASK(b)];
#ifdef __powerpc64__
	/* The timestamp inserted into the top half in one instruction, and the
	 * header kept opaque so the pending form is one more oris. */
	s.hdr = k42_trace_hdr(0, len, id, (unsigned)(c.idx >> K42_TRACE__RSHIFT(b)));
	__asm__("rldimi %0,%1,32,0" : "+r"(s.hdr) : "r"(c.t));
#else
	s.hdr = k42_trace_hdr(c.t, len, id, (unsigned)(c.idx >> K42_TRACE__RSHIFT(b)));
#endif
	if (len > 1) {
		K42_TRACE_TEST_PREEMPT(1);
		__atomic_store_n(s.w, s.hdr | K42_TRACE_PENDING_BITS, __ATOMIC_RELAXED);
	}
	return s;
}

/*
 * The common reservation, inline: the event fits in the current block.
 * Anything else (or a NULL buffer) returns !ok, and the caller takes the
 * slow path. The timestamp is read inside the retry loop, after the index,
 * so timestamps grow with the index. ((old - 1) & block_mask) + len >
 * block_mask is "old is at a block start, or the event would cross the
 * block's end" in one test. The block's age is not checked here: whoever
 * owns the CPU's clock closes a block before its header is too old for the
 * events' 32-bit timestamps (k42_trace_keep_time, below).
 */
static inline __attribute__((always_inline)) struct k42_trace_claim
k42_trace_claim_fast(struct k42_trace_buf *b, unsigned len)
{
	struct k42_trace_claim c = { 0, 0, false };
	uint64_t *index, old;

#ifndef K42_TRACE_BUF_NONNULL
	if (__builtin_expect(b == NULL, 0))
		return c;
#endif
	index = b->index;	/* &ctl->index */
#if defined(__powerpc64__) && defined(K42_TRACE_NOW_IS_MFTB)
	if (__builtin_expect(len > K42_TRACE__BMASK(b), 0))
		return c;	/* (folds away for a table event) the test below needs it */
	{
		uint64_t t, pos;

		/* One larx/stcx. pair, with the timebase and the test inside
		 * it; the new index is stored only if nobody moved it meanwhile.
		 * (bge- reaches 32 KiB: a function with its slow call farther
		 * away fails to assemble, loudly; none is near that.) */
		__asm__ goto("1:	ldarx %0,0,%4\n"
			     "	mftb %1\n"
			     "	addi %2,%0,-1\n"
#ifdef K42_TRACE_FIXED_BLOCK_SHIFT
			     "	rldicl %2,%2,0,%5\n"
#else
			     "	and %2,%2,%5\n"
#endif
			     "	cmpld%I6 %2,%6\n"
			     "	bge- %l[slow]\n"
			     "	add%I7 %2,%0,%7\n"
			     "	stdcx. %2,0,%4\n"
			     "	bne- 1b\n"
			     : "=&b"(old), "=&r"(t), "=&r"(pos), "+m"(*index)
			     : "r"(index),
#ifdef K42_TRACE_FIXED_BLOCK_SHIFT
			       "n"(64 - K42_TRACE_FIXED_BLOCK_SHIFT),
#else
			       "r"(K42_TRACE__BMASK(b)),
#endif
			       "rK"(K42_TRACE__BMASK(b) + 1 - len), "rI"((uint64_t)len)
			     : "cr0"
			     : slow);
		c.idx = old;
		c.t = t;
		c.ok = true;
		return c;
	slow:
		return c;
	}
#else
	old = __atomic_load_n(index, __ATOMIC_RELAXED);
	for (;;) {
		uint64_t t = k42_trace_now();

		if (__builtin_expect(((old - 1) & K42_TRACE__BMASK(b)) + len > K42_TRACE__BMASK(b), 0))
			return c;
		if (__builtin_expect(__atomic_compare_exchange_n(index, &old, old + len, true,
								 __ATOMIC_RELAXED, __ATOMIC_RELAXED), 1)) {
			c.idx = old;
			c.t = t;
			c.ok = true;
			return c;
		}
	}
#endif
}

/*
 * Every other reservation, out of line. The event starts a block (first
 * event, block full, or the block header older than K42_TRACE_TS_HORIZON),
 * or is dropped (too long; stream mode with the ring full), or merely lost
 * the race the fast path gave up on. The winner of a block-starting CAS owns
 * everything from the old index to the new one: a filler for the rest of
 * the old block, the new block's header, a LOST report if events were
 * dropped, then its own event. Returns the event's index and timestamp,
 * or !ok if the event was dropped.
 */
static __attribute__((noinline, cold, unused)) struct k42_trace_claim
k42_trace_claim_slow(struct k42_trace_buf *b, unsigned len)
{
	struct k42_trace_ctl *ctl = b->ctl;
	const uint64_t bw = b->block_mask + 1;
	uint64_t old = __atomic_load_n(&ctl->index, __ATOMIC_RELAXED);
	struct k42_trace_claim c = { 0, 0, false };

	if (len == 0 || len + K42_TRACE_BLOCK_WORDS_HDR + K42_TRACE_LOST_WORDS > bw) {
		__atomic_fetch_add(&ctl->lost, 1, __ATOMIC_RELAXED);
		return c;
	}
	for (;;) {
		uint64_t t = k42_trace_now();
		uint64_t pos = old & b->block_mask;
		uint64_t start, seq, lost, at, *w;

		if (pos != 0 && pos + len <= bw) {
			/* Fits, unless the block header is too old (its time). */
			uint64_t btb = __atomic_load_n(&b->ring[(old & b->ring_mask) - pos + 1],
						       __ATOMIC_RELAXED);
			if ((int64_t)(t - btb) < K42_TRACE_TS_HORIZON) {
				if (!__atomic_compare_exchange_n(&ctl->index, &old, old + len, true,
								 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
					continue;
				c.idx = old;
				c.t = t;
				c.ok = true;
				return c;
			}
		}
		start = pos ? old - pos + bw : old;
		seq = start >> b->block_shift;
		if (b->mode == K42_TRACE_MODE_STREAM &&
		    seq - __atomic_load_n(&ctl->consumed, __ATOMIC_ACQUIRE) >
		    (b->ring_mask >> b->block_shift)) {
			__atomic_fetch_add(&ctl->lost, 1, __ATOMIC_RELAXED);
			return c;
		}
		lost = __atomic_load_n(&ctl->lost, __ATOMIC_RELAXED);
		at = start + K42_TRACE_BLOCK_WORDS_HDR + (lost ? K42_TRACE_LOST_WORDS : 0);
		if (!__atomic_compare_exchange_n(&ctl->index, &old, at + len, true,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			continue;
		K42_TRACE_TEST_PREEMPT(1);
		if (pos)
			__atomic_store_n(&b->ring[old & b->ring_mask],
					 k42_trace_hdr(t, 1, K42_TRACE_ID_FILLER,
						       (unsigned)(old >> b->ring_shift)),
					 __ATOMIC_RELEASE);
		w = &b->ring[start & b->ring_mask];
		__atomic_store_n(&w[1], t, __ATOMIC_RELAXED);
		__atomic_store_n(&w[2], seq, __ATOMIC_RELAXED);
		__atomic_store_n(&w[3], k42_trace_block_info(b->cpu, b->block_shift,
							     b->ring_shift, b->mode),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&w[0], k42_trace_hdr(t, K42_TRACE_BLOCK_WORDS_HDR,
						      K42_TRACE_ID_BLOCK,
						      (unsigned)(start >> b->ring_shift)),
				 __ATOMIC_RELEASE);
		if (lost) {
			w += K42_TRACE_BLOCK_WORDS_HDR;
			__atomic_store_n(&w[1], __atomic_exchange_n(&ctl->lost, 0, __ATOMIC_RELAXED),
					 __ATOMIC_RELAXED);
			__atomic_store_n(&w[0], k42_trace_hdr(t, K42_TRACE_LOST_WORDS,
							      K42_TRACE_ID_LOST,
							      (unsigned)(start >> b->ring_shift)),
					 __ATOMIC_RELEASE);
		}
		c.idx = at;
		c.t = t;
		c.ok = true;
		return c;
	}
}

/*
 * Reserve an event of `len` words (header included) with identity `id`
 * (K42_TRACE_ID(...)) on buffer `b` (may be NULL: nothing is reserved).
 * The slot's w is NULL if nothing was reserved (a dropped event is counted).
 * Generated code calls k42_trace_claim_fast() itself and this only when
 * that fails, to keep the inline path short.
 */
static inline struct k42_trace_slot
k42_trace_reserve(struct k42_trace_buf *b, uint64_t id, unsigned len)
{
	struct k42_trace_slot none = { NULL, 0 };
	struct k42_trace_claim c;

	if (b == NULL)
		return none;
	c = k42_trace_claim_fast(b, len);
	if (!c.ok)
		c = k42_trace_claim_slow(b, len);
	if (!c.ok)
		return none;
	return k42_trace_claimed_slot(b, c, id, len);
}

/* The slow path alone, for generated code whose inline fast path failed. */
static inline struct k42_trace_slot
k42_trace_reserve_slow(struct k42_trace_buf *b, uint64_t id, unsigned len)
{
	struct k42_trace_slot none = { NULL, 0 };
	struct k42_trace_claim c;

	if (b == NULL)
		return none;
	c = k42_trace_claim_slow(b, len);
	if (!c.ok)
		return none;
	return k42_trace_claimed_slot(b, c, id, len);
}

/* Store payload word i (1 <= i < len) of a reserved event. */
static inline __attribute__((always_inline)) void
k42_trace_put(struct k42_trace_slot s, unsigned i, uint64_t v)
{
	__atomic_store_n(&s.w[i], v, __ATOMIC_RELAXED);
}

/* Publish a reserved event: its header, after (release) its payload. */
static inline __attribute__((always_inline)) void
k42_trace_commit(struct k42_trace_slot s)
{
	K42_TRACE_TEST_PREEMPT(2);
	__atomic_store_n(s.w, s.hdr, __ATOMIC_RELEASE);
}

/*
 * Log an event with an arbitrary payload of len - 1 words on this CPU's
 * buffer, if class `major` is enabled: for events outside the table (tests,
 * experiments). Table events have typed functions in <k42/trace_events.h>.
 */
static inline void k42_trace_log(unsigned major, uint64_t id, unsigned len, const uint64_t *payload)
{
	struct k42_trace_slot s;
	unsigned i;

	if (!k42_trace_on(K42_TRACE_CLASS_BIT(major)))
		return;
	s = k42_trace_reserve(k42_trace_cpu_buf(), id, len);
	if (s.w == NULL)
		return;
	for (i = 1; i < len; i++)
		k42_trace_put(s, i, payload[i - 1]);
	k42_trace_commit(s);
}

/*
 * Store a string field of `nbytes` bytes (a multiple of 8) as payload words
 * first, first + 1, ...: byte k of the string in bits 8k..8k+7 of its word,
 * so the dump holds it in memory order; shorter strings are padded with
 * zero bytes, NULL is the empty string. Reads stop at the NUL, so GCC sees
 * no access beyond a short literal.
 */
static inline __attribute__((always_inline)) void
k42_trace_put_str(struct k42_trace_slot s, unsigned first, const char *str, unsigned nbytes)
{
	uint64_t w = 0;
	unsigned i = 0, wi;

	if (str != NULL) {
		for (; i < nbytes && str[i] != '\0'; i++) {
			w |= (uint64_t)(unsigned char)str[i] << (8 * (i % 8));
			if (i % 8 == 7) {
				k42_trace_put(s, first + i / 8, w);
				w = 0;
			}
		}
	}
	for (wi = i / 8; wi < nbytes / 8; wi++) {
		k42_trace_put(s, first + wi, w);
		w = 0;
	}
}

#endif /* K42_TRACE_WRITER_H */

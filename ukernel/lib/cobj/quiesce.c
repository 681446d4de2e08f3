/*
 * Quiescence by generation counts (see cobj/quiesce.h). Pure code: the
 * kernel, libk42 and the host tests (threads as CPUs) build this file.
 */
#include <stddef.h>
#include <cobj/quiesce.h>

#define TOKEN_BITS 8
#define TOKEN_MASK ((1ull << TOKEN_BITS) - 1)

_Static_assert(QUIESCE_MAX_CPUS <= (1 << TOKEN_BITS), "token field too narrow");

/* A deferred object's gen carries this bit when quiesce_defer_leaf
 * retired it (generations never reach it: 56 bits). */
#define GEN_LEAF (1ull << 63)

static inline int ripe_at(const struct deferred *d, uint64_t gen)
{
	return (d->gen & ~GEN_LEAF) + QUIESCE_GENS <= gen;
}

static inline uint64_t gen_of(uint64_t s)
{
	return s >> TOKEN_BITS;
}

static inline uint32_t token_of(uint64_t s)
{
	return (uint32_t)(s & TOKEN_MASK);
}

void quiesce_init(struct quiesce *q, uint32_t ncpus)
{
	if (ncpus == 0)
		ncpus = 1;
	q->ncpus = ncpus > QUIESCE_MAX_CPUS ? QUIESCE_MAX_CPUS : ncpus;
	for (int i = 0; i < QUIESCE_MAX_CPUS; i++) {
		struct quiesce_cpu *c = &q->cpu[i];

		c->head = c->tail = NULL;
		c->waiting = c->freed = c->points = 0;
		c->tail_gen1 = 0;
		q->idle[i].flag = 0;
	}
	q->state = 0;
}

void quiesce_set_ncpus(struct quiesce *q, uint32_t ncpus)
{
	if (ncpus > QUIESCE_MAX_CPUS)
		ncpus = QUIESCE_MAX_CPUS;
	/* A CPU coming online holds no pointers yet; the current round may
	 * end without it and the next ones include it. */
	if (ncpus > __atomic_load_n(&q->ncpus, __ATOMIC_RELAXED))
		__atomic_store_n(&q->ncpus, ncpus, __ATOMIC_RELEASE);
}

/*
 * The token moves on from its holder in `s`, which has passed a point
 * since the token reached it (or was seen idle since then): one CPU at a
 * time, each move one compare-and-swap, the generation advancing when it
 * wraps. A CPU it reaches that is idle counts as passed and is skipped,
 * but only when seen idle after the move that reached it: the full fence
 * before reading its flag pairs with the one in quiesce_idle_exit, so if
 * it was seen idle it sees, once awake, every unlink that preceded.
 */
static void advance(struct quiesce *q, uint64_t s)
{
	uint32_t ncpus = __atomic_load_n(&q->ncpus, __ATOMIC_ACQUIRE);

	for (uint32_t step = 0; step < ncpus; step++) {
		uint32_t n = token_of(s) + 1;
		uint64_t gen = gen_of(s), next;

		if (n >= ncpus) {
			n = 0;
			gen++;
		}
		next = gen << TOKEN_BITS | n;
		/* Losing the race means someone else moved it: done. */
		if (!__atomic_compare_exchange_n(&q->state, &s, next, 0, __ATOMIC_SEQ_CST,
						 __ATOMIC_RELAXED))
			return;
		s = next;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&q->idle[n].flag, __ATOMIC_RELAXED))
			return;
	}
}

void quiesce_defer(struct quiesce *q, uint32_t cpu, struct deferred *d,
		   void (*fn)(struct deferred *d))
{
	struct quiesce_cpu *c = &q->cpu[cpu];

	d->free = fn;
	d->next = NULL;
	/* The unlink that made d unreachable is ordered before the
	 * generation is read: the tag is never older than the unlink. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	d->gen = gen_of(__atomic_load_n(&q->state, __ATOMIC_RELAXED));
	if (c->tail)
		c->tail->next = d;
	else
		c->head = d;
	c->tail = d;
	__atomic_store_n(&c->tail_gen1, d->gen + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&c->waiting, c->waiting + 1, __ATOMIC_RELAXED);
}

/* Take the head of c's list off and free it. */
static void free_head(struct quiesce_cpu *c)
{
	struct deferred *d = c->head;

	c->head = d->next;
	if (!c->head) {
		c->tail = NULL;
		__atomic_store_n(&c->tail_gen1, 0, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&c->waiting, c->waiting - 1, __ATOMIC_RELAXED);
	__atomic_store_n(&c->freed, c->freed + 1, __ATOMIC_RELAXED);
	d->free(d);	/* may retire more: they go to the tail */
}

static void reclaim(struct quiesce *q, struct quiesce_cpu *c)
{
	uint64_t gen;

	if (!c->head)
		return;
	gen = gen_of(__atomic_load_n(&q->state, __ATOMIC_ACQUIRE));
	while (c->head && ripe_at(c->head, gen))
		free_head(c);
}

void quiesce_defer_leaf(struct quiesce *q, uint32_t cpu, struct deferred *d,
			void (*fn)(struct deferred *d))
{
	quiesce_defer(q, cpu, d, fn);
	d->gen |= GEN_LEAF;	/* (only this CPU reads it before it is freed) */
}

uint64_t quiesce_reclaim_leaf(struct quiesce *q, uint32_t cpu)
{
	struct quiesce_cpu *c = &q->cpu[cpu];
	uint64_t gen, n = 0;

	if (!c->head)
		return 0;
	gen = gen_of(__atomic_load_n(&q->state, __ATOMIC_ACQUIRE));
	for (; c->head && (c->head->gen & GEN_LEAF) && ripe_at(c->head, gen); n++)
		free_head(c);
	return n;
}

static void pass_token(struct quiesce *q, uint32_t cpu)
{
	struct quiesce_cpu *c = &q->cpu[cpu];
	uint64_t s = __atomic_load_n(&q->state, __ATOMIC_ACQUIRE);
	uint32_t t = token_of(s);

	__atomic_store_n(&c->points, c->points + 1, __ATOMIC_RELAXED);
	/* Everything this CPU did with shared objects is ordered before a
	 * pass, and a holder is seen idle only after the token reached it. */
	if (t == cpu) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		advance(q, s);
	} else if (__atomic_load_n(&q->idle[t].flag, __ATOMIC_RELAXED)) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&q->idle[t].flag, __ATOMIC_RELAXED))
			advance(q, s);
	}
}

void quiesce_pass(struct quiesce *q, uint32_t cpu)
{
	pass_token(q, cpu);
}

static __attribute__((noinline)) void pass_and_reclaim(struct quiesce *q, uint32_t cpu)
{
	pass_token(q, cpu);
	reclaim(q, &q->cpu[cpu]);
}

void quiesce_point(struct quiesce *q, uint32_t cpu)
{
	/* Only this CPU adds to or takes from its list, and passing the
	 * token does neither: with nothing retired the pass is all (a tail
	 * call, no frame). */
	if (q->cpu[cpu].head)
		pass_and_reclaim(q, cpu);
	else
		pass_token(q, cpu);
}

/* The flag set after a point (or a pass): see quiesce_idle_enter. */
static void idle_flag_set(struct quiesce *q, uint32_t cpu)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&q->idle[cpu].flag, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* If the token came back to us meanwhile, do not sit on it. */
	uint64_t s = __atomic_load_n(&q->state, __ATOMIC_ACQUIRE);

	if (token_of(s) == cpu)
		advance(q, s);
}

void quiesce_idle_enter(struct quiesce *q, uint32_t cpu)
{
	quiesce_point(q, cpu);
	idle_flag_set(q, cpu);
}

void quiesce_idle_mark(struct quiesce *q, uint32_t cpu)
{
	pass_token(q, cpu);
	idle_flag_set(q, cpu);
}

void quiesce_idle_exit(struct quiesce *q, uint32_t cpu)
{
	__atomic_store_n(&q->idle[cpu].flag, 0, __ATOMIC_RELAXED);
	/* Pairs with the fence in advance(): see there. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

uint64_t quiesce_generation(const struct quiesce *q)
{
	return gen_of(__atomic_load_n(&q->state, __ATOMIC_ACQUIRE));
}

int quiesce_ripe(const struct quiesce *q, uint32_t cpu)
{
	const struct deferred *d = q->cpu[cpu].head;

	return d && ripe_at(d, gen_of(__atomic_load_n(&q->state, __ATOMIC_ACQUIRE)));
}

int quiesce_all_ripe_at(const struct quiesce *q, uint32_t cpu, uint64_t gen)
{
	uint64_t g1 = __atomic_load_n(&q->cpu[cpu].tail_gen1, __ATOMIC_ACQUIRE);

	return g1 != 0 && g1 - 1 + QUIESCE_GENS <= gen;
}

uint64_t quiesce_waiting(const struct quiesce *q)
{
	uint64_t n = 0;

	for (int i = 0; i < QUIESCE_MAX_CPUS; i++)
		n += __atomic_load_n(&q->cpu[i].waiting, __ATOMIC_RELAXED);
	return n;
}

uint64_t quiesce_freed(const struct quiesce *q)
{
	uint64_t n = 0;

	for (int i = 0; i < QUIESCE_MAX_CPUS; i++)
		n += __atomic_load_n(&q->cpu[i].freed, __ATOMIC_RELAXED);
	return n;
}

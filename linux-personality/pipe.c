/*
 * Linux pipes between processes: each pipe is one page of an arena mapped
 * K42_MAP_SHARED at LX_PIPE_BASE, so every process forked after the pipe
 * was made sees the same ring. The ends are counted (open file
 * descriptions holding them, in every process); a blocked reader or writer
 * leaves its pid in the ring and the other side raises LX_SOFTINTR_PIPE on
 * it, with a 10 ms poll behind that in case a waker dies first.
 */
#include "lx.h"

#define RING (K42_PAGE_SIZE - 64)

struct lx_pipe {
	uint32_t inuse;
	uint32_t readers, writers;
	uint32_t rwait, wwait;
	uint32_t pad;
	uint64_t head, tail;		/* bytes written, read (ever) */
	uint8_t pad2[24];
	uint8_t buf[RING];
};
_Static_assert(sizeof(struct lx_pipe) == K42_PAGE_SIZE, "one pipe per page");

static int arena_mapped;

long lx_pipe_create(struct lx_pipe **out)
{
	struct lx_pipe *arena = (struct lx_pipe *)LX_PIPE_BASE;

	if (!arena_mapped) {
		long rc = k42_sc_mem_map_anon(lx.pid, LX_PIPE_BASE, LX_PIPE_COUNT * K42_PAGE_SIZE,
					      K42_PROT_READ | K42_PROT_WRITE | K42_MAP_SHARED);

		if (rc < 0 && rc != -K42_EEXIST)
			return -LX_ENFILE;
		arena_mapped = 1;
	}
	for (int i = 0; i < LX_PIPE_COUNT; i++) {
		uint32_t zero = 0;

		if (__atomic_compare_exchange_n(&arena[i].inuse, &zero, 1, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
			struct lx_pipe *p = &arena[i];

			p->readers = 0;
			p->writers = 0;
			p->rwait = p->wwait = 0;
			p->head = p->tail = 0;
			*out = p;
			return 0;
		}
	}
	return -LX_ENFILE;
}

static void wake(uint32_t *waiter)
{
	uint32_t pid = __atomic_exchange_n(waiter, 0, __ATOMIC_ACQ_REL);

	if (pid && pid != lx.pid)
		k42_sc_softintr_raise(pid, LX_SOFTINTR_PIPE);
}

void lx_pipe_get(struct lx_pipe *p, int writer)
{
	__atomic_add_fetch(writer ? &p->writers : &p->readers, 1, __ATOMIC_ACQ_REL);
}

void lx_pipe_put(struct lx_pipe *p, int writer)
{
	uint32_t left = __atomic_sub_fetch(writer ? &p->writers : &p->readers, 1, __ATOMIC_ACQ_REL);

	wake(writer ? &p->rwait : &p->wwait);
	if (left == 0 && __atomic_load_n(writer ? &p->readers : &p->writers, __ATOMIC_ACQUIRE) == 0)
		__atomic_store_n(&p->inuse, 0, __ATOMIC_RELEASE);
}

uint64_t lx_pipe_avail(struct lx_pipe *p, int writer)
{
	return writer ? RING - (p->head - p->tail) : p->head - p->tail;
}

int lx_wait_event(uint64_t ticks)
{
	uint64_t prev[1];

	k42_sc_timer_set(k42_timebase() + ticks, prev);
	k42_sc_block();
	k42_drain();
	return lx_sig_deliverable();
}

static uint64_t poll_ticks(void)
{
	return k42_info(K42_INFO_TIMEBASE_HZ) / 100;
}

long lx_pipe_read(struct lx_pipe *p, uint64_t uva, uint64_t len, int nonblock)
{
	for (;;) {
		uint64_t avail = __atomic_load_n(&p->head, __ATOMIC_ACQUIRE) - p->tail;

		if (avail) {
			uint64_t n = avail < len ? avail : len, at = p->tail % RING;
			uint64_t first = RING - at < n ? RING - at : n;

			if (lx_copy_out(uva, p->buf + at, first) < 0 ||
			    lx_copy_out(uva + first, p->buf, n - first) < 0)
				return -LX_EFAULT;
			__atomic_store_n(&p->tail, p->tail + n, __ATOMIC_RELEASE);
			wake(&p->wwait);
			return (long)n;
		}
		if (!len)
			return 0;
		if (__atomic_load_n(&p->writers, __ATOMIC_ACQUIRE) == 0)
			return 0;
		if (nonblock)
			return -LX_EAGAIN;
		__atomic_store_n(&p->rwait, (uint32_t)lx.pid, __ATOMIC_RELEASE);
		if (__atomic_load_n(&p->head, __ATOMIC_ACQUIRE) == p->tail && p->writers &&
		    lx_wait_event(poll_ticks()))
			return -LX_EINTR;
	}
}

long lx_pipe_write(struct lx_pipe *p, uint64_t uva, uint64_t len, int nonblock)
{
	uint64_t done = 0;

	while (done < len) {
		uint64_t space = RING - (p->head - __atomic_load_n(&p->tail, __ATOMIC_ACQUIRE));

		if (__atomic_load_n(&p->readers, __ATOMIC_ACQUIRE) == 0) {
			if (!done)
				lx_sig_raise(13);	/* SIGPIPE */
			return done ? (long)done : -LX_EPIPE;
		}
		if (space) {
			uint64_t n = space < len - done ? space : len - done, at = p->head % RING;
			uint64_t first = RING - at < n ? RING - at : n;

			if (lx_copy_in(p->buf + at, uva + done, first) < 0 ||
			    lx_copy_in(p->buf, uva + done + first, n - first) < 0)
				return done ? (long)done : -LX_EFAULT;
			__atomic_store_n(&p->head, p->head + n, __ATOMIC_RELEASE);
			done += n;
			wake(&p->rwait);
			continue;
		}
		if (nonblock)
			return done ? (long)done : -LX_EAGAIN;
		__atomic_store_n(&p->wwait, (uint32_t)lx.pid, __ATOMIC_RELEASE);
		if (RING - (p->head - p->tail) == 0 && p->readers && lx_wait_event(poll_ticks()))
			return done ? (long)done : -LX_EINTR;
	}
	return (long)done;
}

uint32_t lx_pipe_ends(struct lx_pipe *p, int writer)
{
	return __atomic_load_n(writer ? &p->writers : &p->readers, __ATOMIC_ACQUIRE);
}

void lx_pipe_wait_on(struct lx_pipe *p, int writer)
{
	__atomic_store_n(writer ? &p->wwait : &p->rwait, (uint32_t)lx.pid, __ATOMIC_RELEASE);
}

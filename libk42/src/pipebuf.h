/*
 * The pipe buffer, pure (host-tested in tests/libk42/test_pipebuf.c): a
 * byte ring in memory shared by every process holding an end of the pipe
 * (mem_share), so data moves without a server or a kernel copy. Writes of
 * up to K42_PIPE_BUF bytes go in whole or not at all. Writers serialise
 * on `wlock`, readers on `rlock` (spin locks in the shared page). Whoever
 * must wait puts its pid in `waiters`; whoever changes the state raises
 * K42_SOFTINTR_IO on every pid there (fs_pipe.c).
 */
#ifndef LIBK42_PIPEBUF_H
#define LIBK42_PIPEBUF_H

#include <stddef.h>
#include <stdint.h>

#define PIPEBUF_DATA    (64u * 1024)	/* capacity, as Linux's default */
#define PIPEBUF_WAITERS 16
#define PIPEBUF_BYTES   (4096u + PIPEBUF_DATA)	/* the shared region */
#define PIPEBUF_HOLDERS 64

/* Which process holds how many ends: so the ends of a process that was
 * killed (and never closed them) can be taken back by its peers. */
struct pipe_holder {
	uint32_t pid;			/* 0: free */
	uint16_t r, w;			/* read and write ends it holds */
};

struct pipebuf {
	uint64_t head;			/* bytes ever written */
	uint64_t tail;			/* bytes ever read */
	uint32_t readers, writers;	/* open ends, over all processes */
	uint32_t wlock, rlock;
	uint32_t nwaiters;		/* bit i: waiters[i] may hold a registered pid */
	uint32_t waiters[PIPEBUF_WAITERS];
	uint32_t hlock;			/* guards holders[] */
	uint32_t untracked;		/* ends counted with no holder slot left */
	uint32_t hseq;			/* ends registered (pipebuf_hold, delta > 0), ever */
	uint32_t spare;
	struct pipe_holder holders[PIPEBUF_HOLDERS];
	uint8_t pad[4096 - 32 - 4 - 4 * PIPEBUF_WAITERS - 16 - 8 * PIPEBUF_HOLDERS];
	uint8_t data[PIPEBUF_DATA];
};

void pipebuf_init(struct pipebuf *p);
/* Write without waiting: bytes taken (> 0); -K42_EAGAIN if there is no
 * room (for n <= K42_PIPE_BUF: no room for all n); -K42_EPIPE if no
 * reader is left. */
long pipebuf_write(struct pipebuf *p, const void *buf, size_t n);
/* Read without waiting: bytes taken (> 0); 0 at end of file (empty, no
 * writer left); -K42_EAGAIN if empty with writers left. */
long pipebuf_read(struct pipebuf *p, void *buf, size_t n);
/* Poll state: readable (data or EOF), writable (room for PIPE_BUF, or
 * EPIPE), hang-up (no writer). */
int pipebuf_readable(const struct pipebuf *p);
int pipebuf_writable(const struct pipebuf *p);
/* Register pid as waiting (0 or -K42_EAGAIN if every slot is taken),
 * then the caller re-checks before sleeping. */
int pipebuf_wait_add(struct pipebuf *p, uint32_t pid);
/* After a change: take the waiting pids (up to PIPEBUF_WAITERS into out). */
unsigned pipebuf_wait_take(struct pipebuf *p, uint32_t *out);
/* Process pid gains (delta 1) or drops (delta -1) one end of the pipe;
 * `readers`/`writers` change with it. Every change of the end counts goes
 * through here, so holders[] always adds up to them. Returns how many of
 * that end are left: a close wakes the other side only at 0. */
uint32_t pipebuf_hold(struct pipebuf *p, uint32_t pid, int write, int delta);
/* How many registrations so far: read it before taking the list of live
 * processes that pipebuf_reap's alive() looks in. */
uint32_t pipebuf_hold_seq(struct pipebuf *p);
/* Take back the ends of every holder for which alive(pid, ctx) is 0 (a
 * process that ended without closing them); returns how many ends. -1,
 * with nothing changed, if ends were registered since `seq`: the list may
 * predate a holder (a child forked after it was taken), which would be
 * taken for dead; take a new list and try again. */
long pipebuf_reap(struct pipebuf *p, uint32_t seq, int (*alive)(uint32_t pid, void *ctx), void *ctx);

#endif

/*
 * Pipes in shared memory (docs/files.md): the buffer (pipebuf.c) is an
 * anonymous region of the process that called pipe(), shared into each
 * child that inherits an end (mem_share) — no server, no kernel copy.
 * A side that must wait registers its pid in the buffer and sleeps on
 * K42_SOFTINTR_IO (iowait.c); the side that makes progress raises that
 * bit on the registered pids. Pipe buffers live in a window of 4,096
 * slots of 128 KiB at K42_PIPE_VA.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/procinfo.h>
#include "fsint.h"

#define K42_PIPE_VA   0x0000080000000000ul
#define SLOT_BYTES    (128ul * 1024)
#define SLOTS         4096

static uint64_t slot_bits[SLOTS / 64];
static uint32_t my_pid;
int k42_export_slot;	/* next child slot while exporting (fs.c resets it) */

uint64_t k42_pipe_slot_va(int slot)
{
	if (slot < 0 || slot >= SLOTS || (slot_bits[slot / 64] >> (slot % 64) & 1))
		return 0;
	return K42_PIPE_VA + (uint64_t)slot * SLOT_BYTES;
}

void k42_pipe_slot_used(uint64_t va)
{
	uint64_t slot = (va - K42_PIPE_VA) / SLOT_BYTES;

	if (va >= K42_PIPE_VA && slot < SLOTS)
		slot_bits[slot / 64] |= 1ull << (slot % 64);
}

static void pipe_slot_free(uint64_t va)
{
	uint64_t slot = (va - K42_PIPE_VA) / SLOT_BYTES;

	if (va >= K42_PIPE_VA && slot < SLOTS)
		slot_bits[slot / 64] &= ~(1ull << (slot % 64));
}

void k42_fs_self_pid_forget(void)
{
	my_pid = 0;
}

uint32_t k42_fs_self_pid(void)
{
	if (!my_pid)
		my_pid = (uint32_t)k42_sc_sys_info(K42_INFO_PID);
	return my_pid;
}

/* Something changed: wake whoever waits on this pipe. */
static void wake(struct pipebuf *p)
{
	uint32_t pids[PIPEBUF_WAITERS];
	unsigned n = pipebuf_wait_take(p, pids);

	for (unsigned i = 0; i < n; i++)
		(void)k42_io_notify(pids[i]);
}

static int pid_listed(uint32_t pid, void *ctx)
{
	const struct k42_procinfo *list = ctx;

	for (unsigned i = 0; list[i].pid; i++)
		if (list[i].pid == pid)
			return 1;
	return 0;
}

/*
 * A process that shared memory with us ended (K42_SOFTINTR_PEER bumps
 * k42_peer_epoch): if it held ends of this pipe without closing them
 * (it was killed), take them back, so a reader sees EOF and a writer
 * EPIPE. Pids are never reused, so "not listed" means "ended". Returns
 * non-zero if anything changed.
 */
static int reap_dead(struct kfile *f)
{
	enum { MAXP = 1024 };
	struct k42_procinfo *list;
	uint64_t epoch = k42_peer_epoch;
	long n, got = -1;

	if (f->peer_epoch == epoch)
		return 0;
	list = malloc((MAXP + 1) * sizeof(*list));
	if (!list)
		return 0;
	/* A list taken before a holder was registered (a child forked
	 * meanwhile) would take it for dead: pipebuf_reap refuses then, and
	 * a new list is taken. */
	for (int tries = 0; tries < 8 && got < 0; tries++) {
		uint32_t seq = pipebuf_hold_seq(f->pipe);

		n = k42_sc_proc_list((uint64_t)list, MAXP);
		if (n < 0 || n >= MAXP)
			break;
		list[n].pid = 0;
		got = pipebuf_reap(f->pipe, seq, pid_listed, list);
	}
	if (got >= 0)
		f->peer_epoch = epoch;	/* (else tried again at the next wait) */
	else
		got = 0;
	free(list);
	if (got)
		wake(f->pipe);
	return got != 0;
}

/* Wait until the state may have changed since generation `gen`:
 * 0, or -K42_EINTR (a Linux signal, through the personality's wait). */
static int wait_change(struct pipebuf *p, uint64_t gen, int *registered)
{
	int rc;

	if (!*registered) {
		if (pipebuf_wait_add(p, k42_fs_self_pid()) == 0) {
			*registered = 1;
			return 0;	/* re-check once before sleeping */
		}
		/* Every slot taken: sleep a little instead (rare). */
		rc = k42_io_wait(gen, k42_timebase() + k42_sc_sys_info(K42_INFO_TIMEBASE_HZ) / 1000);
		return rc == -K42_EINTR ? rc : 0;
	}
	rc = k42_io_wait(gen, 0);
	*registered = 0;	/* the waker took our slot */
	return rc == -K42_EINTR ? rc : 0;
}

static long p_read(struct kfile *f, void *buf, size_t n)
{
	int registered = 0;

	for (;;) {
		uint64_t gen = k42_io_gen;
		long rc = pipebuf_read(f->pipe, buf, n);

		if (rc >= 0) {
			if (rc > 0)
				wake(f->pipe);
			return rc;
		}
		if (reap_dead(f))
			continue;
		if (f->flags & K42_O_NONBLOCK)
			return rc;
		if (wait_change(f->pipe, gen, &registered) < 0) {
			/* A signal ended the wait: what was written meanwhile
			 * (or the writers' end) still comes first, as Linux's
			 * pipe read takes data before it looks at signals (a
			 * writer that writes and exits raises SIGCHLD at once). */
			rc = pipebuf_read(f->pipe, buf, n);
			if (rc > 0)
				wake(f->pipe);
			return rc >= 0 ? rc : -K42_EINTR;
		}
	}
}

static long p_write(struct kfile *f, const void *buf, size_t n)
{
	size_t done = 0;
	int registered = 0;

	if (n == 0)
		return pipebuf_write(f->pipe, buf, 0);
	while (done < n) {
		uint64_t gen = k42_io_gen;
		long rc = pipebuf_write(f->pipe, (const uint8_t *)buf + done, n - done);

		if (rc > 0) {
			done += (size_t)rc;
			wake(f->pipe);
			/* Registered or not, register again before the next wait:
			 * a reader may have taken our slot (and its wake-up may be
			 * in k42_io_gen already, read above for the next wait), and
			 * our own wake() just took it if it was still there.
			 * Sleeping on a stale `registered` slept unregistered: the
			 * reader then emptied the pipe and waited too, for good
			 * (user/mapfile_test at 1 CPU, user/pipe_storm). */
			registered = 0;
			continue;
		}
		if (rc != -K42_EPIPE && reap_dead(f))
			continue;
		if (rc == -K42_EPIPE || (f->flags & K42_O_NONBLOCK))
			return done ? (long)done : rc;
		if (wait_change(f->pipe, gen, &registered) < 0)
			return done ? (long)done : -K42_EINTR;
	}
	return (long)done;
}

static int p_fstat(struct kfile *f, struct k42_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->mode = K42_S_IFIFO | 0600;
	st->ino = (uint64_t)f->pipe;
	st->nlink = 1;
	st->size = f->pipe->head - f->pipe->tail;
	return 0;
}

static int p_poll(struct kfile *f, int events, int arm)
{
	struct pipebuf *p = f->pipe;
	int rev = 0;

	(void)reap_dead(f);
	if (arm)
		(void)pipebuf_wait_add(p, k42_fs_self_pid());
	if (!f->pipe_write) {
		if (pipebuf_readable(p))
			rev |= events & K42_POLLIN;
		if (!__atomic_load_n(&p->writers, __ATOMIC_ACQUIRE))
			rev |= K42_POLLHUP;
	} else {
		if (pipebuf_writable(p))
			rev |= events & K42_POLLOUT;
		if (!__atomic_load_n(&p->readers, __ATOMIC_ACQUIRE))
			rev |= K42_POLLERR;
	}
	return rev;
}

static int p_export(struct kfile *f, uint64_t pid, struct fd_export *e)
{
	uint64_t va = K42_PIPE_VA + (uint64_t)k42_export_slot * SLOT_BYTES;
	long rc;

	if (k42_export_slot >= SLOTS)
		return -K42_EMFILE;
	rc = k42_sc_mem_share(pid, va, (uint64_t)f->pipe, PIPEBUF_BYTES);
	if (rc < 0)
		return (int)rc;
	k42_export_slot++;
	pipebuf_hold(f->pipe, (uint32_t)pid, f->pipe_write, 1);
	e->kind = FDX_PIPE;
	e->aux = f->pipe_write;
	e->va = va;
	return 0;
}

long k42_pipe_import(struct kfile *f, const struct fd_export *e)
{
	uint64_t slot = (e->va - K42_PIPE_VA) / SLOT_BYTES;

	if (e->va < K42_PIPE_VA || slot >= SLOTS || (e->va - K42_PIPE_VA) % SLOT_BYTES)
		return -K42_EINVAL;
	f->pipe = (struct pipebuf *)e->va;
	f->pipe_write = e->aux != 0;
	k42_pipe_slot_used(e->va);
	return 0;
}


static void p_release(struct kfile *f)
{
	struct pipebuf *p = f->pipe;

	/* While other ends of its kind are open nothing changes for a
	 * waiter (no end of file, no EPIPE): no wake-up. */
	if (pipebuf_hold(p, k42_fs_self_pid(), f->pipe_write, -1) == 0)
		wake(p);
	if (!k42_pipe_mapped_elsewhere(f)) {
		k42_sc_mem_unmap(k42_fs_self_pid(), (uint64_t)p, PIPEBUF_BYTES);
		pipe_slot_free((uint64_t)p);
	}
}

const struct kfile_ops k42_pipe_ops = {
	.read = p_read,
	.write = p_write,
	.fstat = p_fstat,
	.poll = p_poll,
	.export = p_export,
	.release = p_release,
};

/*
 * Futexes between processes: FUTEX_WAIT and FUTEX_WAKE without
 * FUTEX_PRIVATE on a MAP_SHARED anonymous mapping (the only memory two
 * Linux processes on k42 can share, inherited through fork).
 *
 * The first shared mapping a process makes also maps the wait table, a
 * K42_MAP_SHARED region at LX_FUTEX_TABLE (above what the program's
 * pointers may reach), unless the process has it already. fork shares
 * both, so every process that can see a shared mapping sees the table
 * that was there when the mapping was made. Each shared mapping gets an
 * id from the table (kept in its lx_vma), and a futex's key is (id,
 * offset in the mapping): the same word in every process, whatever the
 * address, and two mappings never mix.
 *
 * A waiter checks the word and takes a slot under the table's lock, then
 * waits for libk42 I/O events (iowait.c: the whole process sleeps in the
 * kernel, or only the calling thread when the process has several, as
 * for any +block call); a waker marks matching slots woken under the lock
 * and then sends each waiter's process an I/O event (k42_io_notify). A
 * slot whose process is gone is dropped, so it never takes a wake-up.
 *
 * Lock order: the table's lock is a leaf (nothing else is taken, and no
 * call is made but proc_describe, while it is held). Its word holds the
 * holder's pid, so a holder that died is found and the lock taken over.
 * The table is the programs' shared memory: what they scribble on it can
 * only upset their own futexes (indexes and states are checked).
 */
#include "lx.h"
#include <k42/fs.h>
#include <k42/procinfo.h>

#define LX_ETIMEDOUT 110
#define TABLE_MAGIC 0x6b34326678746162ull	/* "k42fxtab" */
#define SLOTS 500

enum { FREE, WAITING, WOKEN };

struct slot {
	uint64_t sid, off;
	uint64_t pid;
	uint32_t bits;
	uint32_t state;
};

struct table {
	uint64_t magic;
	uint64_t lock;		/* 0, or the holder's pid */
	uint64_t next_sid;
	uint64_t pad;
	struct slot slot[SLOTS];
};

#define TABLE_BYTES ((sizeof(struct table) + K42_PAGE_SIZE - 1) & ~(K42_PAGE_SIZE - 1))

static struct table *const table = (struct table *)LX_FUTEX_TABLE;
static int have_table = -1;	/* -1: not looked yet; fork and execve keep the table */

static int alive(uint64_t pid)
{
	struct k42_procinfo info;

	return k42_sc_proc_describe(pid, (uint64_t)&info) >= 0 && info.state != K42_PROC_EXITED;
}

static void lock(void)
{
	uint64_t me = lx.pid;

	for (unsigned spins = 0;; spins++) {
		uint64_t holder = __atomic_load_n(&table->lock, __ATOMIC_RELAXED);

		if (!holder && __atomic_compare_exchange_n(&table->lock, &holder, me, 0,
							   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		if (spins % 64 == 63) {
			/* Its holder may be off the CPU, or dead. */
			if (holder && holder != me && !alive(holder))
				__atomic_compare_exchange_n(&table->lock, &holder, 0, 0,
							    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
			else
				k42_sc_yield();
		}
	}
}

static void unlock(void)
{
	__atomic_store_n(&table->lock, 0, __ATOMIC_RELEASE);
}

/* Is the table mapped in this process? Looked up once: a process started
 * by a native program may not have it; a forked child has its parent's
 * (and its answer), an execve keeps it. */
static int table_present(void)
{
	if (have_table < 0) {
		struct table probe;

		have_table = k42_sc_mem_read(lx.pid, LX_FUTEX_TABLE, (uint64_t)&probe,
					     sizeof(probe.magic)) >= 0 &&
			     probe.magic == TABLE_MAGIC;
	}
	return have_table;
}

/* A new shared mapping's id (> 0), mapping the table first if needed. */
long lx_futex_shared_id(uint64_t *sid)
{
	if (!table_present()) {
		long rc = k42_sc_mem_map_anon(lx.pid, LX_FUTEX_TABLE, TABLE_BYTES,
					      K42_PROT_READ | K42_PROT_WRITE | K42_MAP_SHARED);

		if (rc < 0)
			return -LX_ENOMEM;
		table->magic = TABLE_MAGIC;
		have_table = 1;
	}
	lock();
	*sid = ++table->next_sid;
	unlock();
	return 0;
}

long lx_futex_shared_wait(uint64_t sid, uint64_t off, uint64_t uaddr, uint32_t val,
			  uint32_t bits, uint64_t deadline)
{
	uint32_t cur;
	int i;
	long rc = 0;

	if (!table_present())
		return -LX_EINVAL;	/* a shared mapping always has the table */
	lock();
	if (lx_copy_in(&cur, uaddr, sizeof(cur)) < 0) {
		unlock();
		return -LX_EFAULT;
	}
	if (cur != val) {
		unlock();
		return -LX_EAGAIN;
	}
	/* A free slot; else one whose process is gone. */
	for (i = 0; i < SLOTS; i++)
		if (table->slot[i].state != WAITING && table->slot[i].state != WOKEN)
			break;
	for (int j = 0; i == SLOTS && j < SLOTS; j++)
		if (table->slot[j].pid != lx.pid && !alive(table->slot[j].pid))
			i = j;
	if (i == SLOTS) {
		unlock();
		return -LX_ENOMEM;	/* more waiters than slots */
	}
	table->slot[i] = (struct slot){ sid, off, lx.pid, bits, WAITING };
	unlock();

	for (;;) {
		uint64_t gen = k42_io_generation();

		if (__atomic_load_n(&table->slot[i].state, __ATOMIC_ACQUIRE) != WAITING)
			break;
		if (deadline && k42_timebase() >= deadline) {
			rc = -LX_ETIMEDOUT;
			break;
		}
		if (k42_io_wait_gen(gen, deadline) == -K42_EINTR) {
			rc = -LX_EINTR;
			break;
		}
	}
	lock();
	if (table->slot[i].state == WOKEN && table->slot[i].pid == lx.pid)
		rc = 0;	/* woken as the wait ended: the wake-up counts */
	if (table->slot[i].pid == lx.pid)
		table->slot[i].state = FREE;
	unlock();
	return rc;
}

/* Wake up to n waiters on (sid, off) whose bits meet `bits`. */
long lx_futex_shared_wake(uint64_t sid, uint64_t off, uint32_t bits, uint64_t n)
{
	uint64_t pids[SLOTS];
	int npids = 0;
	long woken = 0;

	if (!table_present())
		return 0;
	lock();
	for (int i = 0; i < SLOTS && (uint64_t)woken < n; i++) {
		struct slot *s = &table->slot[i];

		if (s->state != WAITING || s->sid != sid || s->off != off || !(s->bits & bits))
			continue;
		if (s->pid != lx.pid && !alive(s->pid)) {
			s->state = FREE;	/* its process is gone */
			continue;
		}
		__atomic_store_n(&s->state, WOKEN, __ATOMIC_RELEASE);
		woken++;
		int seen = 0;

		for (int j = 0; j < npids; j++)
			seen |= pids[j] == s->pid;
		if (!seen)
			pids[npids++] = s->pid;
	}
	unlock();
	for (int j = 0; j < npids; j++) {
		if (pids[j] == lx.pid)
			k42_io_event();	/* another thread of ours */
		else
			(void)k42_io_notify(pids[j]);
	}
	return woken;
}

/*
 * The Linux process table of a process tree: what /proc shows of the
 * tree's other processes beyond what the kernel knows (pid, parent,
 * state, name): their command line, binary, process group, session,
 * thread count, start time, address-space size and nice value. ps, top,
 * pidof and renice use them (procfs.c, sched.c).
 *
 * The tree's first Linux process (main.c) maps the table, a
 * K42_MAP_SHARED region at LX_PTAB (above what the program's pointers
 * may reach), before its program runs; fork shares it with every child,
 * and execve keeps it. One entry per kernel pid slot (the low
 * K42_PID_SLOT_BITS of a pid): a slot is held by one live process at a
 * time. A parent writes its child's entry at the fork, before the child
 * runs; from then on only the process itself rewrites it (no lock), but
 * for its nice value, one word that renice sets whole. An
 * entry is believed only for the pid it names, while the kernel reports
 * that pid alive, and a reader copies it under its sequence count
 * (odd while being written) and bounds every length. The table is the
 * programs' shared memory, all root to Linux: a program that scribbles
 * on it changes only what ps shows, never what the kernel or a server
 * believes.
 */
#include "lx.h"
#include <k42/procinfo.h>

#define PTAB_MAGIC 0x6b3432707461626cull	/* "k42ptabl" */
#define PTAB_SLOTS (1u << K42_PID_SLOT_BITS)

/* The tree's node and domain names (sethostname, setdomainname): ""
 * until one is set, then uname's for the whole tree, as Linux's UTS
 * names are every process's of the namespace. */
#define UTS_LEN 72	/* 65 (Linux's), rounded to words */

struct ptab_head {
	uint64_t magic;
	uint64_t uts_seq;	/* odd while a name changes */
	char uts[2][UTS_LEN];	/* node name, domain name */
	uint64_t pad[127 - 1 - 2 * UTS_LEN / 8];	/* the entries start on their own page */
};
_Static_assert(sizeof(struct ptab_head) == 1024, "the head's size");

struct ptab {
	struct ptab_head head;
	struct lx_pentry e[PTAB_SLOTS];
};

#define PTAB_BYTES ((sizeof(struct ptab) + K42_PAGE_SIZE - 1) & ~(uint64_t)(K42_PAGE_SIZE - 1))

_Static_assert(LX_PTAB + PTAB_BYTES <= LX_PERSONALITY_BASE, "the table fits below the personality");
_Static_assert(LX_PTAB >= LX_FUTEX_TABLE + (1ul << 30), "the table is clear of the futex table");

static struct ptab *const ptab = (struct ptab *)LX_PTAB;
static int have_ptab = -1;	/* -1: not looked yet; fork and execve keep it */

static int present(void)
{
	if (have_ptab < 0) {
		uint64_t magic = 0;

		have_ptab = k42_sc_mem_read(lx.pid, LX_PTAB, (uint64_t)&magic, sizeof(magic)) >= 0 &&
			    magic == PTAB_MAGIC;
	}
	return have_ptab;
}

/* main.c: a tree's first process makes the table. */
void lx_ptab_init(void)
{
	if (present())
		return;
	if (k42_sc_mem_map_anon(lx.pid, LX_PTAB, PTAB_BYTES,
				K42_PROT_READ | K42_PROT_WRITE | K42_MAP_SHARED) < 0)
		return;	/* /proc then shows what the kernel knows */
	ptab->head.magic = PTAB_MAGIC;
	have_ptab = 1;
}

static uint64_t vsize(void)
{
	uint64_t n = 0;

	for (int i = 0; i < lx_nvmas; i++)
		n += lx_vmas[i].len;
	return n;
}

/* A writer's steps of an entry's sequence count: odd while the entry
 * changes (a reader that finds it odd, or changed across its copy,
 * retries), even again after. */
static uint32_t entry_write_begin(struct lx_pentry *e, uint32_t seq)
{
	seq |= 1;
	__atomic_store_n(&e->seq, seq, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return seq;
}

static void entry_write_end(struct lx_pentry *e, uint32_t seq)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&e->seq, seq + 1, __ATOMIC_RELAXED);
}

/* Our blocked, ignored and caught signals into e (a fork's child has
 * ours; execve's reset is published with the rest of the entry). */
static void set_sigs(struct lx_pentry *e)
{
	uint64_t s[LX_SIGSETS];

	lx_sig_sets(s);
	e->sigblk = s[LX_SIGSET_BLK];
	e->sigign = s[LX_SIGSET_IGN];
	e->sigcgt = s[LX_SIGSET_CGT];
}

/* pid's entry, rewritten whole from our own state (a fork's child is a
 * copy of us); a new entry also takes the time and `nice`. */
static void write_entry(uint64_t pid, int nthreads, int nice)
{
	struct lx_pentry *e = &ptab->e[pid & (PTAB_SLOTS - 1)];
	uint32_t seq = entry_write_begin(e, e->pid == pid ? e->seq : 0);

	if (e->pid != pid) {
		e->start_tb = k42_timebase();
		e->nice = nice;
		e->cutime_tb = e->cstime_tb = 0;
		e->stop_sig = e->stop_gen = e->cont_gen = 0;
		e->fork_child = 0;
		e->vfork = LX_VFORK_NONE;
	}
	e->pid = (uint32_t)pid;
	e->pgid = (uint32_t)lx.pgid;
	e->sid = (uint32_t)lx.sid;
	e->nthreads = (uint32_t)(nthreads > 0 ? nthreads : 1);
	e->vsize = vsize();
	lx_caps_get(e->caps);
	set_sigs(e);
	memcpy(e->exe, lx.exe, sizeof(e->exe));
	e->exe[sizeof(e->exe) - 1] = '\0';
	memcpy(e->cmdline, lx.cmdline, lx.cmdline_len);
	e->cmdline_len = lx.cmdline_len;
	entry_write_end(e, seq);
}

static int my_nice(void)
{
	int v;

	return lx_ptab_nice(lx.pid, &v) ? v : lx_nice_local();
}

/* Our entry: after execve, setpgid, setsid, a thread's start or end (a
 * fork's child finds the one its parent wrote, start time and nice value
 * kept: a renice right after the fork is not undone). */
void lx_ptab_publish(void)
{
	int v;

	if (!present())
		return;
	write_entry(lx.pid, lx_nthreads, lx_ptab_nice(lx.ppid, &v) ? v : lx_nice_local());
}

/* fork: the parent writes the child's entry before the child runs, so
 * ps or renice right after the fork find it. */
void lx_ptab_forked(uint64_t child)
{
	if (present())
		write_entry(child, 1, my_nice());
}

/* Our mappings changed: the size alone (an odd-even step of seq too). */
void lx_ptab_vsize(void)
{
	struct lx_pentry *e;
	uint32_t seq;

	if (!have_ptab || have_ptab < 0)
		return;	/* (published in full at the next execve or fork) */
	e = &ptab->e[lx.pid & (PTAB_SLOTS - 1)];
	if (e->pid != lx.pid)
		return;
	seq = entry_write_begin(e, e->seq);
	e->vsize = vsize();
	entry_write_end(e, seq);
}

/* Our entry in the table, or NULL (no table, or not ours yet). */
static struct lx_pentry *own_entry(void)
{
	struct lx_pentry *e;

	if (!present())
		return NULL;
	e = &ptab->e[lx.pid & (PTAB_SLOTS - 1)];
	return e->pid == lx.pid ? e : NULL;
}

/* Our reaped children's CPU time (cputime.c): what our parent adds to
 * its own when it reaps us. */
void lx_ptab_cputimes(uint64_t cu, uint64_t cs)
{
	struct lx_pentry *e = own_entry();
	uint32_t seq;

	if (!e)
		return;
	seq = entry_write_begin(e, e->seq);
	e->cutime_tb = cu;
	e->cstime_tb = cs;
	entry_write_end(e, seq);
}

static void set_caps(struct lx_pentry *e)
{
	lx_caps_get(e->caps);
}

/* Our entry's fields that fill sets, rewritten under its sequence count. */
static void rewrite_own(void (*fill)(struct lx_pentry *))
{
	struct lx_pentry *e = own_entry();
	uint32_t seq;

	if (!e)
		return;
	seq = entry_write_begin(e, e->seq);
	fill(e);
	entry_write_end(e, seq);
}

void lx_ptab_sigs(void)
{
	rewrite_own(set_sigs);
}

void lx_ptab_caps(void)
{
	rewrite_own(set_caps);
}

void lx_ptab_fork_child(uint64_t child)
{
	struct lx_pentry *e = own_entry();

	if (e)
		__atomic_store_n(&e->fork_child, (uint32_t)child, __ATOMIC_RELEASE);
}

int lx_ptab_in_fork(uint64_t ppid, uint64_t child)
{
	const struct lx_pentry *e;

	if (!present() || !ppid)
		return 0;
	e = &ptab->e[ppid & (PTAB_SLOTS - 1)];
	return __atomic_load_n(&e->pid, __ATOMIC_ACQUIRE) == ppid &&
	       __atomic_load_n(&e->fork_child, __ATOMIC_ACQUIRE) == child;
}

void lx_ptab_stop(int sig)
{
	struct lx_pentry *e = own_entry();
	uint32_t seq;

	if (!e)
		return;
	seq = entry_write_begin(e, e->seq);
	e->stop_sig = (uint32_t)sig;
	if (sig)
		e->stop_gen++;
	else
		e->cont_gen++;
	entry_write_end(e, seq);
}

/* pid's nice value (1), or 0 if the table has no entry for it. One
 * word, read and written whole: no sequence count needed. */
int lx_ptab_nice(uint64_t pid, int *v)
{
	const struct lx_pentry *e;

	if (!present() || !pid)
		return 0;
	e = &ptab->e[pid & (PTAB_SLOTS - 1)];
	if (__atomic_load_n(&e->pid, __ATOMIC_ACQUIRE) != pid)
		return 0;
	*v = __atomic_load_n(&e->nice, __ATOMIC_RELAXED);
	if (*v < -20 || *v > 19)
		*v = 0;	/* scribbled on */
	return 1;
}

/* A vfork child's state (LX_VFORK_*) in pid's entry: one word, read and
 * written whole by the child and its parent; NONE if it has no entry. */
int lx_ptab_vfork(uint64_t pid)
{
	const struct lx_pentry *e;

	if (!present() || !pid)
		return LX_VFORK_NONE;
	e = &ptab->e[pid & (PTAB_SLOTS - 1)];
	if (__atomic_load_n(&e->pid, __ATOMIC_ACQUIRE) != pid)
		return LX_VFORK_NONE;
	return __atomic_load_n(&e->vfork, __ATOMIC_ACQUIRE);
}

void lx_ptab_set_vfork(uint64_t pid, int v)
{
	struct lx_pentry *e;

	if (!present() || !pid)
		return;
	e = &ptab->e[pid & (PTAB_SLOTS - 1)];
	if (__atomic_load_n(&e->pid, __ATOMIC_ACQUIRE) == pid)
		__atomic_store_n(&e->vfork, v, __ATOMIC_RELEASE);
}

/* renice: set pid's nice value in its entry (1), 0 if it has none. */
int lx_ptab_set_nice(uint64_t pid, int v)
{
	struct lx_pentry *e;

	if (!present() || !pid)
		return 0;
	e = &ptab->e[pid & (PTAB_SLOTS - 1)];
	if (__atomic_load_n(&e->pid, __ATOMIC_ACQUIRE) != pid)
		return 0;
	__atomic_store_n(&e->nice, v, __ATOMIC_RELAXED);
	return 1;
}

/* pid's entry into *out (1), or 0 if the table has none for it. */
int lx_ptab_get(uint64_t pid, struct lx_pentry *out)
{
	const struct lx_pentry *e;

	if (!present() || !pid)
		return 0;
	e = &ptab->e[pid & (PTAB_SLOTS - 1)];
	for (int tries = 0; tries < 100; tries++) {
		uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);

		if (seq & 1) {
			k42_sc_yield();
			continue;
		}
		memcpy(out, e, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != seq)
			continue;
		if (out->pid != pid)
			return 0;
		if (out->cmdline_len > sizeof(out->cmdline))
			out->cmdline_len = sizeof(out->cmdline);
		out->exe[sizeof(out->exe) - 1] = '\0';
		return 1;
	}
	return 0;
}

/* The tree's name `which` (0: node, 1: domain) into out[65]; 0 if none
 * was set (its last byte is 1 once set) or there is no table: then out
 * is untouched. A reader copies
 * under the sequence count and bounds the length whatever it finds. */
int lx_ptab_uts_get(int which, char *out)
{
	char buf[UTS_LEN];

	if (!present() || which < 0 || which > 1)
		return 0;
	for (int tries = 0; tries < 1000; tries++) {
		uint64_t seq = __atomic_load_n(&ptab->head.uts_seq, __ATOMIC_ACQUIRE);

		if (seq & 1)
			continue;
		memcpy(buf, ptab->head.uts[which], sizeof(buf));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&ptab->head.uts_seq, __ATOMIC_RELAXED) == seq)
			break;
	}
	if (buf[UTS_LEN - 1] != 1)	/* never set */
		return 0;
	buf[64] = '\0';
	memcpy(out, buf, 65);
	return 1;
}

/* sethostname, setdomainname: name[len] (len <= 64, no NUL needed) for
 * the whole tree. An empty name is kept as Linux keeps it. */
int lx_ptab_uts_set(int which, const char *name, size_t len)
{
	uint64_t seq;

	if (!present() || which < 0 || which > 1 || len > 64)
		return -1;
	do {
		seq = __atomic_load_n(&ptab->head.uts_seq, __ATOMIC_RELAXED) & ~1ull;
	} while (!__atomic_compare_exchange_n(&ptab->head.uts_seq, &seq, seq | 1, 0,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	memset(ptab->head.uts[which], 0, UTS_LEN);
	memcpy(ptab->head.uts[which], name, len);
	ptab->head.uts[which][UTS_LEN - 1] = 1;	/* set (an empty name too) */
	__atomic_store_n(&ptab->head.uts_seq, seq + 2, __ATOMIC_RELEASE);
	return 0;
}

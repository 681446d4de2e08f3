/*
 * Process: one address space (a HAT and its regions) and its dispatcher.
 * Processes are found by pid through a table indexed by the pid's slot (a
 * virtual array, K42-style); the slot is the address-space id of its HAT.
 * A pid carries its slot's generation and is never reused
 * (k42/procinfo.h), so a pid held anywhere (a parent link, a server's
 * record of a client, an FR's server) names its process or nothing.
 *
 * Locking: `lock` protects the region list and the HAT (the fault path
 * takes it without the kernel lock). Lock order (docs/smp.md, "Lock
 * order"): the kernel lock, a process lock, then an FCM's lock; two
 * process locks at once only under the kernel lock (mm/sys_mem.c). The
 * rest of a process (state, dispatchers, children) is still the kernel
 * lock's. A process is freed only through deferred deletion
 * (kern/quiesce.h), so a lock may be taken on one found since the last
 * quiescent point.
 */
#ifndef KERN_PROCESS_H
#define KERN_PROCESS_H

#include <stddef.h>
#include <stdint.h>
#include <kern/dispatcher.h>
#include <kern/smp.h>
#include <kern/spinlock.h>
#include <k42/device.h>
#include <k42/layout.h>
#include <k42/procinfo.h>

#define PROC_NAME_MAX 32
#define PROC_MAX 4095

struct region;
struct hat;
struct quota_acct;

struct process {
	uint32_t pid;		/* slot and generation: never reused */
	uint32_t parent;	/* parent's pid; init's once the parent has ended */
	char name[PROC_NAME_MAX];
	int state;		/* K42_PROC_* */
	int exit_status;
	uint64_t privileges;	/* K42_PRIV_* (k42/privilege.h): never inherited */
	uint32_t uid, gid;	/* credentials: inherited; only uid 0 sets them (proc_cred) */
	uint32_t dev_grants[K42_DEV_GRANTS];	/* PCI ids it may drive (dev_grant, K42_DEV_*): never inherited */
	struct quota_acct *acct;	/* its tree's quota account (kern/quota.h): counted */
	uint64_t nfrs;		/* FRs it created (charged to acct until it is freed) */
	struct spinlock lock;
	struct hat *hat;
	struct region *regions;	/* sorted by address */
	uint64_t shared_pa;	/* the dispatcher's shared page */
	uint64_t ppc_pa;	/* its own PPC page (kern/ppc.c copies call data) */
	int redirected;		/* has a successor (process_set_successor; never cleared) */
	int vector_used;	/* a dispatcher used FP/VMX/VSX: every shared page says so */
	/* mem_expose: [expose_va, +expose_len) of its memory may be read
	 * (mem_read) by processes of its user id, or uid 0, that do not
	 * manage it. Not inherited. */
	uint64_t expose_va, expose_len;
	struct dispatcher disp;
	/* Its further dispatchers (kern/vp.h), owned: freed with it. They
	 * fill vps[1..] from the front and leave only with the process. */
	struct dispatcher *vps[K42_VPS_MAX];
	uint64_t vp_shared_pa[K42_VPS_MAX];
};

struct process *process_create(const char *name, uint32_t parent, unsigned prio);
/* One slot of the process table (kern/process.c owns it; here for the
 * inline look-up below). */
struct pid_slot {
	struct process *p;	/* live process, or NULL */
	uint32_t pid;		/* whole id of the current or last holder; 0: never used */
	uint32_t parent;	/* after the end: its parent then (re-parented like the living) */
	int state;		/* after the end: K42_PROC_EXITED or _KILLED */
	int status;
	int freeing;		/* ended, memory not yet reclaimed: slot not reusable */
	int unread;		/* ended, final state not yet read by proc_status: reused last */
	int retired;		/* generation exhausted: never used again */
	uint32_t successor;	/* ipc_redirect: calls to this pid go there (kept after the end) */
	uint64_t utime_tb, stime_tb;	/* after the end: its CPU time (proc_times) */
};
extern struct pid_slot proc_pids[PROC_MAX + 1];

/* The process with this pid if it exists and has not ended (any 64-bit
 * value may be passed: a user argument needs no checks first). Inline:
 * the PPC fast path looks its server up on every call. */
static inline struct process *process_lookup(uint64_t pid)
{
	uint32_t slot = (uint32_t)pid & K42_PID_SLOT_MASK;
	struct process *p;

	if (pid == 0 || pid > UINT32_MAX || slot == 0 || slot > PROC_MAX)
		return NULL;
	p = __atomic_load_n(&proc_pids[slot].p, __ATOMIC_ACQUIRE);
	return p && p->pid == pid ? p : NULL;
}
/* End p: unmap everything, wake whoever waits for it, free it after
 * quiescence. `why` (NULL for a normal exit) is printed as one line. */
void process_end(struct process *p, int state, int status, const char *why);
uint64_t process_count(void);
/* p's CPU time: the sum over its dispatchers (k42/procinfo.h). */
void process_times(const struct process *p, uint64_t *utime, uint64_t *stime);
/* Dispatchers of live processes whose fast-entry word (kern/disp_fast.h)
 * disagrees with their fields: 0 unless a writer forgot to sync it. */
uint64_t process_fast_stale(void);
/* Where a call to pid goes: pid itself, or the end of its chain of
 * successors (ipc_redirect, kept after a process ends until its slot is
 * taken again); 0 for a chain longer than PROC_ROUTE_HOPS. */
#define PROC_ROUTE_HOPS 8
uint64_t process_route(uint64_t pid);
/* From now on calls to p go to `to` (live, not p, chain bounded): 0,
 * -K42_EBUSY (p has one already), -K42_ESRCH, -K42_EINVAL or -K42_ELOOP. */
long process_set_successor(struct process *p, uint64_t to);
/* The dispatcher of tp that takes a call made on `cpu`: the one running
 * there, if tp started one there that takes calls (k42_vp_serve_all), so
 * a call stays on its CPU; else tp's own dispatcher 0 (kern/ppc.c). */
static inline struct dispatcher *ppc_server_disp(struct process *tp, uint32_t cpu)
{
	struct dispatcher *d;

	for (int i = 1; i < K42_VPS_MAX && (d = tp->vps[i]) != 0; i++)
		if (d->cpu == cpu && d->state != DS_DEAD && d->entries[K42_ENTRY_IPC_CALL])
			return d;
	return &tp->disp;
}
/* The vector_used word a new shared page of p starts with
 * (<k42/dispatcher.h>), one of three values: K42_VECTOR_USED once p used
 * the FP/VMX/VSX registers; before that K42_VECTOR_QUAD while one CPU is
 * online (CPUs come online before the first process, and never go), or
 * 0. Never both bits: libk42's switch tells the three apart with one
 * signed compare (switch.S). */
static inline uint64_t process_vector_word(const struct process *p)
{
	if (p->vector_used)
		return K42_VECTOR_USED;
	return smp_ncpus == 1 ? K42_VECTOR_QUAD : 0;
}
/* p (or its fork parent) used the FP/VMX/VSX registers: say so in the
 * shared page of each of its dispatchers, now and when made (kern/vp.c),
 * so that libk42's thread switch keeps them from now on. Under the kernel
 * lock. */
static inline void process_vector_used(struct process *p)
{
	p->vector_used = 1;
	p->disp.shared->vector_used = process_vector_word(p);
	for (int i = 1; i < K42_VPS_MAX && p->vps[i]; i++)
		p->vps[i]->shared->vector_used = process_vector_word(p);
}
/* May caller read [va, va+len) of p though it does not manage p? Only
 * inside the range p exposed (mem_expose), and only for its own user id
 * or uid 0 (as Linux lets the same user read /proc/PID/maps). */
static inline int process_may_peek(const struct process *caller, const struct process *p,
				   uint64_t va, uint64_t len)
{
	return p && p->expose_len && va >= p->expose_va && len <= p->expose_len &&
	       va - p->expose_va <= p->expose_len - len && (caller->uid == 0 || caller->uid == p->uid);
}
/* Does p hold every privilege in `priv` (K42_PRIV_*)? */
static inline int process_has(const struct process *p, uint64_t priv)
{
	return (p->privileges & priv) == priv;
}
/* PPC state of a dispatcher that ends: its callers get -K42_EDEAD, its
 * own call is withdrawn (kern/ppc.c). */
void ipc_disp_end(struct dispatcher *d);
/* Bounded calls made on this CPU whose time is up return -K42_ETIMEDOUT
 * (kern/ppc_timed.c); each CPU's tick expires its own list: under the kernel
 * lock, or under this CPU's local lock with the locks
 * ipc_calls_expire_locks names (kern/timer.c). Returns how many calls
 * it ended. */
int ipc_calls_expire(uint64_t now);
/* Has this CPU's list of bounded calls work (a call due, or an entry
 * answered meanwhile to drop)? Read under this CPU's local lock: the
 * list changes only under it (the kernel lock's holder holds it). */
int ipc_calls_due(uint64_t now);
/* Which other CPUs' local locks (bits in *mask) ipc_calls_expire needs
 * now, with this CPU's held: 0, or -1 for the kernel lock (kern/ppc_timed.c). */
int ipc_calls_expire_locks(uint64_t now, uint64_t *mask);
/* Bounded calls waiting on any CPU (for the tick's counter). */
int ipc_calls_timed_any(void);
/* Is `caller` allowed to manage `target` (itself or an ancestor of it)? */
int process_may_manage(const struct process *caller, const struct process *target);
/* Decode a pid argument of a kernel call from `caller`: 0 and *out, or
 * -K42_ESRCH (no such process) or -K42_EPERM (not the caller's to manage). */
long process_managed(const struct process *caller, uint64_t pid, struct process **out);
/* State and exit status of pid for `caller` (itself, a descendant, or an
 * ended child of one): 0, -K42_ESRCH or -K42_EPERM. */
int process_status(const struct process *caller, uint64_t pid, int *state, int *status);

#endif

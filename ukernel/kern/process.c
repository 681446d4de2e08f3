/*
 * Processes (see kern/process.h): creation with a fresh address space and
 * its dispatcher's shared page and PPC page mapped, and the end of a
 * process, whose memory is released only after quiescence.
 */
#include <stddef.h>
#include <string.h>
#include <arch/memlayout.h>
#include <arch/context.h>
#include <arch/vsx.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <kern/disp_fast.h>
#include <kern/exec.h>
#include <kern/panic.h>
#include <kern/percpu.h>
#include <kern/printk.h>
#include <kern/process.h>
#include <kern/quiesce.h>
#include <kern/quota.h>
#include <kern/sched.h>
#include <kern/smp.h>
#include <kern/vp.h>
#include <kern/syscall.h>
#include <k42/procinfo.h>
#include <kern/ipc_call.h>
#include <mm/usercopy.h>
#include <kern/trace.h>
#include <mm/fcm.h>
#include <mm/fr.h>
#include <mm/hat.h>
#include <mm/kmem.h>
#include <mm/meminit.h>
#include <mm/pm.h>
#include <mm/region.h>

struct proc_holder {
	struct process proc;
	struct deferred dfr;
};

/*
 * The process table, indexed by the slot part of a pid (k42/procinfo.h).
 * While a process lives, `p` points at it and the process object is the one
 * record of its state; when it ends, its final state and status are copied
 * here (for proc_status) and `p` is cleared. `pid` is the whole id of the
 * slot's current or last holder: a lookup matches the whole id, so a stale
 * pid names nothing once its slot is taken again.
 */
struct pid_slot proc_pids[PROC_MAX + 1];	/* (struct pid_slot: kern/process.h) */
static uint32_t pid_cursor, pid_high;	/* last slot handed out; highest slot ever used */
static uint64_t live;

static struct pid_slot *slot_of(uint64_t pid)
{
	uint32_t slot = (uint32_t)pid & K42_PID_SLOT_MASK;

	if (pid == 0 || pid > UINT32_MAX || slot == 0 || slot > PROC_MAX || proc_pids[slot].pid != pid)
		return NULL;
	return &proc_pids[slot];
}

/*
 * No lock: a process is published in its slot (release) only once it is
 * built, and its memory is freed only after quiescence, so the pointer
 * read here stays valid until the caller's next quiescent point. The
 * process's own pid, never changed, says whether it is the one asked for
 * (the slot may meanwhile hold a newer generation).
 */

uint64_t process_route(uint64_t pid)
{
	struct pid_slot *first = slot_of(pid);
	uint64_t to = pid;

	for (int hop = 0; hop < PROC_ROUTE_HOPS; hop++) {
		struct pid_slot *s = slot_of(to);

		if (!s || !s->successor) {
			if (first && first->successor && to != pid)
				first->successor = (uint32_t)to;	/* shorten the chain */
			return to;
		}
		to = s->successor;
	}
	return 0;	/* longer than anyone may build: names nothing */
}

long process_set_successor(struct process *p, uint64_t to)
{
	struct pid_slot *s = slot_of(p->pid);
	uint64_t end = process_route(to);
	struct process *t = process_lookup(end);

	if (s->successor)
		return -K42_EBUSY;	/* once per process */
	if (!end && to)
		return -K42_ELOOP;
	if (!t || t->state != K42_PROC_RUNNING)
		return -K42_ESRCH;
	/* end has no successor, and nothing routes through p yet to it (p
	 * has none), so no cycle can form; only p itself is refused. */
	if (t == p)
		return -K42_EINVAL;
	s->successor = (uint32_t)end;
	p->redirected = 1;	/* (the PPC fast path leaves its calls to target_of) */
	proc_fast_sync(p);
	return 0;
}

uint64_t process_count(void)
{
	return live;
}

uint64_t process_fast_stale(void)
{
	uint64_t n = 0;

	for (uint32_t i = 1; i <= PROC_MAX; i++) {
		struct process *p = proc_pids[i].p;

		if (!p)
			continue;
		n += p->disp.fast_off != disp_fast_bits(&p->disp);
		for (int v = 1; v < K42_VPS_MAX && p->vps[v]; v++)
			n += p->vps[v]->fast_off != disp_fast_bits(p->vps[v]);
	}
	return n;
}

int process_may_manage(const struct process *caller, const struct process *target)
{
	/* Itself, or any of its descendants (init can end a server its
	 * launcher started). Parent links are whole proc_pids, never reused, and
	 * orphans are handed to their grandparent, so a chain ends at init;
	 * the bound is only a guard. */
	for (int depth = 0; target && depth < 64; depth++) {
		if (target == caller)
			return 1;
		target = process_lookup(target->parent);
	}
	return 0;
}

void process_times(const struct process *p, uint64_t *utime, uint64_t *stime)
{
	uint64_t u = __atomic_load_n(&p->disp.utime_tb, __ATOMIC_RELAXED);
	uint64_t s = __atomic_load_n(&p->disp.stime_tb, __ATOMIC_RELAXED);

	for (int i = 1; i < K42_VPS_MAX && p->vps[i]; i++) {
		u += __atomic_load_n(&p->vps[i]->utime_tb, __ATOMIC_RELAXED);
		s += __atomic_load_n(&p->vps[i]->stime_tb, __ATOMIC_RELAXED);
	}
	*utime = u;
	*stime = s;
}

static void describe(const struct process *p, struct k42_procinfo *info)
{
	memset(info, 0, sizeof(*info));
	info->pid = p->pid;
	info->parent = p->parent;
	info->state = p->state;
	info->prio = p->disp.prio;
	info->upcalls = p->disp.shared->upcalls;
	memcpy(info->name, p->name, sizeof(info->name));
	info->privileges = p->privileges;
	info->cpu = p->disp.cpu;
	info->running = p->disp.state == DS_RUNNING;
	if (p->disp.state == DS_IN_CALL && p->disp.call && p->disp.call->server)
		info->in_call = p->disp.call->server->proc->pid;
	info->uid = p->uid;
	info->gid = p->gid;
	process_times(p, &info->utime_tb, &info->stime_tb);
}

long sys_proc_list(struct trap_frame *tf)
{
	uint64_t va = ctx_arg(tf, 0), max = ctx_arg(tf, 1), n = 0;

	for (uint32_t slot = 1; slot <= pid_high && n < max; slot++) {
		struct process *p = proc_pids[slot].p;
		struct k42_procinfo info;
		int rc;

		if (!p)
			continue;
		describe(p, &info);
		rc = copy_to_user(syscall_process(), va + n * sizeof(info), &info, sizeof(info));
		if (rc < 0)
			return rc;
		n++;
	}
	return (long)n;
}

/* One entry of proc_list, by pid: how a server learns whether a caller
 * holds a privilege or is an ancestor of someone, without listing every
 * process (public information, like proc_list). */
long sys_proc_describe(struct trap_frame *tf)
{
	struct process *p = process_lookup(ctx_arg(tf, 0));
	struct k42_procinfo info;

	if (!p)
		return -K42_ESRCH;
	describe(p, &info);
	return copy_to_user(syscall_process(), ctx_arg(tf, 1), &info, sizeof(info));
}

/* CPU time of a live process, or of an ended one whose slot still names
 * it; public, like proc_describe (Linux's /proc/PID/stat is readable by
 * all). */
long sys_proc_times(struct trap_frame *tf)
{
	uint64_t pid = ctx_arg(tf, 0);
	struct process *p = process_lookup(pid);
	struct k42_proctimes t;

	if (p) {
		process_times(p, &t.utime_tb, &t.stime_tb);
	} else {
		uint32_t slot = (uint32_t)pid & K42_PID_SLOT_MASK;
		const struct pid_slot *s = &proc_pids[slot];

		if (pid == 0 || pid > UINT32_MAX || slot == 0 || slot > PROC_MAX || s->pid != pid ||
		    (s->state != K42_PROC_EXITED && s->state != K42_PROC_KILLED))
			return -K42_ESRCH;
		t.utime_tb = s->utime_tb;
		t.stime_tb = s->stime_tb;
	}
	return copy_to_user(syscall_process(), ctx_arg(tf, 1), &t, sizeof(t));
}

/* mem_expose(va, len): let processes of our user id (or uid 0) read
 * [va, va+len) of our memory with mem_read (len 0: nothing); at most
 * MEM_EXPOSE_MAX bytes. */
#define MEM_EXPOSE_MAX (4ul << 20)
long sys_mem_expose(struct trap_frame *tf)
{
	struct process *self = syscall_process();
	uint64_t va = ctx_arg(tf, 0), len = ctx_arg(tf, 1);

	if (len > MEM_EXPOSE_MAX || va + len < va || va + len > K42_USER_TOP)
		return -K42_EINVAL;
	spin_lock(&self->lock);	/* one pair for mem_cow_all's copy */
	self->expose_va = len ? va : 0;
	self->expose_len = len;
	spin_unlock(&self->lock);
	return 0;
}

long sys_proc_rename(struct trap_frame *tf)
{
	struct process *p, *me = syscall_process();
	char name[PROC_NAME_MAX];
	uint64_t len = ctx_arg(tf, 2);
	long rc = process_managed(me, ctx_arg(tf, 0), &p);

	if (rc < 0)
		return rc;
	if (len == 0)
		return -K42_EINVAL;
	if (len > PROC_NAME_MAX - 1)
		len = PROC_NAME_MAX - 1;
	if ((rc = copy_from_user(me, name, ctx_arg(tf, 1), len)) < 0)
		return rc;
	/* Whole bytes, NUL-padded: a reader (describe) never sees past the end. */
	for (uint64_t i = len; i < PROC_NAME_MAX; i++)
		name[i] = '\0';
	memcpy(p->name, name, sizeof(name));
	return 0;
}

long process_managed(const struct process *caller, uint64_t pid, struct process **out)
{
	struct process *p = process_lookup(pid);

	if (!p)
		return -K42_ESRCH;
	if (!process_may_manage(caller, p))
		return -K42_EPERM;
	*out = p;
	return 0;
}

int process_status(const struct process *caller, uint64_t pid, int *state, int *status)
{
	struct pid_slot *s = slot_of(pid);
	struct process *parent;

	if (!s || (!s->p && !s->state))
		return -K42_ESRCH;
	/* The living process is the one record of its state; the slot's
	 * copy is written when it ends. */
	if (s->p) {
		if (!process_may_manage(caller, s->p))
			return -K42_EPERM;
		*state = s->p->state;
		*status = s->p->exit_status;
		return 0;
	}
	parent = process_lookup(s->parent);
	if (!parent || !process_may_manage(caller, parent))
		return -K42_EPERM;
	*state = s->state;
	*status = s->status;
	s->unread = 0;
	return 0;
}

/*
 * A free slot's next pid, or 0 if the table is full. A slot whose last
 * holder ended but whose final state nobody has read yet is taken only
 * when every other slot is in use: reusing it loses that state (its
 * parent's wait then finds no such process), which happened at 4 CPUs
 * when the fuzzers of soak/ci made thousands of processes while their
 * parent still waited for an earlier one.
 */
static uint32_t alloc_pid(void)
{
	for (int pass = 0; pass < 2; pass++)
	for (uint32_t i = 0; i < PROC_MAX; i++) {
		uint32_t slot = (pid_cursor + i) % PROC_MAX + 1;
		struct pid_slot *s = &proc_pids[slot];
		uint32_t gen;

		if (s->p || __atomic_load_n(&s->freeing, __ATOMIC_ACQUIRE) || s->retired ||
		    (pass == 0 && s->unread))
			continue;
		gen = s->pid ? (s->pid >> K42_PID_SLOT_BITS) + 1 : 0;
		if (gen > K42_PID_GEN_MAX) {
			s->retired = 1;
			continue;
		}
		pid_cursor = slot;
		if (slot > pid_high)
			pid_high = slot;
		return gen << K42_PID_SLOT_BITS | slot;
	}
	return 0;
}

/* Hand the children of a process that ends (living or ended) to its own
 * parent, so that someone may still manage them and read their status,
 * and whoever could manage them before still can (its ancestors manage
 * its descendants: a Linux shell can still signal a daemon its child
 * forked). The parent is alive (every living process's parent is, or
 * it is init's), except for init itself. */
static void reparent_children(uint32_t pid, uint32_t parent)
{
	uint32_t heir = process_lookup(parent) ? parent : init_pid;

	for (uint32_t slot = 1; slot <= pid_high; slot++) {
		struct pid_slot *s = &proc_pids[slot];

		if (s->p && s->p->parent == pid)
			s->p->parent = heir;
		else if (!s->p && s->state && s->parent == pid) {
			s->parent = heir;
			s->unread = 0;	/* an orphan's state is nobody's to wait for */
		}
	}
}

struct process *process_create(const char *name, uint32_t parent, unsigned prio)
{
	struct proc_holder *h;
	struct process *p, *pp = process_lookup(parent);
	uint32_t pid = alloc_pid(), slot = pid & K42_PID_SLOT_MASK;
	size_t n;

	if (!pid || prio >= K42_PRIO_CLASSES)
		return NULL;
	h = kmem_alloc(sizeof(*h));
	if (!h)
		return NULL;
	p = &h->proc;
	/* Its account hangs below its parent's; the process itself counts. */
	p->acct = quota_create(pp ? pp->acct : NULL);
	if (!p->acct)
		goto fail_mem;
	if (quota_charge(p->acct, K42_QUOTA_PROCESSES, 1) < 0)
		goto fail_acct;
	p->pid = pid;
	p->parent = parent;
	memset(p->dev_grants, 0, sizeof(p->dev_grants));
	p->uid = pp ? pp->uid : 0;	/* init's are 0: it starts everyone */
	p->gid = pp ? pp->gid : 0;
	n = strnlen(name, PROC_NAME_MAX - 1);
	memcpy(p->name, name, n);
	p->name[n] = '\0';
	p->state = K42_PROC_CREATED;
	spin_init(&p->lock);
	p->hat = hat_create(slot);	/* the address-space id is the slot */
	if (!p->hat)
		goto fail;
	if (pm_alloc(pm_root(), 0, &p->shared_pa) < 0)
		goto fail_hat;
	if (pm_alloc(pm_root(), 0, &p->ppc_pa) < 0)
		goto fail_shared;
	memset(phys_to_virt(p->shared_pa), 0, PM_PAGE_SIZE);
	memset(phys_to_virt(p->ppc_pa), 0, PM_PAGE_SIZE);
	if (hat_map(p->hat, K42_DISP_VA, p->shared_pa, K42_PROT_READ | K42_PROT_WRITE) < 0 ||
	    hat_map(p->hat, K42_PPC_PAGE_VA, p->ppc_pa, K42_PROT_READ | K42_PROT_WRITE) < 0)
		goto fail_page;
	p->disp.proc = p;
	p->disp.shared = phys_to_virt(p->shared_pa);
	p->disp.shared_va = K42_DISP_VA;
	p->disp.ppc_pa = p->ppc_pa;
	p->disp.shared->pid = pid;
	p->disp.shared->disabled = 1;
	p->disp.shared->vector_used = process_vector_word(p);
	p->disp.state = DS_NEW;
	p->disp.fast_off = FAST_OFF_ALL;	/* (synced once running: kern/disp_fast.h) */
	p->disp.prio = (uint8_t)prio;
	p->disp.cpu = smp_place();
	p->disp.shared->cpu = p->disp.cpu;
	trace_disp_bind(p->disp.shared, p->disp.cpu);
	ctx_init_user(&p->disp.ctx, &p->disp);
	if (trace_map_into(p) < 0)
		goto fail_page;
	proc_pids[slot] = (struct pid_slot){ .pid = pid };
	__atomic_store_n(&proc_pids[slot].p, p, __ATOMIC_RELEASE);	/* lookups find it from here */
	live++;
	trace_proc_create(pid, parent, p->name);
	return p;

fail_page:
	region_destroy_all(p);
	BUG_ON(pm_free(pm_root(), p->ppc_pa, 0) < 0);
fail_shared:
	BUG_ON(pm_free(pm_root(), p->shared_pa, 0) < 0);
fail_hat:
	hat_destroy(p->hat);
fail:
	quota_uncharge(p->acct, K42_QUOTA_PROCESSES, 1);
fail_acct:
	quota_put(p->acct);
fail_mem:
	kmem_free(h, sizeof(*h));
	return NULL;
}

static void process_free(struct deferred *d)
{
	struct proc_holder *h = (struct proc_holder *)((char *)d - offsetof(struct proc_holder, dfr));
	struct process *p = &h->proc;

	hat_destroy(p->hat);
	BUG_ON(pm_free(pm_root(), p->shared_pa, 0) < 0);
	BUG_ON(pm_free(pm_root(), p->ppc_pa, 0) < 0);
	/* Its address-space id may be reused now: after its table entry and
	 * translations are gone (release; alloc_pid, under the kernel lock,
	 * may read it meanwhile). */
	__atomic_store_n(&proc_pids[p->pid & K42_PID_SLOT_MASK].freeing, 0, __ATOMIC_RELEASE);
	if (p->disp.vsx_state)
		kmem_free(p->disp.vsx_state, VSX_STATE_SIZE);
	vp_free_all(p);
	quota_uncharge(p->acct, K42_QUOTA_PROCESSES, 1);
	quota_uncharge(p->acct, K42_QUOTA_FRS, p->nfrs);
	quota_put(p->acct);
	kmem_free(h, sizeof(*h));
}

#define PEERS_MAX 32

/* The proc_pids (at most max) of other processes mapping an FCM that one of
 * p's shared regions maps (mem_share). Caller holds p->lock; the lock
 * order is a process before its FCMs. Pids, not pointers, leave here:
 * a peer may end before we raise its bit. */
static unsigned shared_peers(struct process *p, uint32_t *out, unsigned max)
{
	unsigned n = 0;

	for (struct region *r = p->regions; r; r = r->next) {
		if (!r->shared || !fcm_is_anon(r->fcm))
			continue;
		spin_lock(&r->fcm->lock);
		for (struct region *m = r->fcm->mappers; m && n < max; m = m->fcm_next) {
			uint32_t pid = m->proc->pid;
			unsigned i;

			if (m->proc == p)
				continue;
			for (i = 0; i < n && out[i] != pid; i++)
				;
			if (i == n)
				out[n++] = pid;
		}
		spin_unlock(&r->fcm->lock);
	}
	return n;
}

void disp_end(struct dispatcher *d)
{
	sched_remove(d);
	sched_timer_set(d, 0);
	d->state = DS_DEAD;
	sched_forget(d);	/* no CPU keeps its registers; one running it leaves it */
	/* Callers waiting on us get an error instead of a reply. */
	ipc_disp_end(d);
	d->state = DS_DEAD;
	d->has_ctx = 0;
	fr_dispatcher_gone(d);	/* no page-in may keep a pointer to d */
}

void process_end(struct process *p, int state, int status, const char *why)
{
	struct proc_holder *h = (struct proc_holder *)p;
	struct dispatcher *d = &p->disp;
	struct process *parent;
	uint32_t peers[PEERS_MAX];
	unsigned npeers;

	if (p->state >= K42_PROC_EXITED)
		return;
	if (why)
		kprintf("k42: killed process %u (%s): %s\n", p->pid, p->name, why);
	p->state = state;
	proc_fast_sync(p);
	p->exit_status = status;
	trace_proc_exit(p->pid, status);
	{
		struct pid_slot *s = &proc_pids[p->pid & K42_PID_SLOT_MASK];

		/* Lookups stop finding it; one that already did may use it
		 * until its quiescent point (freed after quiescence). */
		__atomic_store_n(&s->p, NULL, __ATOMIC_RELEASE);
		process_times(p, &s->utime_tb, &s->stime_tb);
		s->parent = p->parent;
		s->state = state;
		s->status = status;
		s->freeing = 1;
		s->unread = 1;
	}
	live--;
	reparent_children(p->pid, p->parent);

	disp_end(d);
	vp_end_all(p);
	fr_server_gone(p);
	spin_lock(&p->lock);
	npeers = shared_peers(p, peers, PEERS_MAX);
	region_destroy_all(p);
	spin_unlock(&p->lock);
	parent = process_lookup(p->parent);
	if (parent)
		disp_raise(&parent->disp, K42_SOFTINTR_CHILD);
	/* Whoever shared memory with p (a pipe's other ends) learns that it
	 * ended, so an end p held while killed is not waited on forever. */
	for (unsigned i = 0; i < npeers; i++) {
		struct process *q = process_lookup(peers[i]);

		if (q)
			disp_raise(&q->disp, K42_SOFTINTR_PEER);
	}
	/* (process_free takes only leaf locks and retires nothing: a CPU
	 * that does not take the kernel lock frees it where it is ripe.) */
	kquiesce_retire_leaf(&h->dfr, process_free);
	if (p->pid == init_pid) {
		kprintf("k42: init %s with status %d; powering off\n",
			state == K42_PROC_EXITED ? "exited" : "was killed", status);
		machine_halt(state == K42_PROC_EXITED && status == 0 ? 0 : 1);
	}
}

/*
 * Waiting for I/O events (docs/files.md): a pipe end or a server that
 * changes state raises K42_SOFTINTR_IO on each process registered as
 * waiting; the drain bumps k42_io_gen and wakes every thread here, and
 * each re-checks its own condition. A waiter reads the generation before
 * checking its condition, so an event in between is never lost. Code
 * outside threads (the Linux personality's system calls) waits in the
 * kernel, through the wait function it installed if any; its calls that
 * run on their own thread wait here like any thread, asking the check it
 * installed whether a signal ends the wait.
 */
#include <k42/k42.h>
#include "internal.h"
#include "fsint.h"
#include "ioevent.h"
#include <k42/privilege.h>
#include <k42/services.h>

volatile uint64_t k42_io_gen;
volatile uint64_t k42_peer_epoch;
uint64_t k42_io_wakeups;
static struct k42_waitq io_q;
static int (*handler_wait)(uint64_t deadline_tb);
static int (*thread_check)(uint64_t *deadline_tb);

void k42_io_set_handler_wait(int (*fn)(uint64_t deadline_tb))
{
	handler_wait = fn;
}

void k42_io_set_thread_check(int (*fn)(uint64_t *deadline_tb))
{
	thread_check = fn;
}

void k42_peer_gone(void)
{
	k42_peer_epoch++;
	k42_io_event();
}

void k42_io_event(void)
{
	__atomic_add_fetch(&k42_io_gen, 1, __ATOMIC_SEQ_CST);
	k42_waitq_wake_all(&io_q);
}

/*
 * The running thread is all this dispatcher has to run: sleep in the
 * kernel with the thread's registers kept there (`block` while disabled),
 * rather than switching to the idle loop and being entered afresh by the
 * wake-up (an upcall, a drain and two thread switches more: about a
 * quarter of a pipe round trip, docs/files.md). Any soft interrupt wakes
 * us; k42_io_wait's caller drains it as it enables and re-checks its
 * condition. `idle` makes another dispatcher that hands us a thread
 * kick us (k42_vp_poke), as in the idle loop.
 */
static void wait_in_kernel(uint64_t gen)
{
	struct k42_vp *v = k42_vp_self();
	uint64_t *pending = (uint64_t *)&k42_disp()->pending, io = K42_SOFTINTR_IO;

	__atomic_store_n(&v->idle, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&v->nready, __ATOMIC_RELAXED) &&
	    __atomic_load_n(&k42_io_gen, __ATOMIC_ACQUIRE) == gen)
		k42_sc_block();
	v->idle = 0;
	/* The usual wake-up, the I/O doorbell alone, is taken here as the
	 * drain would take it (k42_drain); anything else is left to the
	 * drain as we enable. */
	if (__atomic_compare_exchange_n(pending, &io, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		k42_io_event();
}

int k42_io_wait(uint64_t gen, uint64_t deadline_tb)
{
	int s = k42_disable_save(), rc = 0;

	if (k42_io_gen == gen) {
		k42_io_wakeups++;
		if (k42_current && !k42_in_handler && !s && !deadline_tb && !thread_check &&
		    !k42_nready && k42_ipc_is_open) {
			/* (The first wait goes the idle loop's way, which opens
			 * the process to calls: k42_sched_pick_or_open.) */
			wait_in_kernel(gen);
		} else if (k42_current && !k42_in_handler) {
			/* The check (the Linux personality's, for its calls
			 * run on their thread) may end the wait for a signal
			 * or bound it. */
			if (thread_check && thread_check(&deadline_tb)) {
				rc = -K42_EINTR;
			} else {
				k42_spin_lock(&k42_sync_lock);
				if (__atomic_load_n(&k42_io_gen, __ATOMIC_ACQUIRE) == gen)
					rc = k42_waitq_wait(&io_q, deadline_tb);
				else
					k42_spin_unlock(&k42_sync_lock);
				if (thread_check && thread_check(NULL))
					rc = -K42_EINTR;
			}
		} else if (handler_wait) {
			/* The Linux personality's system calls: its own wait,
			 * which may end with -K42_EINTR for a signal. */
			rc = handler_wait(deadline_tb);
		} else {
			/* No thread to block (handler code): wait in the kernel. */
			k42_sc_block();
		}
	}
	k42_restore(s);
	return rc;
}

uint64_t k42_io_generation(void)
{
	return k42_io_gen;
}

int k42_io_wait_gen(uint64_t gen, uint64_t deadline_tb)
{
	return k42_io_wait(gen, deadline_tb);
}

long ioevent_event_impl(const struct k42_ipc_caller *caller)
{
	(void)caller;
	k42_io_event();
	return 0;
}

/* 1 on a uniprocessor, 0 otherwise, -1 until asked. */
static int one_cpu = -1;

/* Wake pid's I/O waiters: the K42_SOFTINTR_IO doorbell, which the
 * kernel lets any process ring (docs/files.md). On a uniprocessor the
 * waiter cannot run before we next enter the kernel (to sleep, to be
 * preempted, for anything), so the ring is folded into that entry
 * (k42_disp_shared.defer_io): a pipe's round trip then makes one kernel
 * call per side instead of two. With more CPUs the waiter may be idle on
 * another one: ring it now. */
long k42_io_notify(uint64_t pid)
{
	uint64_t none = 0;

	if (one_cpu < 0)
		one_cpu = k42_info(K42_INFO_CPUS_ONLINE) == 1;
	if (one_cpu && (k42_disp()->defer_io == pid ||
			__atomic_compare_exchange_n(&k42_disp()->defer_io, &none, pid, 0,
						    __ATOMIC_RELEASE, __ATOMIC_RELAXED)))
		return 0;
	return k42_sc_softintr_raise(pid, K42_SOFTINTR_IO);
}

static void (*interrupt_handler)(void);

void k42_on_interrupt(void (*fn)(void))
{
	interrupt_handler = fn;
}

/* ^C ends or signals the process, so only the console (the holder of the
 * console privilege, who owns the terminal) or a process that may manage
 * us anyway (ourselves, an ancestor) may send it; from anyone else it is
 * refused. The caller id is the kernel's, and a pid is never reused. */
long ioevent_interrupt_impl(const struct k42_ipc_caller *caller)
{
	if (!k42_proc_manages(caller->pid, k42_info(K42_INFO_PID)) &&
	    !k42_proc_holds(caller->pid, K42_PRIV_CONSOLE))
		return -K42_EPERM;
	if (interrupt_handler)
		interrupt_handler();
	else
		k42_sc_exit(130);	/* 128 + SIGINT, as a shell reports it */
	return 0;
}

static void (*signal_handler)(uint64_t from, uint32_t sig);

void k42_on_signal(void (*fn)(uint64_t from, uint32_t sig))
{
	signal_handler = fn;
}

long k42_send_signal(uint64_t pid, uint32_t sig)
{
	return ioevent_signal(pid, sig);
}

/* The caller id is the kernel's: the handler judges the sender. */
long ioevent_signal_impl(const struct k42_ipc_caller *caller, uint32_t sig)
{
	if (!signal_handler)
		return -K42_EPERM;
	signal_handler(caller->pid, sig);
	return 0;
}

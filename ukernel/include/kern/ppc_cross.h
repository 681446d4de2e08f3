/*
 * PPC between CPUs without the kernel lock (kern/ppc_cross.c), and the
 * helpers of kern/ppc.c it shares with the general path.
 */
#ifndef KERN_PPC_CROSS_H
#define KERN_PPC_CROSS_H

#include <stdint.h>
#include <arch/context.h>
#include <kern/dispatcher.h>
#include <kern/ipc_call.h>
#include <kern/percpu.h>
#include <kern/process.h>
#include <kern/trace.h>

/* kern/ppc.c: the request or reply bytes from one PPC page to another;
 * the call's registers as the server sees them from result `first` on;
 * a parked synchronous caller's result; a server that replied and goes
 * on (queued with its context) or waits (K42_IPC_REPLY_IDLE). */
void copy_page_data(struct dispatcher *from, struct dispatcher *to, uint32_t len);
void set_call_regs(struct trap_frame *tf, const struct ipc_call *c, int first);
void set_caller_result(struct dispatcher *caller, long status, uint32_t len, const uint64_t *w);
void server_after_reply(struct trap_frame *tf, struct dispatcher *cur, uint64_t lenflags);
/* kern/ppc.c: a call's target (0, or the refusal the locked path gives);
 * can t be entered for a call now; a synchronous caller waits in c. */
long ppc_target_of(uint64_t pid, struct dispatcher *cur, struct dispatcher **out);
int ppc_takes_upcall(const struct dispatcher *t);
/* kern/ppc.c: a one-way message (ppc_send's op and words in tf) from cur
 * into t's ring, t woken: 0, or -K42_EAGAIN if the ring is full. With the
 * kernel lock or t's CPU's local lock held (its writers' rule). */
long ppc_msg_put(struct trap_frame *tf, struct dispatcher *cur, struct dispatcher *t);
void ppc_call_begin(struct trap_frame *tf, struct dispatcher *cur, struct dispatcher *t,
		    struct ipc_call *c, uint64_t op);
/* kern/ppc.c: enter d at `entry` (its context kept in its shared page).
 * kern/ppc_async.c (after ppc_enter_server): can d take the
 * K42_ENTRY_IPC_RETURN upcall now; an async reply's registers from index
 * `first` on. */
void ppc_upcall_into(struct trap_frame *tf, struct dispatcher *d, int entry);
/* kern/ppc.c: hand the processor to server t for its active call c (t
 * taken off its run queue, made current here). */
void ppc_enter_server(struct trap_frame *tf, struct dispatcher *t, struct ipc_call *c);
int ppc_takes_return(const struct dispatcher *d);
void ppc_set_return_regs(struct trap_frame *tf, int first, long status, uint32_t len,
			 const uint64_t *w);

/* An async call's record from its caller's registers (ppc_call_async:
 * r4 op, r5.. words, r11 buffer) and the call traced. */
static inline void ppc_async_record(struct ipc_call *c, const struct trap_frame *tf,
				    const struct dispatcher *cur, const struct dispatcher *t)
{
	trace_ppc_call(cur->proc->pid, t->proc->pid, ctx_arg(tf, 1));
	c->caller_pid = cur->proc->pid;
	c->op = ctx_arg(tf, 1);
	c->buf = ctx_arg(tf, 8);
	for (int i = 0; i < (int)K42_IPC_WORDS; i++)
		c->w[i] = ctx_arg(tf, 2 + i);
}

/* Both with this CPU's local lock held (ppc_fast, kern/ppc_local.c); 1 if done
 * (cur goes on in tf), 0 with nothing changed (the locked path). */
int ppc_accept_fast(struct trap_frame *tf, struct dispatcher *cur);
int ppc_reply_cross(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur);
/* A call (async: ppc_call_async) to a server living on another CPU that
 * cannot take it now, queued there (kern/ppc_cross.c). */
int ppc_call_cross(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur, int async);
/* A call (async: ppc_call_async) to a server's dispatcher 0 living on
 * another CPU that takes the upcall now: moved here and entered
 * (kern/ppc_move.c). */
int ppc_call_move(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur, int async);
/* ppc_collect (cur's own list), and ppc_send under the target's CPU's lock. */
int ppc_collect_fast(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur);
int ppc_send_fast(struct trap_frame *tf, struct percpu *pc, struct dispatcher *cur);

#endif

/*
 * Calls out that do not hold the dispatcher (docs/libk42.md): a thread's
 * call that only it waits for (k42_ipc_call_wait: the kernel reads and
 * writes the thread's own message buffer, and the thread waits on
 * `reply_waiters` keyed by the call's handle), asynchronous calls
 * (k42_ipc_start / k42_ipc_finish / k42_ipc_cancel), and the delivery of
 * their replies, by upcall at K42_ENTRY_IPC_RETURN or collected with
 * ppc_collect. Replies are matched to waiters under k42_sync_lock (a
 * waiter may be on any dispatcher). The rest of the IPC runtime is ipc.c.
 */
#include <string.h>
#include "internal.h"

void k42_on_ipc_return(uint64_t h, uint64_t status, uint64_t len, uint64_t w0, uint64_t w1,
		       uint64_t w2, uint64_t w3, uint64_t w4, uint64_t w5);

uint64_t k42_ipc_async_calls, k42_ipc_return_upcalls, k42_ipc_collected;
static struct k42_thread *reply_waiters;	/* threads in k42_ipc_call_wait */
static struct k42_ipc_pending *pendings;	/* started by k42_ipc_start, not answered */

static void async_reply_locked(uint64_t h, const uint64_t *res);

/* The reply to async call h (disabled): its thread takes it and wakes
 * (under k42_sync_lock: a k42_ipc_finish waiter may be elsewhere). */
static void async_reply(uint64_t h, const uint64_t *res)
{
	k42_spin_lock(&k42_sync_lock);
	async_reply_locked(h, res);
	k42_spin_unlock(&k42_sync_lock);
}

static void async_reply_locked(uint64_t h, const uint64_t *res)
{
	for (struct k42_thread **pp = &reply_waiters, *t; (t = *pp) != NULL; pp = &t->wnext) {
		if (t->async_handle != h)
			continue;
		*pp = t->wnext;
		t->wnext = NULL;
		for (int i = 0; i < 8; i++)
			t->async_res[i] = res[i];
		t->async_done = 1;
		k42_thread_wake(t);
		return;
	}
	for (struct k42_ipc_pending **pp = &pendings, *p; (p = *pp) != NULL; pp = &p->next) {
		if (p->handle != h)
			continue;
		*pp = p->next;
		p->next = NULL;
		p->msg.op = res[0];
		p->msg.len = res[1] > K42_IPC_PAGE_BYTES ? 0 : (uint32_t)res[1];
		for (int i = 0; i < 6; i++)
			p->msg.w[i] = res[2 + i];
		p->status = (long)res[0];
		p->done = 1;
		if (p->waiter)
			k42_thread_wake(p->waiter);
		return;
	}
	/* Nobody waits for it: a call made with the raw kernel call. */
}

long k42_ipc_start(k42_handle_t target, struct k42_ipc_pending *p)
{
	struct k42_ipc_msg *m = &p->msg;
	long h;
	int s = k42_disable_save();

	p->done = 0;
	p->waiter = NULL;
	k42_ipc_grant_out();
	h = k42_sc_ppc_call_async(target, m->op, m->w[0], m->w[1], m->w[2], m->w[3], m->w[4],
				  m->w[5], (uint64_t)p->page);
	if (h < 0) {
		k42_restore(s);
		return h;
	}
	k42_ipc_async_calls++;
	p->handle = (uint64_t)h;
	k42_spin_lock(&k42_sync_lock);
	p->next = pendings;
	pendings = p;
	k42_spin_unlock(&k42_sync_lock);
	k42_restore(s);
	return 0;
}

long k42_ipc_finish(struct k42_ipc_pending *p)
{
	int s = k42_disable_save();

	while (!p->done) {
		if (k42_current && !k42_in_handler) {
			k42_spin_lock(&k42_sync_lock);
			if (p->done) {
				k42_spin_unlock(&k42_sync_lock);
				break;
			}
			p->waiter = k42_current;
			k42_thread_block_unlock(K42_WAIT_IPC, &k42_sync_lock);
		} else {
			/* No thread to block: handle what is pending (the
			 * reply's notice among it), else sleep until more is. */
			k42_drain();
			if (!p->done)
				k42_sc_block();
		}
	}
	p->waiter = NULL;
	k42_restore(s);
	return p->status;
}

long k42_ipc_cancel(struct k42_ipc_pending *p)
{
	int s = k42_disable_save();
	long rc = 1;

	/* Under the lock async_reply delivers under: if the kernel no longer
	 * has the call, its reply was taken (here or by another dispatcher of
	 * ours, which waits for the lock to hand it to p) and p gets it. */
	k42_spin_lock(&k42_sync_lock);
	if (!p->done && k42_sc_ppc_cancel_async(p->handle) == 0) {
		for (struct k42_ipc_pending **pp = &pendings; *pp; pp = &(*pp)->next) {
			if (*pp == p) {
				*pp = p->next;
				break;
			}
		}
		p->next = NULL;
		p->msg.op = (uint64_t)-K42_EINTR;
		p->msg.len = 0;
		p->status = -K42_EINTR;
		p->done = 1;
		if (p->waiter)
			k42_thread_wake(p->waiter);
		rc = 0;
	}
	k42_spin_unlock(&k42_sync_lock);
	k42_restore(s);
	return rc;
}

void k42_ipc_collect_all(void)
{
	uint64_t out[8];
	long h;

	while ((h = k42_sc_ppc_collect(out)) >= 0) {
		k42_ipc_collected++;
		async_reply((uint64_t)h, out);
	}
}

void k42_on_ipc_return(uint64_t h, uint64_t status, uint64_t len, uint64_t w0, uint64_t w1,
		       uint64_t w2, uint64_t w3, uint64_t w4, uint64_t w5)
{
	uint64_t res[8] = { status, len, w0, w1, w2, w3, w4, w5 };
	struct k42_thread *cur = k42_take_saved();

	k42_ipc_return_upcalls++;
	async_reply(h, res);
	k42_resume_or_switch(cur);
}

long k42_ipc_call_wait(uint64_t target, struct k42_ipc_msg *m)
{
	struct k42_thread *me = k42_current;
	long h;
	int s;

	if (!me || k42_in_handler || m->page == k42_ppc_page())
		return k42_ipc_call_copy(target, m);
	s = k42_disable_save();
	k42_ipc_grant_out();
	h = k42_sc_ppc_call_async(target, m->op, m->w[0], m->w[1], m->w[2], m->w[3], m->w[4],
				  m->w[5], (uint64_t)m->page);
	if (h < 0) {
		k42_restore(s);
		m->op = (uint64_t)h;
		m->len = 0;
		return h;
	}
	k42_ipc_async_calls++;
	me->async_handle = (uint64_t)h;
	me->async_done = 0;
	k42_spin_lock(&k42_sync_lock);
	me->wnext = reply_waiters;
	reply_waiters = me;
	k42_spin_unlock(&k42_sync_lock);
	/* The reply may be waiting already (the server ran at once): the
	 * drain in the reschedule collects it. */
	while (!me->async_done)
		k42_thread_block_self(K42_WAIT_IPC);
	m->op = me->async_res[0];
	m->len = (uint32_t)me->async_res[1];
	for (int i = 0; i < 6; i++)
		m->w[i] = me->async_res[2 + i];
	if (m->len > K42_IPC_PAGE_BYTES)
		m->len = 0;
	k42_restore(s);
	return (long)m->op;
}

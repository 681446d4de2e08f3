/*
 * In-process stand-in for the kernel's PPC transport, for host tests of
 * generated stubs: k42_ipc_call copies the client's message into a separate
 * server-side message and page (as the kernel would), runs the bound
 * dispatch function with a chosen caller identity, and copies the reply
 * back. Hooks let tests play a hostile client or a hostile server.
 */
#ifndef K42_TEST_LOOPBACK_H
#define K42_TEST_LOOPBACK_H

#include <stdint.h>

#include <k42/ipc.h>

typedef long (*lb_dispatch_fn)(const struct k42_ipc_caller *caller,
			       struct k42_ipc_msg *m);
typedef void (*lb_hook_fn)(struct k42_ipc_msg *m);

/* Route calls on `handle` to `fn`, as a caller holding `rights`. */
void lb_bind(k42_handle_t handle, lb_dispatch_fn fn, uint64_t rights);

/* Called on the server's copy of each request before dispatch (to tamper
 * with what a well-behaved stub sent), and on each reply before it is
 * copied back to the client. NULL removes a hook. */
void lb_set_request_hook(lb_hook_fn hook);
void lb_set_reply_hook(lb_hook_fn hook);

/* Deliver a hand-built request (a hostile client) to `handle` through the
 * same server-side copy; returns the dispatcher's status and, if `reply` is
 * not NULL, leaves the reply's op, words and length there (page NULL). */
long lb_raw(k42_handle_t handle, uint64_t op, const uint64_t w[K42_IPC_WORDS],
	    const void *page, uint32_t len, struct k42_ipc_msg *reply);

/* Every generated _impl in a test calls this first: it counts the call and
 * lifts the read guard placed past the request's end (the dispatcher has
 * finished reading the request by then, and will write the reply). */
void lb_impl_enter(void);

/* Register-level entries (<k42/ipc.h>): while set, a request whose op one
 * of them answers is served by it, as libk42's lean entry serves it, and
 * not by the bound dispatcher; k42_ipc_reply_regs records its answer. */
extern const struct k42_ipc_regs *lb_regs;
extern unsigned long lb_reg_calls;	/* requests a register-level entry served */
extern unsigned long lb_delivered;	/* requests handed to a dispatcher */
extern unsigned long lb_impl_calls;	/* _impl functions entered */
extern long lb_last_status;		/* last dispatcher status */
extern uint64_t lb_last_pid;		/* caller pid the dispatcher was given */

/* Per-check reporting: one line per check, failures counted. */
extern int lb_failures;
void lb_check(int ok, const char *what, const char *file, int line);
#define CHECK(cond, what) lb_check(!!(cond), (what), __FILE__, __LINE__)
int lb_finish(void);

/* Calls that lent a buffer (k42_ipc_grant) to the server. */
extern unsigned long lb_grants;

#endif

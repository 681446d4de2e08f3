/*
 * The start-up every IDL server repeats, once: answer calls of its one
 * interface (anything else gets -K42_ENOSYS), register its name, derive a
 * file system's name from its mount point, and idle while calls run on
 * upcalls. One server per process (k42_serve takes a plain function, so
 * the server served is kept here). docs/writing-a-server.md.
 */
#ifndef K42_SERVER_H
#define K42_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <k42/errno.h>
#include <k42/ipc.h>
#include <k42/obj.h>

/* The dispatcher stubgen generates for an interface (fs_dispatch, ...). */
typedef long (*k42_dispatch_fn)(const struct k42_ipc_caller *caller, struct k42_ipc_msg *m);

struct k42_server {
	const char *who;		/* the program's name, for its messages */
	uint32_t iface;			/* the one IDL interface it serves */
	uint64_t rights;		/* the rights every caller holds */
	k42_dispatch_fn dispatch;
	bool threads;			/* k42_serve_threads (calls may block), not k42_serve */
	/* The interface's register-level entries (<p>_regs), registered
	 * with k42_serve_regs for a server in handler mode; NULL: none. */
	const struct k42_ipc_regs *regs;
};

/* Answer one call to s: -K42_ENOSYS for another interface, else s's
 * dispatcher with the caller {pid, 0, s->rights}. For a server whose
 * handler does more around each call (servers/net). */
void k42_server_call(const struct k42_server *s, uint64_t pid, struct k42_ipc_msg *m);
/* Serve s's calls from now on (k42_serve or k42_serve_threads; with
 * k42_serve, s->regs too) and, with name, register it there with
 * s->rights. 0, or the error of k42_serve_regs or of the registration
 * after a message "WHO: cannot ...". */
long k42_server_start(const struct k42_server *s, const char *name);
/* Register name with rights (a server that registers once it is ready):
 * the same message on failure. */
long k42_server_register(const char *who, const char *name, uint64_t rights);
/* The name a file system mounted at point registers: "mnt" for "/",
 * "mnt/a/b" for "/a/b" (the name server's separator is '/' too). 0, or
 * -K42_EINVAL after a message "WHO: bad mount point POINT" for a path
 * that is not absolute or longer than 100 bytes. */
int k42_server_mount_name(const char *who, const char *point, char *name, size_t cap);
/* Never returns: every call arrives as an upcall. The calling thread
 * waits at user level, so the dispatcher idles with no context and each
 * call enters it afresh: the kernel's register-only fast path and
 * libk42's lean and register-level entries (a thread blocked in the
 * kernel keeps its context, and every call takes the full paths). Any
 * server may call it, started by k42_server_start or not. */
__attribute__((noreturn)) void k42_server_idle(void);

/* The object behind a handle, typed: K42_SERVER_GET(get, struct ofile, 0)
 * defines `static long get(caller, handle, struct ofile **)`, which is
 * k42_obj_check's answer (0, -K42_EBADH, -K42_EACCES) for a caller that
 * must hold all of `need`. */
#define K42_SERVER_GET(fn, type, need)						\
	static long fn(const struct k42_ipc_caller *c_, k42_handle_t h_, type **out_)	\
	{									\
		void *obj_;							\
		long rc_ = k42_obj_check(h_, c_->pid, (need), NULL, &obj_);	\
										\
		if (rc_ < 0)							\
			return rc_;						\
		*out_ = obj_;							\
		return 0;							\
	}
/* A handle for pid on an object, taking over one reference of it:
 * K42_SERVER_GRANT(grant, struct usock, SOCK_RIGHT_USE, usock_unref)
 * defines `static long grant(obj, pid, k42_handle_t *)`, which on failure
 * drops that reference and answers -K42_ENOMEM. */
#define K42_SERVER_GRANT(fn, type, rights, drop)				\
	static long fn(type *obj_, uint64_t pid_, k42_handle_t *h_)		\
	{									\
		if (!(*h_ = k42_obj_grant(obj_, pid_, (rights)))) {		\
			drop(obj_);						\
			return -K42_ENOMEM;					\
		}								\
		return 0;							\
	}
/* The waiter an `arm`ed call registers (the caller), or 0. */
static inline uint32_t k42_server_waiter(const struct k42_ipc_caller *c, bool arm)
{
	return arm ? (uint32_t)c->pid : 0;
}

#endif

/*
 * The common start-up of IDL servers (<k42/server.h>): one interface per
 * server, its name registered, calls on upcalls while main idles. The
 * served server is a static pointer set once before the first call can
 * arrive (k42_serve installs the handler that reads it), so no lock.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/server.h>
#include <k42/sync.h>

static const struct k42_server *served;

void k42_server_call(const struct k42_server *s, uint64_t pid, struct k42_ipc_msg *m)
{
	struct k42_ipc_caller who = { pid, 0, s->rights };

	if (k42_ipc_op_iface(m->op) != s->iface) {
		m->op = (uint64_t)-K42_ENOSYS;
		m->len = 0;
		return;
	}
	(void)s->dispatch(&who, m);
}

static void handle(uint64_t pid, struct k42_ipc_msg *m)
{
	k42_server_call(served, pid, m);
}

long k42_server_register(const char *who, const char *name, uint64_t rights)
{
	long rc = k42_name_register(name, rights);

	if (rc < 0)
		k42_printf("%s: cannot register %s: %s\n", who, name, k42_strerror(rc));
	return rc;
}

long k42_server_start(const struct k42_server *s, const char *name)
{
	long rc;

	served = s;
	if (s->threads) {
		k42_serve_threads(handle);
	} else {
		k42_serve(handle);
		/* (handle adds nothing to the dispatcher for s's calls.) */
		if (s->regs && (rc = k42_serve_regs(s->regs, s->rights)) < 0) {
			k42_printf("%s: cannot serve register-level entries: %s\n", s->who,
				   k42_strerror(rc));
			return rc;
		}
	}
	return name ? k42_server_register(s->who, name, s->rights) : 0;
}

int k42_server_mount_name(const char *who, const char *point, char *name, size_t cap)
{
	size_t len = strlen(point);

	if (point[0] != '/' || len > 100 || cap < len + 4) {
		k42_printf("%s: bad mount point %s\n", who, point);
		return -K42_EINVAL;
	}
	memcpy(name, "mnt", 4);
	if (point[1]) {
		name[3] = '/';
		memcpy(name + 4, point + 1, len);
	}
	return 0;
}

void k42_server_idle(void)
{
	struct k42_sem forever;

	/* As a thread, in both modes: a threaded server's calls run on
	 * threads of this dispatcher, and a handler-mode server's find it
	 * idle with nothing to resume (not blocked in the kernel with its
	 * registers saved, which sends every call down the full paths). */
	k42_sem_init(&forever, 0);
	for (;;)
		k42_sem_wait(&forever);
}

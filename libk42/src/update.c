/*
 * Live update of a server process (<k42/update.h>, docs/hot-swap.md):
 * both sides of idl/update.idl, answered here in every process.
 *
 * The old process, once its manager named a successor (prepare):
 *   handover  hold every new call to the program (ipc.c asks
 *             k42_update_hold first); wait until no handler of the
 *             program runs (k42_act_count, counted without a lock);
 *             export the state into the successor's grant.
 *   commit    move our names to the successor (name server), route our
 *             pid to it (ipc_redirect: calls queued in the kernel go to
 *             the front of its queue), forward the held calls newest first
 *             (ppc_forward puts each at the front, so the queue ends up in
 *             arrival order), answer, and end.
 *   abort     serve the held calls here after all (a copy of each request
 *             was kept for that) and go on as before.
 * Calls of libk42's own interfaces (proc, ioevent, update) are never held.
 * Handler-mode servers (k42_serve) hold nothing in flight at a handover:
 * their calls run one at a time, and the handover is one of them.
 */
#include <string.h>
#include <stdlib.h>
#include <k42/k42.h>
#include <k42/update.h>
#include <k42/procinfo.h>
#include <k42/hotswap.h>
#include <lib/fmt.h>
#include "internal.h"
#include "name.h"
#include "update.h"

int k42_update_holding, k42_update_ending;

struct held_call {
	uint64_t h, caller, op, w[K42_IPC_WORDS];
	uint32_t len;
	uint8_t *bytes;		/* the request's page bytes (for abort) */
};

static k42_update_export_fn export_fn;
static uint64_t successor;	/* named by prepare; 0: no update running */
static int handed;		/* the state went out: only commit or abort now */
static struct held_call *held;
static uint32_t nheld, held_cap;
static uint64_t serving;	/* the handle of the update call being served */

void k42_update_offer(k42_update_export_fn fn)
{
	export_fn = fn;
}

static void serve_held(void);

/* Has the successor ended (crashed before it committed)? */
static int successor_gone(void)
{
	struct k42_procinfo info;

	return k42_sc_proc_describe(successor, (uint64_t)&info) < 0 ||
	       info.state != K42_PROC_RUNNING;
}

int k42_update_hold(uint64_t caller, const struct k42_ipc_msg *m, uint64_t h)
{
	struct held_call *c;

	if (successor_gone()) {
		serve_held();	/* it never will: we serve on */
		return 0;
	}

	if (nheld == held_cap) {
		uint32_t cap = held_cap ? held_cap * 2 : 64;
		struct held_call *n = realloc(held, cap * sizeof(*n));

		if (!n)
			return 0;	/* served now: nothing is lost, the state may be */
		held = n;
		held_cap = cap;
	}
	c = &held[nheld];
	c->bytes = m->len ? malloc(m->len) : NULL;
	if (m->len && !c->bytes)
		return 0;
	if (m->len)
		memcpy(c->bytes, m->page, m->len);
	c->h = h;
	c->caller = caller;
	c->op = m->op;
	memcpy(c->w, m->w, sizeof(c->w));
	c->len = m->len;
	nheld++;
	return 1;
}

static void drop_held(void)
{
	for (uint32_t i = 0; i < nheld; i++)
		free(held[i].bytes);
	nheld = 0;
}

long update_prepare_impl(const struct k42_ipc_caller *caller, uint64_t to)
{
	uint64_t me = k42_info(K42_INFO_PID);

	if (!export_fn)
		return -K42_ENOSYS;
	if (!k42_proc_manages(caller->pid, me) || caller->pid == me)
		return -K42_EPERM;
	if (handed)
		return -K42_EBUSY;	/* (a successor named but not come yet is replaced) */
	if (to == 0 || to == me)
		return -K42_EINVAL;
	successor = to;
	return 0;
}

long update_handover_impl(const struct k42_ipc_caller *caller, uint64_t cap, uint64_t *len)
{
	void *buf;
	long n;

	if (!successor)
		return -K42_EAGAIN;	/* our manager has not named anyone yet */
	if (caller->pid != successor)
		return -K42_EPERM;
	k42_update_holding = 1;
	k42_ipc_full_set(K42_IPC_FULL_UPDATE, 1);	/* every call goes by k42_update_hold */
	/* In thread mode the program's handlers may still run: they finish
	 * (new ones are held), then the state stands still. */
	while (__atomic_load_n(&k42_act_count[0], __ATOMIC_SEQ_CST) +
	       __atomic_load_n(&k42_act_count[1], __ATOMIC_SEQ_CST))
		k42_thread_sleep_us(100);
	if (cap > K42_IPC_GRANT_MAX)
		cap = K42_IPC_GRANT_MAX;
	buf = malloc(cap ? cap : 1);
	if (!buf)
		return -K42_ENOMEM;
	n = export_fn(buf, cap);
	if (n >= 0 && (uint64_t)n <= cap)
		n = k42_ipc_grant_write(serving, 0, buf, (uint64_t)n) < 0 ? -K42_EFAULT : n;
	free(buf);
	if (n < 0)
		return n;
	handed = 1;
	*len = (uint64_t)n;
	return 0;
}

long update_commit_impl(const struct k42_ipc_caller *caller, uint64_t *forwarded)
{
	uint32_t moved;
	uint64_t n = 0;
	long rc;

	if (!successor || caller->pid != successor || !handed)
		return -K42_EPERM;
	if (k42_name_server) {
		rc = name_move(k42_name_server, successor, &moved);
		if (rc < 0)
			return rc;	/* the successor may abort */
	}
	rc = k42_sc_ipc_redirect(successor);
	if (rc < 0)
		return rc;
	/* Newest first onto the front of its queue: arrival order. */
	while (nheld) {
		nheld--;
		if (k42_sc_ppc_forward(held[nheld].h) == 0)	/* -K42_EDEAD: that caller has gone */
			n++;
		free(held[nheld].bytes);
	}
	k42_update_holding = 0;
	/* Every call to us is the successor's now: we end right after this
	 * answer (ipc.c). */
	k42_update_ending = 1;
	*forwarded = n;
	return 0;
}

/* The update is off: serve the held calls, in arrival order, as they
 * would have been served. */
static void serve_held(void)
{
	static uint8_t page[K42_IPC_PAGE_BYTES];

	successor = 0;
	handed = 0;
	k42_update_holding = 0;
	k42_ipc_full_set(K42_IPC_FULL_UPDATE, k42_update_ending);
	for (uint32_t i = 0; i < nheld; i++) {
		struct held_call *c = &held[i];
		struct k42_ipc_msg m = { c->op, { 0 }, c->len, page };

		memcpy(m.w, c->w, sizeof(m.w));
		if (c->len)
			memcpy(page, c->bytes, c->len);
		uint32_t gen, prev;

		gen = k42_act_enter(&prev);
		k42_ipc_run_handler(c->caller, &m);
		k42_act_exit(gen, prev);
		(void)k42_ipc_reply(c->h, &m);
	}
	drop_held();
}

long update_abort_impl(const struct k42_ipc_caller *caller)
{
	if (!successor || caller->pid != successor)
		return -K42_EPERM;
	serve_held();
	return 0;
}

void k42_update_handle(const struct k42_ipc_caller *who, struct k42_ipc_msg *m, uint64_t h)
{
	serving = h;
	update_dispatch(who, m);
	serving = 0;
}

/* ---- the successor ---- */

uint64_t k42_update_predecessor(void)
{
	static const char flag[] = "--takeover=";
	const char *a;

	if (k42_argc < 2)
		return 0;
	a = k42_argv[k42_argc - 1];
	if (strncmp(a, flag, sizeof(flag) - 1) != 0)
		return 0;
	return strtoul(a + sizeof(flag) - 1, NULL, 10);
}

long k42_update_takeover(uint64_t old, k42_update_import_fn import_fn)
{
	uint64_t cap = 64 * 1024, len = 0, hz = k42_info(K42_INFO_TIMEBASE_HZ);
	uint64_t deadline = k42_timebase() + 20 * hz;
	void *buf = malloc(cap);
	long rc;

	for (;;) {
		if (!buf)
			return -K42_ENOMEM;
		k42_ipc_grant(buf, cap, K42_PROT_WRITE);
		rc = update_handover(old, cap, &len);
		if (rc == -K42_EAGAIN && (int64_t)(k42_timebase() - deadline) < 0) {
			k42_thread_sleep_us(1000);	/* the manager names us right after our start */
			continue;
		}
		if (rc < 0 || len <= cap)
			break;
		if (len > K42_IPC_GRANT_MAX) {
			rc = -K42_E2BIG;
			break;
		}
		free(buf);
		cap = len;
		buf = malloc(cap);
	}
	if (rc == 0)
		rc = import_fn(buf, len);
	free(buf);
	if (rc < 0) {
		long arc = update_abort(old);	/* old serves on (-K42_EPERM if it never held) */

		(void)arc;
		return rc;
	}
	rc = update_commit(old, &len);
	return rc < 0 ? rc : (long)len;
}

long k42_update_start(uint64_t old, const char *path, const struct k42_spawn_opts *o)
{
	const char *argv[34];
	char flag[32];
	struct k42_spawn_opts opts = *o;
	int n = 0;
	long pid, rc;

	for (; o->argv && o->argv[n]; n++) {
		if (n == 32)
			return -K42_E2BIG;
		argv[n] = o->argv[n];
	}
	if (n == 0)
		argv[n++] = path;
	k_snprintf(flag, sizeof(flag), "--takeover=%lu", (unsigned long)old);
	argv[n++] = flag;
	argv[n] = NULL;
	opts.argv = argv;
	pid = k42_spawn_path_ex(path, &opts);
	if (pid < 0)
		return pid;
	rc = update_prepare(old, (uint64_t)pid);
	if (rc < 0) {
		(void)k42_sc_proc_kill((uint64_t)pid);
		return rc;
	}
	return pid;
}

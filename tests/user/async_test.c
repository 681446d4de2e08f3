/*
 * Asynchronous calls (ppc_call_async, run as init): a thread waiting in a
 * slow call while another thread of the process keeps counting; page bytes
 * to and from a thread's own buffer; a server killed with async calls
 * outstanding; a caller's async share (K42_IPC_ASYNC_PER_CALLER) and a
 * caller that dies with its async calls held (nothing left behind).
 */
#include <string.h>
#include <k42/k42.h>
#include "check.h"

#define IFACE 0x1c9
#define WAITERS 8

static volatile uint64_t counter;
static volatile int stop;

static void *count(void *arg)
{
	(void)arg;
	while (!stop) {
		counter++;
		k42_thread_yield();
	}
	return NULL;
}

static long call(uint64_t server, uint32_t ord, uint64_t w0, uint32_t len, struct k42_ipc_msg *m)
{
	m->op = k42_ipc_op(IFACE, 1, ord, 0, len);
	m->w[0] = w0;
	for (int i = 1; i < 6; i++)
		m->w[i] = 0;
	return k42_ipc_call(server, m);
}

static uint64_t held(uint64_t server)
{
	struct k42_ipc_msg *m = k42_ipc_msg_get();

	return call(server, 2, 0, 0, m) == 0 ? m->w[0] : (uint64_t)-1;
}

static int wait_held(uint64_t server, uint64_t n)
{
	for (int i = 0; i < 5000; i++) {
		if (held(server) == n)
			return 1;
		k42_thread_sleep_us(1000);
	}
	return 0;
}

static uint64_t hold_server;

static void *hold(void *arg)
{
	struct k42_ipc_msg *m = k42_ipc_msg_get();

	return (void *)call(hold_server, 1, (uint64_t)arg, 0, m);
}

/* A child that fills its async share with held calls, then waits to be
 * killed: exits 0 only if the share ended exactly at the limit. */
static int flood_child(uint64_t server)
{
	uint64_t n = 0;
	long h;

	for (;;) {
		h = k42_sc_ppc_call_async(server, k42_ipc_op(IFACE, 1, 1, 0, 0), 1000 + n, 0, 0, 0, 0,
					  0, 0);
		if (h < 0)
			break;
		n++;
	}
	k42_printf("async_test: child made %lu async calls, then %ld\n", n, h);
	if (n != K42_IPC_ASYNC_PER_CALLER || h != -K42_EBUSY)
		k42_sc_exit(1);
	for (;;)
		k42_thread_sleep_us(1000000);
	return 0;
}

/* Spawn ourselves with argv[1] = mode (and argv[2]) at the general class:
 * init's own class would never let a server of the general class run
 * while our counting thread spins. */
static long spawn_self(const char *mode, const char *arg2)
{
	const char *argv[] = { "async_test", mode, arg2, NULL };
	struct k42_spawn_opts o = { .argv = argv, .prio = K42_PRIO_GENERAL,
				    .flags = K42_SPAWN_SHARE_ARCHIVE };
	const void *elf;
	uint64_t size;

	return k42_initrd_find("tests/async_test", &elf, &size) < 0
		       ? -K42_ENOENT
		       : k42_spawn_ex(elf, size, "async_test", &o);
}

static int body(void);

int main(uint64_t arg)
{
	long pid;
	int status = -1, state;

	(void)arg;
	if (k42_argc >= 2 && strcmp(k42_argv[1], "body") == 0)
		return body();
	if (k42_argc == 3 && strcmp(k42_argv[1], "flood") == 0) {
		uint64_t v = 0;

		for (const char *p = k42_argv[2]; *p >= '0' && *p <= '9'; p++)
			v = v * 10 + (uint64_t)(*p - '0');
		return flood_child(v);
	}
	pid = spawn_self("body", NULL);
	EXPECT(pid > 0, "spawn the test body: %ld", pid);
	state = pid > 0 ? k42_wait((uint64_t)pid, &status) : -1;
	EXPECT(state == K42_PROC_EXITED && status == 0, "the body: state %d status %d", state, status);
	return verdict("async_test");
}

static int body(void)
{
	uint64_t calls0 = (uint64_t)k42_info(K42_INFO_IPC_CALLS), c0, c1, a0;
	struct k42_ipc_msg *m = k42_ipc_msg_get();
	k42_thread_t *counter_thread, *th[WAITERS];
	long server, server2, child, rc;
	void *ret;
	int status, ok;

	server = k42_spawn_path("tests/ipc_server", K42_PRIO_GENERAL, 0);
	EXPECT(server > 0, "spawn server: %ld", server);
	if (server <= 0)
		return 1;

	/* 1. One thread waits 200 ms in a call; the other keeps counting. */
	counter_thread = k42_thread_create(count, NULL);
	EXPECT(counter_thread != NULL, "counter thread");
	k42_thread_yield();
	a0 = k42_ipc_async_calls;
	c0 = counter;
	rc = call((uint64_t)server, 5, 200, 0, m);
	c1 = counter;
	EXPECT(rc == 0 && m->w[0] == 200, "slow call answered: %ld w0 %lu", rc, m->w[0]);
	EXPECT(k42_ipc_async_calls == a0 + 1, "the call went asynchronously (%lu)",
	       k42_ipc_async_calls - a0);
	EXPECT(c1 - c0 > 1000, "the other thread ran during the call: %lu counts", c1 - c0);
	k42_printf("async_test: counter advanced %lu while one thread waited 200 ms in a call\n",
		   c1 - c0);

	/* 2. Page bytes go from and come back to the thread's own buffer,
	 * with the other thread running meanwhile. */
	for (int i = 0; i < 3000; i++)
		m->page[i] = (uint8_t)(i * 7);
	c0 = counter;
	rc = call((uint64_t)server, 6, 20, 3000, m);
	ok = rc == 0 && m->len == 3000 && m->w[1] == 3000;
	for (int i = 0; ok && i < 3000; i++)
		ok = m->page[i] == (uint8_t)(i * 7 + 1);
	EXPECT(ok, "3000 bytes echoed plus one: rc %ld len %u", rc, m->len);
	EXPECT(counter - c0 > 100, "counting during the echo: %lu", counter - c0);
	stop = 1;
	EXPECT(k42_thread_join(counter_thread, &ret) == 0, "join the counter");

	/* A single-threaded process may still call asynchronously by hand. */
	m->page[0] = 41;
	a0 = k42_ipc_async_calls;
	m->op = k42_ipc_op(IFACE, 1, 6, 0, 1);
	m->w[0] = 0;
	rc = k42_ipc_call_wait((uint64_t)server, m);
	EXPECT(rc == 0 && m->len == 1 && m->page[0] == 42 && m->w[0] == 41 &&
	       k42_ipc_async_calls == a0 + 1, "k42_ipc_call_wait: rc %ld byte %u", rc, m->page[0]);

	/* Two calls in flight from one thread (what @async stubs generate):
	 * the server holds both at once, then answers the newer first. */
	{
		static struct k42_ipc_pending p1, p2;
		long r1, r2, f1, f2;

		memset(&p1.msg, 0, sizeof(p1.msg));
		memset(&p2.msg, 0, sizeof(p2.msg));
		p1.msg.op = p2.msg.op = k42_ipc_op(IFACE, 1, 1, 0, 0);
		p1.msg.w[0] = 11;
		p2.msg.w[0] = 22;
		p1.msg.page = p1.page;
		p2.msg.page = p2.page;
		/* The second starts once the first is held: the server keeps
		 * its calls in the order its threads got to them, and a thread
		 * for a call that arrives while another runs goes first
		 * (k42_on_ipc_call), so two calls started together may be held
		 * newer first (seen once at 1 CPU), as ipc_test waits too. */
		r1 = k42_ipc_start((uint64_t)server, &p1);
		EXPECT(r1 == 0 && wait_held((uint64_t)server, 1), "the first call held: %ld", r1);
		r2 = k42_ipc_start((uint64_t)server, &p2);
		EXPECT(r2 == 0 && wait_held((uint64_t)server, 2),
		       "two calls held at once from one thread: %ld %ld", r1, r2);
		EXPECT(call((uint64_t)server, 3, 1, 0, m) == 0 && m->w[0] == 2, "release both");
		f2 = k42_ipc_finish(&p2);
		f1 = k42_ipc_finish(&p1);
		EXPECT(f1 == 0 && f2 == 0 && p1.msg.w[0] == 11 * 7 + 1 && p2.msg.w[0] == 22 * 7 + 1 &&
		       p2.msg.w[2] == 0 && p1.msg.w[2] == 1,
		       "each got its own answer, newest first: %ld %ld w %lu %lu order %lu %lu", f1,
		       f2, p1.msg.w[0], p2.msg.w[0], p1.msg.w[2], p2.msg.w[2]);
	}

	/* 3. A server killed with async calls outstanding: each gets EDEAD. */
	server2 = k42_spawn_path("tests/ipc_server", K42_PRIO_GENERAL, 0);
	EXPECT(server2 > 0, "spawn second server: %ld", server2);
	hold_server = (uint64_t)server2;
	for (int i = 0; i < WAITERS; i++)
		th[i] = k42_thread_create(hold, (void *)(uint64_t)i);
	EXPECT(wait_held((uint64_t)server2, WAITERS), "%d async calls held", WAITERS);
	EXPECT(k42_sc_proc_kill((uint64_t)server2) == 0, "kill the second server");
	k42_wait((uint64_t)server2, &status);
	ok = 0;
	for (int i = 0; i < WAITERS; i++) {
		if (th[i] && k42_thread_join(th[i], &ret) == 0 && (long)ret == -K42_EDEAD)
			ok++;
	}
	EXPECT(ok == WAITERS, "%d of %d waiting threads got -K42_EDEAD", ok, WAITERS);
	EXPECT((uint64_t)k42_info(K42_INFO_IPC_CALLS) == calls0, "no call state left: %ld",
	       k42_info(K42_INFO_IPC_CALLS));

	/* 4. A caller's async share, and a caller that dies with it held. */
	{
		char sbuf[24], tmp[24];
		int n = 0;

		for (uint64_t v = (uint64_t)server; v || !n; v /= 10)
			tmp[n++] = (char)('0' + v % 10);
		for (int i = 0; i < n; i++)
			sbuf[i] = tmp[n - 1 - i];
		sbuf[n] = 0;
		child = spawn_self("flood", sbuf);
	}
	EXPECT(child > 0, "spawn flood child: %ld", child);
	EXPECT(wait_held((uint64_t)server, K42_IPC_ASYNC_PER_CALLER), "the child's %u calls held",
	       K42_IPC_ASYNC_PER_CALLER);
	{
		uint64_t st[1];

		EXPECT(k42_sc_proc_status((uint64_t)child, st) == K42_PROC_RUNNING,
		       "the child stopped at exactly its share (exit %lu)", st[0]);
	}
	EXPECT(k42_sc_proc_kill((uint64_t)child) == 0, "kill the child");
	k42_wait((uint64_t)child, &status);
	c0 = (call((uint64_t)server, 2, 0, 0, m) == 0) ? m->w[2] : 0;
	EXPECT(call((uint64_t)server, 3, 0, 0, m) == 0 && m->w[0] == K42_IPC_ASYNC_PER_CALLER,
	       "released %lu", m->w[0]);
	EXPECT(call((uint64_t)server, 2, 0, 0, m) == 0 && m->w[2] == c0 + K42_IPC_ASYNC_PER_CALLER,
	       "each reply to the dead caller got -K42_EDEAD: %lu", m->w[2] - c0);
	EXPECT((uint64_t)k42_info(K42_INFO_IPC_CALLS) == calls0, "no call state left: %ld",
	       k42_info(K42_INFO_IPC_CALLS));
	k42_printf("async_test: %lu async calls, replies by upcall %lu, collected %lu\n",
		   k42_ipc_async_calls, k42_ipc_return_upcalls, k42_ipc_collected);
	EXPECT(k42_ipc_return_upcalls + k42_ipc_collected == k42_ipc_async_calls,
	       "every reply arrived once");
	k42_sc_proc_kill((uint64_t)server);
	k42_wait((uint64_t)server, &status);
	return failures ? 1 : 0;
}

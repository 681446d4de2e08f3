/*
 * Call handles (run as init): many calls blocked in one server at once,
 * answered in reverse order of arrival; a server killed with calls
 * outstanding; callers that die mid-call (nothing leaks); forged and stale
 * reply handles refused.
 */
#include <string.h>
#include <k42/k42.h>
#include "check.h"

#define IFACE 0x1c9
#define CLIENTS 64
#define DYING_ROUNDS 20
#define DYING_PER_ROUND 50

static uint64_t call(uint64_t server, uint32_t ord, uint64_t w0, struct k42_ipc_msg *m)
{
	m->op = k42_ipc_op(IFACE, 1, ord, 0, 0);
	m->w[0] = w0;
	for (int i = 1; i < 6; i++)
		m->w[i] = 0;
	return (uint64_t)k42_call(server, m, 1);
}

static uint64_t held(uint64_t server)
{
	struct k42_ipc_msg m;

	return call(server, 2, 0, &m) == 0 ? m.w[0] : (uint64_t)-1;
}

/* Let the clients run until `n` calls are held (or give up after 5 s). */
static int wait_held(uint64_t server, uint64_t n)
{
	for (int i = 0; i < 5000; i++) {
		if (held(server) == n)
			return 1;
		k42_thread_sleep_us(1000);
	}
	return 0;
}

static long spawn_client(uint64_t server, uint64_t token, uint64_t mode)
{
	return k42_spawn_path("tests/ipc_client", K42_PRIO_GENERAL,
			      server | token << 32 | mode << 48);
}

/* Free frames, counting those the kernel's object caches keep for reuse
 * (they never go back to the page manager; K42_INFO_KMEM_OBJECTS shows
 * whether objects leak). */
static uint64_t free_frames(void)
{
	return (uint64_t)k42_info(K42_INFO_FREE_FRAMES) + (uint64_t)k42_info(K42_INFO_KMEM_CACHED);
}

static void settle(void)
{
	for (int i = 0; i < 200 && k42_info(K42_INFO_DEFERRED); i++)
		k42_thread_sleep_us(1000);
}

/* In a child: `rounds` rounds of DYING_PER_ROUND callers killed while
 * their calls are held in a server of our own; exit 0 if all was right. */
static int dying_child(int rounds)
{
	long server = k42_spawn_path("tests/ipc_server", K42_PRIO_GENERAL, 0), pids[DYING_PER_ROUND];
	struct k42_ipc_msg m;
	int status;

	EXPECT(server > 0, "spawn server: %ld", server);
	for (int round = 0; round < rounds && server > 0; round++) {
		for (int i = 0; i < DYING_PER_ROUND; i++) {
			pids[i] = spawn_client((uint64_t)server, (uint64_t)i, 2);
			EXPECT(pids[i] > 0, "spawn dying client: %ld", pids[i]);
		}
		EXPECT(wait_held((uint64_t)server, DYING_PER_ROUND), "round %d: all held", round);
		for (int i = 0; i < DYING_PER_ROUND; i++) {
			EXPECT(k42_sc_proc_kill((uint64_t)pids[i]) == 0, "kill %ld", pids[i]);
			k42_wait((uint64_t)pids[i], &status);
		}
		EXPECT(call((uint64_t)server, 3, 0, &m) == 0 && m.w[0] == DYING_PER_ROUND, "release");
	}
	EXPECT(call((uint64_t)server, 2, 0, &m) == 0 &&
	       m.w[2] == (uint64_t)rounds * DYING_PER_ROUND,
	       "every reply to a dead caller got -K42_EDEAD: %lu", m.w[2]);
	EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill the server");
	k42_wait((uint64_t)server, &status);
	return failures ? 1 : 0;
}

static int dying_run(int rounds)
{
	char n[8] = { (char)('0' + rounds / 10), (char)('0' + rounds % 10), 0 };
	const char *argv[] = { "ipc_test", "dying", n, NULL };
	struct k42_spawn_opts o = { .argv = argv, .prio = K42_PRIO_GENERAL,
				    .flags = K42_SPAWN_SHARE_ARCHIVE };
	const void *elf;
	uint64_t size;
	long pid = k42_initrd_find("tests/ipc_test", &elf, &size) < 0 ? -K42_ENOENT
			: k42_spawn_ex(elf, size, "ipc_test", &o);
	int status = -1, state = pid > 0 ? k42_wait((uint64_t)pid, &status) : -1;

	return state == K42_PROC_EXITED ? status : -1;
}

int main(uint64_t arg)
{
	long server, pids[CLIENTS];
	struct k42_ipc_msg m;
	int status, state, ok;
	uint64_t calls0 = (uint64_t)k42_info(K42_INFO_IPC_CALLS), frames0 = 0, objects0 = 0;

	(void)arg;
	if (k42_argc == 3 && strcmp(k42_argv[1], "dying") == 0)
		return dying_child((k42_argv[2][0] - '0') * 10 + (k42_argv[2][1] - '0'));
	server = k42_spawn_path("tests/ipc_server", K42_PRIO_GENERAL, 0);
	EXPECT(server > 0, "spawn server: %ld", server);
	if (server <= 0)
		return verdict("ipc_test");

	/* 1. 64 clients blocked in the server at once; answers newest first. */
	for (int i = 0; i < CLIENTS; i++) {
		pids[i] = spawn_client((uint64_t)server, (uint64_t)i + 100, 0);
		EXPECT(pids[i] > 0, "spawn client %d: %ld", i, pids[i]);
		/* one at a time, so arrival order is spawn order */
		EXPECT(wait_held((uint64_t)server, (uint64_t)i + 1), "client %d held", i);
	}
	EXPECT(call((uint64_t)server, 2, 0, &m) == 0 && m.w[0] == CLIENTS && m.w[1] == CLIENTS,
	       "all %d held at once: %lu (max %lu)", CLIENTS, m.w[0], m.w[1]);
	EXPECT((uint64_t)k42_info(K42_INFO_IPC_CALLS) == calls0 + CLIENTS, "kernel holds %d calls: %ld",
	       CLIENTS, k42_info(K42_INFO_IPC_CALLS));
	EXPECT(call((uint64_t)server, 3, 1, &m) == 0 && m.w[0] == CLIENTS, "released %lu", m.w[0]);
	ok = 0;
	for (int i = 0; i < CLIENTS; i++) {
		state = k42_wait((uint64_t)pids[i], &status);
		/* client i arrived i-th, so newest-first answers it (63 - i)-th */
		if (state == K42_PROC_EXITED && status == 10 + (CLIENTS - 1 - i))
			ok++;
		else
			EXPECT(0, "client %d: state %d status %d (want answer #%d)", i, state, status,
			       CLIENTS - 1 - i);
	}
	EXPECT(ok == CLIENTS, "%d of %d clients got their own answer in reverse order", ok, CLIENTS);
	k42_printf("ipc_test: %d clients held at once, answered newest first: %d right\n", CLIENTS, ok);

	/* 2. Forged and stale reply handles are refused; nothing changes. */
	pids[0] = spawn_client((uint64_t)server, 5, 0);
	EXPECT(wait_held((uint64_t)server, 1), "a call held for the forgery");
	EXPECT(call((uint64_t)server, 4, 0, &m) == 0, "forge call answered: %ld", (long)m.op);
	EXPECT((long)m.w[0] == -K42_EBADH && (long)m.w[1] == -K42_EBADH && (long)m.w[2] == -K42_EBADH,
	       "wrong generation, bad index, junk refused: %ld %ld %ld", (long)m.w[0], (long)m.w[1],
	       (long)m.w[2]);
	EXPECT(m.w[5] == 1 && m.w[4] != 0, "a held handle: %lx (%lu held)", m.w[4], m.w[5]);
	EXPECT(k42_sc_ppc_reply(m.w[4], 0, 0, 666, 0, 0, 0, 0, 0) == -K42_EBADH,
	       "another server's call refused");
	for (int i = 0; i < 1000 && call((uint64_t)server, 2, 0, &m) == 0 && m.w[3] == 1; i++)
		k42_thread_sleep_us(1000);	/* the server tries it after its answer */
	EXPECT(call((uint64_t)server, 2, 0, &m) == 0 && (long)m.w[3] == -K42_EBADH && m.w[0] == 1,
	       "stale handle refused: %ld; still held: %lu", (long)m.w[3], m.w[0]);
	EXPECT(call((uint64_t)server, 3, 0, &m) == 0 && m.w[0] == 1, "release");
	state = k42_wait((uint64_t)pids[0], &status);
	EXPECT(state == K42_PROC_EXITED && status == 10, "the held call got its true answer: %d %d",
	       state, status);
	EXPECT((uint64_t)k42_info(K42_INFO_IPC_CALLS) == calls0, "no call state left: %ld",
	       k42_info(K42_INFO_IPC_CALLS));

	/* 3. Callers that die mid-call: nothing leaks. The rounds run in a
	 * child with its own server, so every process but us is gone when the
	 * figures are compared; a first run warms our own allocations. */
	EXPECT(dying_run(1) == 0, "warm-up run");
	settle();
	frames0 = free_frames();
	objects0 = (uint64_t)k42_info(K42_INFO_KMEM_OBJECTS);
	EXPECT(dying_run(DYING_ROUNDS) == 0, "%d callers died mid-call, each reply got -K42_EDEAD",
	       DYING_ROUNDS * DYING_PER_ROUND);
	settle();
	EXPECT((uint64_t)k42_info(K42_INFO_IPC_CALLS) == calls0, "no call state left: %ld",
	       k42_info(K42_INFO_IPC_CALLS));
	EXPECT(free_frames() == frames0, "free frames back to %lu after %d dead callers: %lu",
	       frames0, DYING_ROUNDS * DYING_PER_ROUND, free_frames());
	/* (kernel objects are reported, not asserted: one object of drift was
	 * seen between runs, not scaling with the callers) */
	k42_printf("ipc_test: %d callers died mid-call; free frames %lu -> %lu, kernel objects %lu -> %ld\n",
		   DYING_ROUNDS * DYING_PER_ROUND, frames0, free_frames(), objects0,
		   k42_info(K42_INFO_KMEM_OBJECTS));

	/* 4. The server is killed with 64 calls outstanding: all get EDEAD. */
	for (int i = 0; i < CLIENTS; i++)
		pids[i] = spawn_client((uint64_t)server, (uint64_t)i, 1);
	EXPECT(wait_held((uint64_t)server, CLIENTS), "64 held before the kill");
	EXPECT(k42_sc_proc_kill((uint64_t)server) == 0, "kill the server");
	ok = 0;
	for (int i = 0; i < CLIENTS; i++) {
		state = k42_wait((uint64_t)pids[i], &status);
		if (state == K42_PROC_EXITED && status == 0)
			ok++;
		else
			EXPECT(0, "client %d: state %d status %d", i, state, status);
	}
	EXPECT(ok == CLIENTS, "%d of %d callers got -K42_EDEAD", ok, CLIENTS);
	EXPECT((uint64_t)k42_info(K42_INFO_IPC_CALLS) == calls0, "no call state left: %ld",
	       k42_info(K42_INFO_IPC_CALLS));
	k42_printf("ipc_test: server killed with %d calls outstanding: %d got -K42_EDEAD\n", CLIENTS, ok);
	return verdict("ipc_test");
}

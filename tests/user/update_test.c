/*
 * Live update of the kv server under 8 clients (docs/hot-swap.md), booted
 * as init. The clients (update_client) put and read back their own keys
 * without pause, half of them through the pid they looked up first, half
 * looking "kv" up every round. Meanwhile the kv server is replaced, again
 * and again, by a new process of the other binary (servers/kv2 has a
 * larger table, servers/kv the tutorial's), through k42_update_start.
 * Every update is checked: the old process ends with status 0, "kv" names
 * the new one, calls to every earlier pid reach it, and the test's own
 * record survives. Once kv2 holds more keys than kv can, an update to kv
 * must fail and leave kv2 serving. At the end every client must have seen
 * no error and find every write it had acknowledged.
 */
#include <string.h>
#include <stdlib.h>
#include <k42/k42.h>
#include <k42/update.h>
#include <lib/fmt.h>
#include "check.h"
#include "suite.h"
#include "kv.h"
#include "update.h"

#define CLIENTS 8
#define UPDATES 10
#define EXTRA 80	/* more keys than kv's 64 slots */

static uint64_t past[UPDATES + 2];
static int npast;

/* The value of key in the server at pid, as a string ("" if none). */
static long get_str(uint64_t pid, const char *key, char *out, size_t cap)
{
	uint8_t v[64];
	uint32_t len;
	long rc = kv_get(pid, key, v, sizeof(v), &len);

	if (rc < 0)
		return rc;
	if (len >= cap)
		return -K42_E2BIG;
	memcpy(out, v, len);
	out[len] = 0;
	return 0;
}

/* Wait until every client has begun another round since the last call
 * (their "pN" keys): each calls between one update and the next. */
static void wait_progress(uint64_t kv, const long *clients)
{
	static unsigned long seen[CLIENTS];
	uint64_t deadline = k42_timebase() + 60 * k42_info(K42_INFO_TIMEBASE_HZ);
	char key[8], got[16];

	for (int i = 0; i < CLIENTS; i++) {
		uint64_t status[1];
		long st;

		k_snprintf(key, sizeof(key), "p%d", i);
		for (;;) {
			if (get_str(kv, key, got, sizeof(got)) == 0 && strtoul(got, NULL, 10) > seen[i]) {
				seen[i] = strtoul(got, NULL, 10);
				break;
			}
			st = k42_sc_proc_status((uint64_t)clients[i], status);
			if (st != K42_PROC_RUNNING || (int64_t)(k42_timebase() - deadline) > 0) {
				EXPECT(0, "client %d makes no progress (state %ld)\n", i, st);
				return;
			}
			k42_thread_sleep_us(1000);
		}
	}
}

static long start(uint64_t old, const char *path)
{
	const char *argv[] = { "kv", NULL };
	struct k42_spawn_opts o = { argv, K42_PRIO_SYSTEM, k42_name_server, 0, 0, 0 };

	return k42_update_start(old, path, &o);
}

/* Update old to a new process of path; check everything; the new pid. */
static uint64_t update(uint64_t old, const char *path, int n)
{
	char rec[16], got[16];
	uint64_t found = 0;
	long pid;
	int status = -1, st;

	k_snprintf(rec, sizeof(rec), "u%d", n);
	EXPECT(kv_put(old, "record", (const uint8_t *)rec, (uint32_t)strlen(rec)) == 0,
	       "update %d: record\n", n);
	pid = start(old, path);
	EXPECT(pid > 0, "update %d: start %s: %ld\n", n, path, pid);
	if (pid <= 0)
		return old;
	st = k42_wait(old, &status);
	EXPECT(st == K42_PROC_EXITED && status == 0, "update %d: old pid %lu ended %d status %d\n",
	       n, (unsigned long)old, st, status);
	EXPECT(k42_name_lookup("kv", &found, NULL) == 0 && found == (uint64_t)pid,
	       "update %d: kv names %lu, not the new %ld\n", n, (unsigned long)found, pid);
	past[npast++] = old;
	for (int i = 0; i < npast; i++)
		EXPECT(get_str(past[i], "record", got, sizeof(got)) == 0 && strcmp(got, rec) == 0,
		       "update %d: through old pid %lu: record '%s'\n", n, (unsigned long)past[i], got);
	k42_printf("update_test: update %d: pid %lu -> %ld (%s)\n", n, (unsigned long)old, pid, path);
	return (uint64_t)pid;
}

int main(uint64_t arg)
{
	long clients[CLIENTS], kv, pid;
	uint64_t cur;
	char key[16], got[16];
	int status;

	(void)arg;
	suite_name_server(NULL);
	kv = suite_server("servers/kv", "kv", 0);
	EXPECT(kv > 0, "kv server started: %ld\n", kv);
	if (kv <= 0)
		return verdict("update_test");
	cur = (uint64_t)kv;

	/* The kernel's refusals change nothing. */
	EXPECT(k42_sc_ipc_redirect(0) == -K42_ESRCH, "redirect to nobody\n");
	EXPECT(k42_sc_ipc_redirect(k42_info(K42_INFO_PID)) == -K42_EINVAL, "redirect to ourselves\n");
	EXPECT(k42_sc_ppc_forward(12345) == -K42_EBADH, "forward a made-up handle\n");
	{
		uint64_t n;

		EXPECT(update_handover(cur, 0, &n) == -K42_EAGAIN, "handover before prepare\n");
		EXPECT(update_prepare(cur, cur) == -K42_EINVAL, "kv as its own successor\n");
	}

	for (int i = 0; i < CLIENTS; i++) {
		char idx[8];
		const char *argv[] = { "update_client", idx, i % 2 ? "name" : "pid", NULL };

		k_snprintf(idx, sizeof(idx), "%d", i);
		/* In the servers' class: they run while an update does. */
		clients[i] = k42_spawn_argv("tests/update_client", argv, K42_PRIO_SYSTEM,
					    k42_name_server);
		EXPECT(clients[i] > 0, "client %d: %ld\n", i, clients[i]);
	}
	for (int n = 1; n <= UPDATES; n++) {
		wait_progress(cur, clients);
		cur = update(cur, n % 2 ? "servers/kv2" : "servers/kv", n);
		if (n == UPDATES - 1) {
			/* On kv2 now: more keys than kv holds. An update to kv
			 * fails at the import and kv2 serves on, holding it all. */
			for (int i = 0; i < EXTRA; i++) {
				k_snprintf(key, sizeof(key), "x%d", i);
				EXPECT(kv_put(cur, key, (const uint8_t *)"x", 1) == 0, "put %s\n", key);
			}
			pid = start(cur, "servers/kv");
			EXPECT(pid > 0, "start the update that cannot fit: %ld\n", pid);
			if (pid > 0) {
				int st = k42_wait((uint64_t)pid, &status);

				EXPECT(st == K42_PROC_EXITED && status == 1,
				       "the refused successor ended %d status %d\n", st, status);
			}
			EXPECT(k42_name_lookup("kv", (uint64_t *)&pid, NULL) == 0 && (uint64_t)pid == cur,
			       "kv2 still serves: %ld\n", pid);
			for (int i = 0; i < EXTRA; i++) {
				k_snprintf(key, sizeof(key), "x%d", i);
				EXPECT(get_str(cur, key, got, sizeof(got)) == 0 && strcmp(got, "x") == 0,
				       "after the refused update: %s\n", key);
				EXPECT(kv_delete(cur, key) == 0, "delete %s\n", key);
			}
			k42_printf("update_test: an update that cannot fit was refused; pid %lu serves on\n",
				   (unsigned long)cur);
		}
	}

	wait_progress(cur, clients);
	EXPECT(kv_put(cur, "stop", (const uint8_t *)"1", 1) == 0, "put stop\n");
	for (int i = 0; i < CLIENTS; i++) {
		int st;

		if (clients[i] <= 0)
			continue;
		st = k42_wait((uint64_t)clients[i], &status);
		EXPECT(st == K42_PROC_EXITED && status == 0, "client %d ended %d status %d\n", i, st,
		       status);
	}
	return verdict("update_test");
}

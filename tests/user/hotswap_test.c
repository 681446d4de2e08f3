/*
 * Hot swap of a live server object (docs/hot-swap.md), booted as init:
 * the kv server serves each call on its own thread (so calls overlap),
 * 8 clients (update_client) put and read back their own keys without
 * pause, and meanwhile this test, as the server's manager, through
 * idl/swap.idl:
 *  - attaches the counting interposer to "kv.table" and detaches it
 *    1,000 times; each time, the calls it made itself in between must
 *    have been counted;
 *  - swaps the table between its "array" and "hash" implementations 100
 *    times, the entries moving with it.
 * It waits for every client to make progress between batches, checks the
 * listing (implementation, interposer, swap count), that a stranger may
 * not swap, and at the end that every client saw no error and finds every
 * write it had acknowledged.
 */
#include <string.h>
#include <stdlib.h>
#include <k42/k42.h>
#include <lib/fmt.h>
#include "check.h"
#include "suite.h"
#include "kv.h"
#include "swap.h"

#define CLIENTS 8
#define ATTACHES 1000
#define SWAP_EVERY 10

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

/* Every client has begun another round since the last call. */
static void wait_progress(uint64_t kv, const long *clients)
{
	static unsigned long seen[CLIENTS];
	uint64_t deadline = k42_timebase() + 60 * k42_info(K42_INFO_TIMEBASE_HZ);
	char key[8], got[16];

	for (int i = 0; i < CLIENTS; i++) {
		k_snprintf(key, sizeof(key), "p%d", i);
		for (;;) {
			uint64_t status[1];
			long st;

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

int main(uint64_t arg)
{
	const char *kv_argv[] = { "kv", "--threads", NULL };
	struct k42_spawn_opts o = { kv_argv, K42_PRIO_SYSTEM, 0, 0, 0, 0 };
	char name[32], impl[32], ip[32], got[16], want[16];
	uint64_t held = 0, drained = 0, h, d, count, swaps, nheld, found;
	long clients[CLIENTS], kv, rc;
	uint32_t next, kind;
	int status, nswaps = 0, bad_counts = 0, pairs = 0, attached;

	(void)arg;
	suite_name_server(NULL);
	o.name_server = k42_name_server;
	kv = k42_spawn_path_ex("servers/kv", &o);
	EXPECT(kv > 0, "kv started: %ld\n", kv);
	if (kv <= 0 || k42_name_wait("kv", &found, NULL, 20000) < 0)
		return verdict("hotswap_test");

	/* What the server offers. */
	EXPECT(swap_list((uint64_t)kv, 0, &next, name, sizeof(name), impl, sizeof(impl), ip,
			 sizeof(ip), &swaps, &nheld, &count) == 0 &&
	       strcmp(name, "kv.table") == 0 && strcmp(impl, "array") == 0 && ip[0] == 0,
	       "list: %s %s '%s'\n", name, impl, ip);
	EXPECT(swap_impls((uint64_t)kv, "kv.table", 1, &kind, impl, sizeof(impl)) == 0 &&
	       kind == 0 && strcmp(impl, "hash") == 0, "impl 1: %u %s\n", kind, impl);
	EXPECT(swap_impls((uint64_t)kv, "kv.table", 2, &kind, impl, sizeof(impl)) == 0 &&
	       kind == 1 && strcmp(impl, "count") == 0, "interposer: %u %s\n", kind, impl);
	EXPECT(swap_swap((uint64_t)kv, "kv.table", "none", &h, &d) == -K42_ENOENT, "no such impl\n");

	for (int i = 0; i < CLIENTS; i++) {
		char idx[8];
		const char *argv[] = { "update_client", idx, i % 2 ? "name" : "pid", NULL };

		k_snprintf(idx, sizeof(idx), "%d", i);
		clients[i] = k42_spawn_argv("tests/update_client", argv, K42_PRIO_SYSTEM,
					    k42_name_server);
		EXPECT(clients[i] > 0, "client %d: %ld\n", i, clients[i]);
	}
	EXPECT(kv_put((uint64_t)kv, "mine", (const uint8_t *)"0", 1) == 0, "put mine\n");

	for (int n = 1; n <= ATTACHES; n++) {
		if (n % 100 == 1)
			wait_progress((uint64_t)kv, clients);
		rc = swap_interpose((uint64_t)kv, "kv.table", "count", &count);
		EXPECT(rc == 0, "attach %d: %ld\n", n, rc);
		attached = rc == 0;
		/* Two calls of ours under the interposer: "mine" still holds
		 * what we wrote last (through every swap before), and takes n. */
		rc = get_str((uint64_t)kv, "mine", got, sizeof(got));
		EXPECT(rc == 0 && strtoul(got, NULL, 10) == (unsigned long)(n - 1),
		       "get mine %d: %ld '%s'\n", n, rc, rc == 0 ? got : "");
		k_snprintf(want, sizeof(want), "%d", n);
		rc = kv_put((uint64_t)kv, "mine", (const uint8_t *)want, (uint32_t)strlen(want));
		EXPECT(rc == 0, "put mine %d: %ld\n", n, rc);
		rc = swap_interpose((uint64_t)kv, "kv.table", "", &count);
		EXPECT(rc == 0, "detach %d: %ld\n", n, rc);
		bad_counts += rc == 0 && count < 2;
		pairs += attached && rc == 0;
		if (n % SWAP_EVERY == 0) {
			const char *to = (n / SWAP_EVERY) % 2 ? "hash" : "array";

			rc = swap_swap((uint64_t)kv, "kv.table", to, &h, &d);
			EXPECT(rc == 0, "swap %d to %s: %ld\n", n / SWAP_EVERY, to, rc);
			held += h;
			drained += d;
			nswaps += rc == 0;
		}
		if (failures > 20)
			break;
	}
	EXPECT(bad_counts == 0, "%d detaches counted fewer than our 2 calls\n", bad_counts);
	EXPECT(swap_list((uint64_t)kv, 0, &next, name, sizeof(name), impl, sizeof(impl), ip,
			 sizeof(ip), &swaps, &nheld, &count) == 0 &&
	       strcmp(impl, "array") == 0 && ip[0] == 0 &&
	       swaps == 2 * (uint64_t)pairs + (uint64_t)nswaps,
	       "after: %s '%s' %lu swaps\n", impl, ip, (unsigned long)swaps);
	EXPECT(nheld >= held, "the listing's %lu held calls include the swaps' %lu\n",
	       (unsigned long)nheld, (unsigned long)held);
	k42_printf("hotswap_test: %d attach/detach pairs, %d table swaps: %lu calls held, %lu drained "
		   "(in all %lu held)\n", pairs, nswaps, (unsigned long)held, (unsigned long)drained,
		   (unsigned long)nheld);

	wait_progress((uint64_t)kv, clients);
	EXPECT(kv_put((uint64_t)kv, "stop", (const uint8_t *)"1", 1) == 0, "put stop\n");
	for (int i = 0; i < CLIENTS; i++) {
		int st;

		if (clients[i] <= 0)
			continue;
		st = k42_wait((uint64_t)clients[i], &status);
		EXPECT(st == K42_PROC_EXITED && status == 0, "client %d ended %d status %d\n", i, st,
		       status);
	}
	return verdict("hotswap_test");
}

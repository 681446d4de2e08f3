/*
 * One of update_test's clients: puts and reads back its own keys of the
 * kv server, round after round, while the test replaces the server under
 * it, until the key "stop" appears. argv: INDEX MODE, where MODE "pid"
 * keeps calling the pid it looked up first (the kernel routes it to each
 * successor) and "name" looks "kv" up again every round. Every write that
 * was acknowledged must read back, at once and at the end; any error
 * fails (client 0 also checks that it can neither name a successor nor
 * commit one, nor swap the server's table). Key "pINDEX" holds the last round begun, for the test to watch. Prints one line and exits 0 (all held) or 1.
 */
#include <string.h>
#include <stdlib.h>
#include <k42/k42.h>
#include <lib/fmt.h>
#include "kv.h"
#include "update.h"
#include "swap.h"

#define KEYS 4

int main(uint64_t argc)
{
	uint32_t acked[KEYS] = { 0 }, len;
	uint8_t value[32];
	char key[16], want[32];
	unsigned idx;
	uint64_t kv;
	int by_name, errors = 0;
	uint32_t round;
	long rc;

	if (argc < 3)
		return 2;
	idx = (unsigned)strtoul(k42_argv[1], NULL, 10);
	by_name = strcmp(k42_argv[2], "name") == 0;
	if (k42_name_wait("kv", &kv, NULL, 20000) < 0)
		return 2;
	/* Nobody but the server's manager names a successor, and nobody but
	 * that successor takes the state. */
	if (idx == 0) {
		uint64_t n;

		rc = update_prepare(kv, k42_info(K42_INFO_PID));
		if (rc != -K42_EPERM) {
			k42_printf("update_client 0: prepare by a stranger: %ld\n", rc);
			errors++;
		}
		rc = update_commit(kv, &n);
		if (rc != -K42_EPERM) {
			k42_printf("update_client 0: commit by a stranger: %ld\n", rc);
			errors++;
		}
		rc = swap_swap(kv, "kv.table", "hash", &n, &n);
		if (rc != -K42_EPERM) {
			k42_printf("update_client 0: swap by a stranger: %ld\n", rc);
			errors++;
		}
	}
	for (round = 1;; round++) {
		int k = (int)(round % KEYS);

		if (by_name && (rc = k42_name_lookup("kv", &kv, NULL)) < 0) {
			k42_printf("update_client %u: round %u: lookup: %s\n", idx, round, k42_strerror(rc));
			errors++;
			break;
		}
		k_snprintf(key, sizeof(key), "c%uk%d", idx, k);
		k_snprintf(want, sizeof(want), "%u:%u", idx, round);
		rc = kv_put(kv, key, (const uint8_t *)want, (uint32_t)strlen(want));
		if (rc < 0) {
			k42_printf("update_client %u: round %u: put: %s\n", idx, round, k42_strerror(rc));
			errors++;
			break;
		}
		acked[k] = round;
		/* Progress, for the test to see that we call between updates. */
		k_snprintf(key, sizeof(key), "p%u", idx);
		k_snprintf(want, sizeof(want), "%u", round);
		if ((rc = kv_put(kv, key, (const uint8_t *)want, (uint32_t)strlen(want))) < 0) {
			k42_printf("update_client %u: round %u: put %s: %s\n", idx, round, key,
				   k42_strerror(rc));
			errors++;
			break;
		}
		k_snprintf(key, sizeof(key), "c%uk%d", idx, k);
		k_snprintf(want, sizeof(want), "%u:%u", idx, round);
		rc = kv_get(kv, key, value, sizeof(value), &len);
		if (rc < 0 || len != strlen(want) || memcmp(value, want, len) != 0) {
			k42_printf("update_client %u: round %u: get %s: %ld\n", idx, round, key, rc);
			errors++;
			break;
		}
		rc = kv_get(kv, "stop", value, sizeof(value), &len);
		if (rc == 0)
			break;
		if (rc != -K42_ENOENT) {
			k42_printf("update_client %u: round %u: get stop: %s\n", idx, round,
				   k42_strerror(rc));
			errors++;
			break;
		}
	}
	/* Every acknowledged write is there, whoever serves now. */
	for (int k = 0; k < KEYS && !errors; k++) {
		if (!acked[k])
			continue;
		k_snprintf(key, sizeof(key), "c%uk%d", idx, k);
		k_snprintf(want, sizeof(want), "%u:%u", idx, acked[k]);
		rc = kv_get(kv, key, value, sizeof(value), &len);
		if (rc < 0 || len != strlen(want) || memcmp(value, want, len) != 0) {
			k42_printf("update_client %u: lost %s (%ld)\n", idx, key, rc);
			errors++;
		}
	}
	k42_printf("update_client %u: %u rounds by %s, %s\n", idx, round, by_name ? "name" : "pid",
		   errors ? "FAILED" : "ok");
	return errors ? 1 : 0;
}

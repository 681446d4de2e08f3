/*
 * The tutorial's client (docs/writing-a-server.md): finds "kv" through the
 * name server, then puts, gets, lists and deletes through the generated
 * stubs, checking every answer. Prints "kv_client: ok" and exits 0 when
 * all is as expected, 1 otherwise. It deletes what it stored and ignores
 * keys others stored, so it can run again and again against one server.
 */
#include <string.h>
#include <k42/k42.h>
#include "kv.h"

static int failures;

static void check(int ok, const char *what, long rc)
{
	if (!ok) {
		failures++;
		k42_printf("kv_client: FAILED %s (%ld)\n", what, rc);
	}
}

int main(uint64_t argc)
{
	uint8_t value[KV_VALUE_MAX];
	char key[KV_KEY_MAX + 1], longer[KV_KEY_MAX + 2];
	uint32_t len, cursor = 0, next;
	uint64_t kv;
	int seen = 0;
	long rc;

	(void)argc;
	rc = k42_name_wait("kv", &kv, NULL, 1000);
	if (rc < 0) {
		k42_printf("kv_client: no kv server: %s\n", k42_strerror(rc));
		return 1;
	}
	rc = kv_put(kv, "colour", (const uint8_t *)"blue", 4);
	check(rc == 0, "put colour", rc);
	rc = kv_put(kv, "shape", (const uint8_t *)"round", 5);
	check(rc == 0, "put shape", rc);
	rc = kv_put(kv, "colour", (const uint8_t *)"green", 5);
	check(rc == 0, "replace colour", rc);

	rc = kv_get(kv, "colour", value, sizeof(value), &len);
	check(rc == 0 && len == 5 && memcmp(value, "green", 5) == 0, "get colour", rc);
	rc = kv_get(kv, "size", value, sizeof(value), &len);
	check(rc == -K42_ENOENT, "get of a missing key", rc);
	rc = kv_get(kv, "colour", value, 2, &len);
	check(rc == -K42_E2BIG, "get into a too-small buffer", rc);

	while ((rc = kv_list(kv, cursor, &next, key, sizeof(key))) == 0) {
		seen |= strcmp(key, "colour") == 0 ? 1 : strcmp(key, "shape") == 0 ? 2 : 0;
		cursor = next;
	}
	check(rc == -K42_ENOENT && seen == 3, "list", seen);

	rc = kv_delete(kv, "shape");
	check(rc == 0, "delete shape", rc);
	rc = kv_delete(kv, "shape");
	check(rc == -K42_ENOENT, "delete it again", rc);
	rc = kv_get(kv, "shape", value, sizeof(value), &len);
	check(rc == -K42_ENOENT, "get a deleted key", rc);

	/* Over-long keys never leave the client: the stub refuses them. */
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = 0;
	rc = kv_put(kv, key, value, 1);
	check(rc == 0, "put a key of the longest length", rc);
	memset(longer, 'k', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	rc = kv_put(kv, longer, value, 1);
	check(rc == -K42_E2BIG, "put an over-long key", rc);

	/* Leave the store as we found it. */
	rc = kv_delete(kv, key);
	check(rc == 0, "delete the longest key", rc);
	rc = kv_delete(kv, "colour");
	check(rc == 0, "delete colour", rc);

	k42_printf("kv_client: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}

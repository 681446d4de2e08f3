/*
 * The tutorial key-value server (docs/writing-a-server.md): idl/kv.idl
 * implemented over a table object. The generated kv_dispatch() decodes
 * and checks every request and calls the kv_*_impl functions below; this
 * file says which rights callers get, registers "kv" with the name
 * server, and reaches the table through the process's object table.
 *
 * Both kinds of replacement work while clients call (docs/hot-swap.md):
 * - the table is a swappable object (kvtable.c: "array" or "hash", and a
 *   counting interposer), swapped through libk42's swap interface;
 * - the whole server can be replaced: kv_export writes the entries as
 *   records independent of the table, and a kv started with
 *   "--takeover=PID" takes a running one's place with kv_import. The
 *   build makes a second binary from these files, servers/kv2, with a
 *   larger table (KV_SLOTS), to update to.
 * Arguments: "--threads" serves each call on its own thread (calls then
 * overlap, and a swap holds and drains them); "--hash" starts with the
 * hash table.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/update.h>
#include "kvtable.h"

#define KV_STATE_MAGIC 0x3153564bu	/* "KVS1" */

long kv_put_impl(const struct k42_ipc_caller *caller, const char *key, const uint8_t *value,
		 uint32_t value_len)
{
	struct kvt_rep *t = kvt();

	(void)caller;
	return t ? t->ops->put(t, key, value, value_len) : -K42_EAGAIN;
}

long kv_get_impl(const struct k42_ipc_caller *caller, const char *key, uint8_t *value,
		 uint32_t value_cap, uint32_t *value_len)
{
	struct kvt_rep *t = kvt();

	(void)caller;
	(void)value_cap;	/* KV_VALUE_MAX, as the IDL says */
	return t ? t->ops->get(t, key, value, value_len) : -K42_EAGAIN;
}

long kv_delete_impl(const struct k42_ipc_caller *caller, const char *key)
{
	struct kvt_rep *t = kvt();

	(void)caller;
	return t ? t->ops->del(t, key) : -K42_EAGAIN;
}

long kv_list_impl(const struct k42_ipc_caller *caller, uint32_t cursor, uint32_t *next,
		  char *key, uint32_t key_cap)
{
	struct kvt_rep *t = kvt();
	const uint8_t *value;
	const char *k;
	uint32_t len;
	long rc;

	(void)caller;
	(void)key_cap;
	if (!t)
		return -K42_EAGAIN;
	rc = t->ops->next(t, &cursor, &k, &value, &len);
	if (rc < 0)
		return rc;
	memcpy(key, k, strlen(k) + 1);
	*next = cursor;
	return 0;
}

/* The state a successor takes: magic, count, then per entry the key's
 * length (1 byte), the key, the value's length (4 bytes) and the value. */
static long kv_export(void *buf, uint64_t cap)
{
	struct kvt_rep *t = kvt();
	uint8_t *p = (uint8_t *)buf + 8;
	uint32_t n = 0, magic = KV_STATE_MAGIC, pos = 0, len;
	uint64_t need = 8;
	const uint8_t *value;
	const char *key;

	if (!t)
		return -K42_EAGAIN;
	while (t->ops->next(t, &pos, &key, &value, &len) == 0)
		need += 1 + strlen(key) + 4 + len;
	if (need > cap)
		return (long)need;
	for (pos = 0; t->ops->next(t, &pos, &key, &value, &len) == 0; n++) {
		uint8_t klen = (uint8_t)strlen(key);

		*p++ = klen;
		memcpy(p, key, klen);
		p += klen;
		memcpy(p, &len, 4);
		p += 4;
		memcpy(p, value, len);
		p += len;
	}
	memcpy(buf, &magic, 4);
	memcpy((uint8_t *)buf + 4, &n, 4);
	return (long)need;
}

/* Take a predecessor's state: every record is checked before it is used. */
static long kv_import(const void *buf, uint64_t len)
{
	const uint8_t *p = buf, *end = p + len;
	struct kvt_rep *t = kvt();
	uint32_t magic, n;
	long rc;

	if (!t)
		return -K42_EAGAIN;
	if (len < 8)
		return -K42_EPROTO;
	memcpy(&magic, p, 4);
	memcpy(&n, p + 4, 4);
	if (magic != KV_STATE_MAGIC)
		return -K42_EPROTO;
	if (n > KV_SLOTS)
		return -K42_ENOSPC;
	p += 8;
	for (uint32_t i = 0; i < n; i++) {
		char key[KV_KEY_MAX + 1];
		uint32_t klen, vlen;

		if (end - p < 1 || (klen = *p++) == 0 || klen > KV_KEY_MAX || end - p < klen + 4)
			return -K42_EPROTO;
		memcpy(key, p, klen);
		key[klen] = 0;
		p += klen;
		memcpy(&vlen, p, 4);
		p += 4;
		if (vlen > KV_VALUE_MAX || (uint64_t)(end - p) < vlen)
			return -K42_EPROTO;
		if ((rc = t->ops->put(t, key, p, vlen)) < 0)
			return rc;
		p += vlen;
	}
	return p == end ? 0 : -K42_EPROTO;
}

/* Every incoming call: this server gives every caller both rights. */
static void handle(uint64_t pid, struct k42_ipc_msg *m)
{
	struct k42_ipc_caller who = { pid, 0, KV_RIGHT_READ | KV_RIGHT_WRITE };

	kv_dispatch(&who, m);
}

int main(uint64_t argc)
{
	uint64_t old = k42_update_predecessor();
	int threads = 0, hash = 0;
	long rc;

	for (uint64_t i = 1; i < argc; i++) {
		threads |= strcmp(k42_argv[i], "--threads") == 0;
		hash |= strcmp(k42_argv[i], "--hash") == 0;
	}
	rc = kvt_publish(hash ? "hash" : "array");
	if (rc < 0) {
		k42_printf("kv: no table: %s\n", k42_strerror(rc));
		return 1;
	}
	k42_update_offer(kv_export);
	/* Serve first: nobody knows us before a takeover's commit, and from
	 * the commit on our predecessor's callers must find the handler. */
	if (threads)
		k42_serve_threads(handle);
	else
		k42_serve(handle);
	if (old) {
		/* A new binary taking a running kv's place: its state, name
		 * and callers come to us. */
		rc = k42_update_takeover(old, kv_import);
		if (rc < 0) {
			k42_printf("kv: cannot take over pid %lu: %s\n", (unsigned long)old,
				   k42_strerror(rc));
			return 1;
		}
		k42_printf("kv: took over from pid %lu with %ld held call(s)\n", (unsigned long)old, rc);
	}
	if (!old && (rc = k42_name_register("kv", KV_RIGHT_READ | KV_RIGHT_WRITE)) < 0) {
		k42_printf("kv: cannot register: %s\n", k42_strerror(rc));
		return 1;
	}
	for (;;) {
		if (threads)
			k42_thread_sleep_us(1000000);	/* the serving threads run meanwhile */
		else
			k42_sc_block();
	}
}

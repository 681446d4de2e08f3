/*
 * The tutorial key-value server (docs/writing-a-server.md): idl/kv.idl
 * implemented in one file. The generated kv_dispatch() decodes and checks
 * every request and calls the kv_*_impl functions below; this file holds
 * the data, says which rights callers get, and registers "kv" with the
 * name server.
 *
 * It can be replaced while it runs (docs/hot-swap.md): kv_export writes
 * the table as records independent of its layout, and a kv started with
 * "--takeover=PID" takes a running one's place with kv_import. The build
 * makes a second binary from this file, servers/kv2, with a larger table
 * (KV_SLOTS), to update to.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/update.h>
#include "kv.h"

#ifndef KV_SLOTS
#define KV_SLOTS 64
#endif
#define KV_STATE_MAGIC 0x3153564bu	/* "KVS1" */

struct entry {
	int used;
	char key[KV_KEY_MAX + 1];
	uint8_t value[KV_VALUE_MAX];
	uint32_t len;
};

/* Calls are served one at a time on the upcall stack: no lock needed. */
static struct entry table[KV_SLOTS];

static struct entry *find(const char *key)
{
	for (int i = 0; i < KV_SLOTS; i++)
		if (table[i].used && strcmp(table[i].key, key) == 0)
			return &table[i];
	return NULL;
}

long kv_put_impl(const struct k42_ipc_caller *caller, const char *key, const uint8_t *value,
		 uint32_t value_len)
{
	struct entry *e = find(key);

	(void)caller;
	for (int i = 0; !e && i < KV_SLOTS; i++)
		if (!table[i].used)
			e = &table[i];
	if (!e)
		return -K42_ENOSPC;
	e->used = 1;
	memcpy(e->key, key, strlen(key) + 1);	/* the dispatcher checked: at most KV_KEY_MAX bytes */
	memcpy(e->value, value, value_len);
	e->len = value_len;
	return 0;
}

long kv_get_impl(const struct k42_ipc_caller *caller, const char *key, uint8_t *value,
		 uint32_t value_cap, uint32_t *value_len)
{
	struct entry *e = find(key);

	(void)caller;
	(void)value_cap;	/* KV_VALUE_MAX, as the IDL says */
	if (!e)
		return -K42_ENOENT;
	memcpy(value, e->value, e->len);
	*value_len = e->len;
	return 0;
}

long kv_delete_impl(const struct k42_ipc_caller *caller, const char *key)
{
	struct entry *e = find(key);

	(void)caller;
	if (!e)
		return -K42_ENOENT;
	e->used = 0;
	return 0;
}

long kv_list_impl(const struct k42_ipc_caller *caller, uint32_t cursor, uint32_t *next,
		  char *key, uint32_t key_cap)
{
	(void)caller;
	(void)key_cap;
	for (uint32_t i = cursor; i < KV_SLOTS; i++) {
		if (table[i].used) {
			memcpy(key, table[i].key, strlen(table[i].key) + 1);
			*next = i + 1;
			return 0;
		}
	}
	return -K42_ENOENT;
}

/* The state a successor takes: magic, count, then per entry the key's
 * length (1 byte), the key, the value's length (4 bytes) and the value. */
static long kv_export(void *buf, uint64_t cap)
{
	uint8_t *p = buf;
	uint64_t need = 8;
	uint32_t n = 0, magic = KV_STATE_MAGIC;

	for (int i = 0; i < KV_SLOTS; i++)
		if (table[i].used)
			need += 1 + strlen(table[i].key) + 4 + table[i].len;
	if (need > cap)
		return (long)need;
	p += 8;
	for (int i = 0; i < KV_SLOTS; i++) {
		struct entry *e = &table[i];
		uint8_t klen = (uint8_t)strlen(e->key);

		if (!e->used)
			continue;
		*p++ = klen;
		memcpy(p, e->key, klen);
		p += klen;
		memcpy(p, &e->len, 4);
		p += 4;
		memcpy(p, e->value, e->len);
		p += e->len;
		n++;
	}
	memcpy(buf, &magic, 4);
	memcpy((uint8_t *)buf + 4, &n, 4);
	return (long)need;
}

/* Take a predecessor's state: every record is checked before it is used. */
static long kv_import(const void *buf, uint64_t len)
{
	const uint8_t *p = buf, *end = p + len;
	uint32_t magic, n;

	if (len < 8)
		return -K42_EPROTO;
	memcpy(&magic, p, 4);
	memcpy(&n, p + 4, 4);
	if (magic != KV_STATE_MAGIC || n > KV_SLOTS)
		return n > KV_SLOTS ? -K42_ENOSPC : -K42_EPROTO;
	p += 8;
	for (uint32_t i = 0; i < n; i++) {
		struct entry *e = &table[i];
		uint32_t klen, vlen;

		if (end - p < 1 || (klen = *p++) == 0 || klen > KV_KEY_MAX || end - p < klen + 4)
			return -K42_EPROTO;
		memcpy(e->key, p, klen);
		e->key[klen] = 0;
		p += klen;
		memcpy(&vlen, p, 4);
		p += 4;
		if (vlen > KV_VALUE_MAX || (uint64_t)(end - p) < vlen)
			return -K42_EPROTO;
		memcpy(e->value, p, vlen);
		e->len = vlen;
		e->used = 1;
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
	long rc;

	(void)argc;
	k42_update_offer(kv_export);
	/* Serve first: nobody knows us before a takeover's commit, and from
	 * the commit on our predecessor's callers must find the handler. */
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
		for (;;)
			k42_sc_block();
	}
	rc = k42_name_register("kv", KV_RIGHT_READ | KV_RIGHT_WRITE);
	if (rc < 0) {
		k42_printf("kv: cannot register: %s\n", k42_strerror(rc));
		return 1;
	}
	for (;;)
		k42_sc_block();
}

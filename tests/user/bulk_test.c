/*
 * Bulk data by reference (run as init): a call lends the server 64 KiB of
 * the caller's memory, read-only or writable, for the call only; the
 * kernel checks every access (protection, bounds, stale handles, memory
 * the caller itself cannot touch), from a synchronous and an asynchronous
 * call.
 */
#include <k42/k42.h>
#include "check.h"

#define IFACE 0x1c9
#define BIG (64 * 1024)

static uint8_t buf[BIG + 4096];

static long call(uint64_t server, uint32_t ord, uint64_t w0, uint64_t w1, struct k42_ipc_msg *m)
{
	m->op = k42_ipc_op(IFACE, 1, ord, 0, 0);
	m->w[0] = w0;
	m->w[1] = w1;
	for (int i = 2; i < 6; i++)
		m->w[i] = 0;
	return k42_ipc_call(server, m);
}

int main(uint64_t arg)
{
	struct k42_ipc_msg *m = k42_ipc_msg_get();
	long server = k42_spawn_path("tests/ipc_server", K42_PRIO_GENERAL, 0), rc;
	uint64_t sum = 0, calls0 = (uint64_t)k42_info(K42_INFO_IPC_CALLS);
	int ok, status;

	(void)arg;
	EXPECT(server > 0, "spawn server: %ld", server);
	if (server <= 0)
		return verdict("bulk_test");

	/* 1. 64 KiB read-only: the server reads all of it, may not write it,
	 * and may not read past it. */
	for (int i = 0; i < BIG; i++) {
		buf[i] = (uint8_t)(i * 13 + 5);
		sum += buf[i];
	}
	k42_ipc_grant(buf, BIG, K42_PROT_READ);
	rc = call((uint64_t)server, 7, BIG, 0, m);
	EXPECT(rc == 0 && m->w[1] == 0 && m->w[0] == sum, "64 KiB read by reference: rc %ld read %ld sum %lu (want %lu)",
	       rc, (long)m->w[1], m->w[0], sum);
	EXPECT((long)m->w[2] == -K42_EACCES, "write into a read-only grant: %ld", (long)m->w[2]);
	EXPECT((long)m->w[3] == -K42_EINVAL, "read past the grant: %ld", (long)m->w[3]);
	EXPECT(buf[0] == 5, "the caller's memory unchanged");

	/* 2. 64 KiB writable: the server fills it. */
	k42_ipc_grant(buf, BIG, K42_PROT_READ | K42_PROT_WRITE);
	rc = call((uint64_t)server, 8, BIG, 3, m);
	ok = rc == 0 && m->w[0] == 0;
	for (int i = 0; ok && i < BIG; i++)
		ok = buf[i] == (uint8_t)(i * 3 + 1);
	EXPECT(ok, "64 KiB written by reference: rc %ld write %ld", rc, (long)m->w[0]);
	EXPECT(buf[BIG] == 0, "nothing written past the grant");

	/* 3. The grant was for that call only; its handle is stale now. */
	rc = call((uint64_t)server, 7, 16, 0, m);
	EXPECT(rc == 0 && (long)m->w[1] == -K42_EINVAL, "no grant on the next call: %ld", (long)m->w[1]);
	rc = call((uint64_t)server, 9, 0, 0, m);
	EXPECT(rc == 0 && (long)m->w[0] == -K42_EBADH, "read through a stale handle: %ld", (long)m->w[0]);

	/* 4. Memory the caller cannot read itself is not readable through a
	 * grant; a grant over the bound, or with no protection, is refused. */
	k42_ipc_grant((const void *)0x1000, 4096, K42_PROT_READ);
	rc = call((uint64_t)server, 7, 4096, 0, m);
	EXPECT(rc == 0 && (long)m->w[1] == -K42_EFAULT, "grant of unmapped memory: %ld", (long)m->w[1]);
	k42_ipc_grant(buf, K42_IPC_GRANT_MAX + 1, K42_PROT_READ);
	EXPECT(call((uint64_t)server, 7, 16, 0, m) == -K42_EINVAL, "an oversized grant refused");
	k42_ipc_grant(buf, 16, 0);
	EXPECT(call((uint64_t)server, 7, 16, 0, m) == -K42_EINVAL, "a grant of nothing refused");
	k42_ipc_grant(buf, 16, 8);
	EXPECT(call((uint64_t)server, 7, 16, 0, m) == -K42_EINVAL, "unknown protection refused");

	/* 5. The same through an asynchronous call. */
	k42_ipc_grant(buf, BIG, K42_PROT_WRITE);
	m->op = k42_ipc_op(IFACE, 1, 8, 0, 0);
	m->w[0] = BIG;
	m->w[1] = 5;
	rc = k42_ipc_call_wait((uint64_t)server, m);
	ok = rc == 0 && m->w[0] == 0;
	for (int i = 0; ok && i < BIG; i++)
		ok = buf[i] == (uint8_t)(i * 5 + 1);
	EXPECT(ok, "64 KiB written through an async call's grant: rc %ld write %ld", rc, (long)m->w[0]);

	EXPECT((uint64_t)k42_info(K42_INFO_IPC_CALLS) == calls0, "no call state left");
	k42_printf("bulk_test: 64 KiB read and written by reference, refusals checked\n");
	k42_sc_proc_kill((uint64_t)server);
	k42_wait((uint64_t)server, &status);
	return verdict("bulk_test");
}

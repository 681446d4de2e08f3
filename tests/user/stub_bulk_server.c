/*
 * The server of stub_bulk_test: idl/bigbuf.idl through its generated
 * dispatcher, whose byte arrays beyond the PPC page travel by reference
 * (the dispatcher reads and writes the caller's granted buffer; docs/idl.md,
 * "Bulk parameters"). Serves in thread mode, as the real servers do.
 */
#include <k42/k42.h>
#include "bigbuf.h"

long bigbuf_digest_impl(const struct k42_ipc_caller *caller, const uint8_t *data,
			uint32_t data_len, uint64_t *sum, uint64_t *hash)
{
	uint64_t s = 0, h = 0xcbf29ce484222325ull;

	(void)caller;
	for (uint32_t i = 0; i < data_len; i++) {
		s += data[i];
		h = (h ^ data[i]) * 0x100000001b3ull;
	}
	*sum = s;
	*hash = h;
	return 0;
}

long bigbuf_fill_impl(const struct k42_ipc_caller *caller, uint32_t n, uint32_t seed,
		      uint8_t *data, uint32_t data_cap, uint32_t *data_len)
{
	(void)caller;
	if (n > data_cap)
		return -K42_EINVAL;
	for (uint32_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 31 + seed + (i >> 8));
	*data_len = n;
	return 0;
}

long bigbuf_bump_impl(const struct k42_ipc_caller *caller, uint8_t add, uint32_t extra,
		      uint8_t *data, uint32_t data_cap, uint32_t *data_len)
{
	(void)caller;
	if (extra > data_cap - *data_len)
		return -K42_EINVAL;
	for (uint32_t i = 0; i < *data_len; i++)
		data[i] = (uint8_t)(data[i] + add);
	for (uint32_t i = 0; i < extra; i++)
		data[*data_len + i] = add;
	*data_len += extra;
	return 0;
}

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	struct k42_ipc_caller who = { caller, 0, ~0ull };

	(void)bigbuf_dispatch(&who, m);
}

int main(uint64_t arg)
{
	(void)arg;
	k42_serve_threads(handle);
	for (;;)
		k42_thread_sleep_us(1000000);
}

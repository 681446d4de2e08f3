/*
 * Name-server client helpers: the generated name.idl stubs, aimed at the
 * name server whose pid came in the startup block (k42_name_server).
 */
#include <string.h>
#include <k42/k42.h>
#include "name.h"

static long server(void)
{
	return k42_name_server ? (long)k42_name_server : -K42_ESRCH;
}

long k42_name_register_obj(const char *name, uint64_t obj, uint64_t rights)
{
	long ns = server();

	return ns < 0 ? ns : name_bind((uint64_t)ns, name, obj, rights);
}

long k42_name_register(const char *name, uint64_t rights)
{
	return k42_name_register_obj(name, 0, rights);
}

long k42_name_unregister(const char *name)
{
	long ns = server();

	return ns < 0 ? ns : name_unbind((uint64_t)ns, name);
}

long k42_name_lookup_rights(const char *name, uint64_t *pid, uint64_t *handle, uint64_t *rights)
{
	uint64_t p, h, r;
	long ns = server(), rc;

	if (ns < 0)
		return ns;
	rc = name_lookup((uint64_t)ns, name, &p, &h, &r);
	if (rc < 0)
		return rc;
	if (pid)
		*pid = p;
	if (handle)
		*handle = h;
	if (rights)
		*rights = r;
	return 0;
}

long k42_name_lookup(const char *name, uint64_t *pid, uint64_t *handle)
{
	return k42_name_lookup_rights(name, pid, handle, NULL);
}

/* Waits by the clock, not by a count of tries: on a loaded host each try
 * can take far longer than its 1 ms sleep. A busy name server, or one that
 * has not started serving yet (its calls answer -K42_ENOSYS until it calls
 * k42_serve), is waited for like a missing name. */
long k42_name_wait(const char *name, uint64_t *pid, uint64_t *handle, uint64_t ms)
{
	uint64_t deadline = k42_timebase() + ms * (k42_info(K42_INFO_TIMEBASE_HZ) / 1000);

	for (;;) {
		long rc = k42_name_lookup(name, pid, handle);

		if ((rc != -K42_ENOENT && rc != -K42_EBUSY && rc != -K42_EAGAIN && rc != -K42_ENOSYS) ||
		    (int64_t)(k42_timebase() - deadline) >= 0)
			return rc;
		k42_thread_sleep_us(1000);
	}
}

long k42_name_list(uint32_t *cursor, char *name, size_t n, uint64_t *pid)
{
	char buf[NAME_NAME_MAX + 1];
	uint32_t next;
	uint64_t p;
	long ns = server(), rc;

	if (ns < 0)
		return ns;
	rc = name_list((uint64_t)ns, *cursor, &next, buf, sizeof(buf), &p);
	if (rc < 0)
		return rc;
	if (strlen(buf) + 1 > n)
		return -K42_E2BIG;
	memcpy(name, buf, strlen(buf) + 1);
	if (pid)
		*pid = p;
	*cursor = next;
	return 0;
}

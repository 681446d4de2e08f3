/*
 * The name server (servers/name): register, look up, list, unregister,
 * and the refusals: duplicate names, malformed names, unregistering a
 * name another process registered (unless the caller holds admin).
 */
#include <string.h>
#include "check.h"
#include "suite.h"

/* Is `name` listed, registered by `pid`? Also checks name order. */
static int listed(const char *name, uint64_t pid)
{
	char prev[128] = "", cur[128];
	uint32_t cursor = 0;
	uint64_t p;
	int found = 0;

	while (k42_name_list(&cursor, cur, sizeof(cur), &p) == 0) {
		if (strcmp(prev, cur) >= 0)
			return -1;	/* out of order */
		if (strcmp(cur, name) == 0 && p == pid)
			found = 1;
		memcpy(prev, cur, sizeof(cur));
	}
	return found;
}

int main(uint64_t arg)
{
	uint64_t me = k42_info(K42_INFO_PID), pid, h, rights, ns;
	long kv, rc;

	(void)arg;
	/* "0": nobody holds admin on this name server. */
	ns = suite_name_server("0");

	EXPECT(k42_name_lookup("name", &pid, NULL) == 0 && pid == ns, "the server lists itself\n");
	rc = k42_name_register_obj("svc/test", 0x1234, 0x5);
	EXPECT(rc == 0, "register: %ld\n", rc);
	rc = k42_name_lookup_rights("svc/test", &pid, &h, &rights);
	EXPECT(rc == 0 && pid == me && h == 0x1234 && rights == 0x5,
	       "lookup gives pid, handle, rights: %ld %lu %lx %lx\n", rc, pid, h, rights);
	rc = k42_name_register("svc/test", 0);
	EXPECT(rc == -K42_EEXIST, "duplicate name: %ld\n", rc);
	EXPECT(k42_name_lookup("svc/none", &pid, &h) == -K42_ENOENT, "missing name\n");

	static const char *const bad[] = { "", "/abs", ".hidden", "a/../b", "Upper", "sp ace" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = k42_name_register(bad[i], 0);
		EXPECT(rc == -K42_EINVAL, "malformed name '%s': %ld\n", bad[i], rc);
	}
	char longest[128];

	memset(longest, 'n', 127);
	longest[127] = 0;
	EXPECT(k42_name_register(longest, 0) == 0, "a 127-byte name\n");
	EXPECT(k42_name_unregister(longest) == 0, "and away again\n");

	/* Another process's name: kv registers "kv". */
	kv = suite_server("servers/kv", "kv", 0);
	EXPECT(kv > 0, "kv registered: %ld\n", kv);
	EXPECT(listed("kv", (uint64_t)kv) == 1 && listed("svc/test", me) == 1,
	       "listing, in name order\n");
	rc = k42_name_unregister("kv");
	EXPECT(rc == -K42_EPERM, "unregistering someone else's name: %ld\n", rc);
	rc = k42_name_register("kv", 0);
	EXPECT(rc == -K42_EEXIST, "taking a live server's name: %ld\n", rc);

	rc = k42_name_unregister("svc/test");
	EXPECT(rc == 0, "unregister my own: %ld\n", rc);
	EXPECT(k42_name_lookup("svc/test", &pid, &h) == -K42_ENOENT, "gone after unregister\n");
	EXPECT(k42_name_unregister("svc/test") == -K42_ENOENT, "unregister twice\n");

	/* A name server started without an admin pid gives its parent (us)
	 * admin: then we may remove kv's name. */
	uint64_t ns2 = suite_name_server(NULL);
	long kv2 = suite_server("servers/kv", "kv", 0);

	EXPECT(ns2 != ns && kv2 > 0, "a second name server and kv: %ld\n", kv2);
	rc = k42_name_unregister("kv");
	EXPECT(rc == 0, "admin removes another's name: %ld\n", rc);

	/* A server that has ended loses its name to the next registration. */
	EXPECT(k42_sc_proc_kill((uint64_t)kv2) == 0, "kill kv2\n");
	k42_wait((uint64_t)kv2, NULL);
	k42_name_server = ns;
	EXPECT(k42_sc_proc_kill((uint64_t)kv) == 0, "kill kv\n");
	k42_wait((uint64_t)kv, NULL);
	rc = k42_name_register("kv", 0);
	EXPECT(rc == 0, "a dead server's name is free again: %ld\n", rc);

	/* Without a name server the helpers say so. */
	k42_name_server = 0;
	EXPECT(k42_name_lookup("kv", &pid, &h) == -K42_ESRCH, "no name server\n");
	return verdict("name_test");
}

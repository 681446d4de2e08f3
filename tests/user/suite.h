/*
 * Starting the server suite from a user test that runs as init: the name
 * server first, then servers and clients that find it through their
 * startup block (k42_spawn_argv), the way init's boot configuration does.
 */
#ifndef USER_SUITE_H
#define USER_SUITE_H

#include <k42/k42.h>

/* Start the name server and make it ours; returns its pid (exits on failure). */
static inline uint64_t suite_name_server(const char *admin)
{
	const char *argv[] = { "name", admin, NULL };
	long pid = k42_spawn_argv("servers/name", argv, K42_PRIO_SYSTEM, 0);

	if (pid < 0) {
		k42_printf("suite: cannot start the name server: %s\n", k42_strerror(pid));
		k42_sc_exit(1);
	}
	k42_name_server = (uint64_t)pid;
	/* Until it serves, its calls fail: wait for it to answer to its name. */
	if (k42_name_wait("name", NULL, NULL, 20000) < 0) {
		k42_printf("suite: the name server does not answer\n");
		k42_sc_exit(1);
	}
	return (uint64_t)pid;
}

/* Start `path` with our name server and wait (up to 20 s by the clock: a
 * loaded host runs the guest slowly) until it has registered `name` (a dead
 * predecessor may still hold it meanwhile); returns its pid, or a negative
 * error. */
static inline long suite_server(const char *path, const char *name, unsigned flags)
{
	const char *argv[] = { name, NULL };
	struct k42_spawn_opts o = { argv, K42_PRIO_SYSTEM, k42_name_server, flags, 0, 0 };
	long pid = k42_spawn_path_ex(path, &o), rc;
	uint64_t found;

	uint64_t deadline = k42_timebase() + 20 * k42_info(K42_INFO_TIMEBASE_HZ);

	if (pid < 0)
		return pid;
	while ((int64_t)(k42_timebase() - deadline) < 0) {
		rc = k42_name_lookup(name, &found, NULL);
		if (rc == 0 && found == (uint64_t)pid)
			return pid;
		if (rc < 0 && rc != -K42_ENOENT)
			return rc;
		k42_thread_sleep_us(1000);
	}
	return -K42_ETIMEDOUT;
}

#endif

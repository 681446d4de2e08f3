/*
 * Servers that idle through k42_server_idle (<k42/server.h>) wait with
 * nothing to resume, so their calls take the kernel's register-only fast
 * path both ways. Run as init at 1 CPU against the name server, tmpfs
 * (k42_server_start with fs_regs) and unixsock (with sock_regs):
 * - N calls to each answer right (statfs's figures, a socket's handle and
 *   its close, a name's pid);
 * - the kernel's fast-path counters (K42_INFO_PPC_FAST_CALLS, _REPLIES)
 *   grow by nearly N for each server's N calls: a server blocked in the
 *   kernel with its registers saved takes none. A clock tick that lands
 *   while a server handles a call may send that call down the full path,
 *   and on a loaded host more ticks land (they are wall-clock: the name
 *   server lost 1 or 2 of 400 that way on main, 2026-12-02): 1 in 50 may.
 */
#include <k42/k42.h>
#include "check.h"
#include "fs.h"
#include "sock.h"
#include "suite.h"

#define N 400

static uint64_t fast_calls(void)
{
	return (uint64_t)k42_info(K42_INFO_PPC_FAST_CALLS);
}

static uint64_t fast_replies(void)
{
	return (uint64_t)k42_info(K42_INFO_PPC_FAST_REPLIES);
}

/* The counters' growth over one server's calls, checked against n. */
static void check_fast(const char *who, uint64_t c0, uint64_t r0, uint64_t n)
{
	uint64_t c = fast_calls() - c0, r = fast_replies() - r0;

	k42_printf("server_idle_test: %s: %lu calls, %lu fast calls, %lu fast replies\n", who, n,
		   c, r);
	EXPECT(c >= n - n / 50 && r >= n - n / 50,
	       "%s: only %lu fast calls and %lu fast replies for %lu calls\n", who, c, r, n);
}

int main(uint64_t arg)
{
	uint64_t c0, r0, used0 = 0, limit0 = 0, used, limit, s, found;
	uint64_t kept0 = 0, files0 = 0, ffree0 = 0, kept, files, ffree;
	uint32_t bsize0 = 0, bsize;
	long tmp, usock, rc;
	int bad = 0;

	(void)arg;
	suite_name_server(NULL);
	tmp = suite_server("servers/tmpfs", "mnt/tmp", 0);
	EXPECT(tmp > 0, "tmpfs registered: %ld\n", tmp);
	usock = suite_server("servers/unixsock", "sock/unix", 0);
	EXPECT(usock > 0, "unixsock registered: %ld\n", usock);
	if (tmp <= 0 || usock <= 0)
		return verdict("server_idle_test");
	EXPECT(k42_info(K42_INFO_CPUS_ONLINE) == 1, "run at 1 CPU (the counters are all CPUs')\n");

	/* tmpfs: statfs, a register-level entry of fs (k42_server_start). */
	rc = fs_statfs((uint64_t)tmp, &used0, &limit0, &bsize0, &kept0, &files0, &ffree0);
	EXPECT(rc == 0 && limit0 > 0 && bsize0 > 0, "statfs: %ld\n", rc);
	c0 = fast_calls();
	r0 = fast_replies();
	for (int i = 0; i < N; i++) {
		rc = fs_statfs((uint64_t)tmp, &used, &limit, &bsize, &kept, &files, &ffree);
		/* (limit follows the system's free memory, which moves by a
		 * page now and then: only that it is there is checked.) */
		bad += rc != 0 || used != used0 || !limit || bsize != bsize0 || kept != kept0 ||
		       files != files0 || ffree != ffree0;
	}
	check_fast("tmpfs statfs", c0, r0, N);
	EXPECT(bad == 0, "%d of %d statfs calls answered wrong\n", bad, N);

	/* unixsock: socket and close, register-level entries of sock. */
	bad = 0;
	c0 = fast_calls();
	r0 = fast_replies();
	for (int i = 0; i < N / 2; i++) {
		s = 0;
		rc = sock_socket((uint64_t)usock, 1, 1, 0, &s);
		bad += rc != 0 || s == 0;
		if (rc == 0)
			bad += sock_close((uint64_t)usock, s) != 0;
	}
	check_fast("unixsock socket+close", c0, r0, N);
	EXPECT(bad == 0, "%d of %d socket/close pairs answered wrong\n", bad, N / 2);
	rc = sock_close((uint64_t)usock, s);
	EXPECT(rc == -K42_EBADH, "a closed socket's close: %ld\n", rc);

	/* The name server (its own main, k42_server_idle): a name in the page. */
	bad = 0;
	c0 = fast_calls();
	r0 = fast_replies();
	for (int i = 0; i < N; i++) {
		found = 0;
		rc = k42_name_lookup("sock/unix", &found, NULL);
		bad += rc != 0 || found != (uint64_t)usock;
	}
	check_fast("name lookup", c0, r0, N);
	EXPECT(bad == 0, "%d of %d lookups answered wrong\n", bad, N);

	k42_sc_proc_kill((uint64_t)usock);
	k42_sc_proc_kill((uint64_t)tmp);
	return verdict("server_idle_test");
}

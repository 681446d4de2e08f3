/*
 * poll over any mix of descriptors (docs/files.md). Each round asks every
 * object whether it is ready and arms it (registers this process to get
 * K42_SOFTINTR_IO when that changes: pipes in their shared buffer, the
 * tty at the console server); with nothing ready the thread sleeps in
 * iowait.c until an event or the timeout. No polling loop: a waiting
 * process does not run.
 */
#include <k42/k42.h>
#include "fsint.h"

int k42_poll(struct k42_pollfd *fds, unsigned n, int timeout_ms)
{
	uint64_t deadline = 0;

	if (n > K42_FD_MAX)
		return -K42_EINVAL;
	if (timeout_ms > 0) {
		uint64_t hz = (uint64_t)k42_sc_sys_info(K42_INFO_TIMEBASE_HZ);

		deadline = k42_timebase() + (uint64_t)timeout_ms * (hz / 1000);
	}
	for (int round = 0;; round++) {
		uint64_t gen = k42_io_gen;
		int ready = 0, arm = timeout_ms != 0;

		for (unsigned i = 0; i < n; i++) {
			int rev = 0;

			fds[i].revents = 0;
			if (fds[i].fd < 0)
				continue;
			if (k42_fs_poll_one(fds[i].fd, fds[i].events, arm, &rev) < 0)
				rev = K42_POLLNVAL;
			fds[i].revents = (short)rev;
			if (rev)
				ready++;
		}
		if (ready || timeout_ms == 0)
			return ready;
		if (deadline && k42_timebase() >= deadline)
			return 0;
		if (k42_io_wait(gen, deadline) == -K42_EINTR)
			return -K42_EINTR;
	}
}

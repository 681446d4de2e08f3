/*
 * The file layer end to end (run as init; docs/files.md): the boot
 * archive read-only at /, tmpfs at /tmp (with a size limit) and /dev,
 * path resolution, descriptors, 100 processes in /tmp at once, ENOSPC,
 * pipes (10 MB checked by checksum, EPIPE, EOF, PIPE_BUF atomicity, a
 * killed peer), inheritance across spawn, and poll on a pipe and a
 * timer, including that a process blocked in poll does not run.
 */
#include <string.h>
#include <k42/fs.h>
#include <k42/procinfo.h>
#include <lib/fmt.h>
#include "check.h"
#include "suite.h"

#define TMP_LIMIT (2ul << 20)

static uint64_t sum_bytes(uint64_t s, const uint8_t *b, long n)
{
	for (long i = 0; i < n; i++)
		s = s * 31 + b[i];
	return s;
}

static long spawn_child(const char *const argv[])
{
	struct k42_spawn_opts o = { argv, K42_PRIO_GENERAL, k42_name_server, 0, 0, 0 };

	return k42_spawn_path_ex("tests/fsys_child", &o);
}

static uint64_t upcalls_of(uint64_t pid)
{
	static struct k42_procinfo info[64];
	long n = k42_sc_proc_list((uint64_t)info, 64);

	for (long i = 0; i < n; i++)
		if (info[i].pid == pid)
			return info[i].upcalls;
	k42_printf("fsys_test: pid %lu not among %ld processes\n", pid, n);
	return 0;
}

static void basics(void)
{
	struct k42_stat st;
	char buf[256];
	int fd, fd2;
	long n;

	/* The root is the boot archive, read-only. */
	EXPECT(k42_stat("/etc/motd", &st) == 0 && (st.mode & K42_S_IFMT) == K42_S_IFREG,
	       "stat /etc/motd\n");
	fd = k42_open("/etc/../etc/./motd", K42_O_RDONLY, 0);
	EXPECT(fd >= 3, "open motd through . and ..: %d\n", fd);
	n = k42_read(fd, buf, sizeof(buf));
	EXPECT(n > 0 && (uint64_t)n == st.size, "read motd: %ld of %lu\n", n, st.size);
	EXPECT(k42_lseek(fd, 2, K42_SEEK_SET) == 2 && k42_read(fd, buf + 100, 3) == 3 &&
	       memcmp(buf + 100, buf + 2, 3) == 0, "lseek + read\n");
	EXPECT(k42_close(fd) == 0, "close\n");
	EXPECT(k42_read(fd, buf, 1) == -K42_EBADH, "read after close is EBADF\n");
	EXPECT(k42_open("/etc/new", K42_O_CREAT | K42_O_WRONLY, 0644) == -K42_EROFS, "EROFS\n");
	EXPECT(k42_stat("/../../etc/motd", &st) == 0, ".. above the root stays at the root\n");

	/* tmpfs. */
	fd = k42_open("/tmp/a", K42_O_CREAT | K42_O_RDWR, 0644);
	EXPECT(fd >= 0, "create /tmp/a: %d\n", fd);
	EXPECT(k42_write(fd, "hello world", 11) == 11, "write\n");
	EXPECT(k42_pread(fd, buf, 5, 6) == 5 && memcmp(buf, "world", 5) == 0, "pread\n");
	EXPECT(k42_fstat(fd, &st) == 0 && st.size == 11, "fstat size %lu\n", st.size);
	EXPECT(k42_ftruncate(fd, 5) == 0 && k42_fstat(fd, &st) == 0 && st.size == 5, "ftruncate\n");
	EXPECT(k42_fsync(fd) == 0, "fsync\n");
	fd2 = k42_dup(fd);
	EXPECT(fd2 > fd, "dup: %d\n", fd2);
	EXPECT(k42_lseek(fd2, 0, K42_SEEK_SET) == 0 && k42_lseek(fd, 0, K42_SEEK_CUR) == 0,
	       "dup shares the offset\n");
	EXPECT(k42_dup2(fd, 40) == 40 && k42_fcntl(40, K42_F_GETFD, 0) == 0, "dup2\n");
	EXPECT(k42_fcntl(40, K42_F_SETFD, K42_FD_CLOEXEC) == 0 &&
	       k42_fcntl(40, K42_F_GETFD, 0) == K42_FD_CLOEXEC, "close-on-exec flag\n");
	k42_close(40);
	k42_close(fd2);
	k42_close(fd);
	EXPECT(k42_mkdir("/tmp/d", 0755) == 0 && k42_mkdir("/tmp/d", 0755) == -K42_EEXIST, "mkdir\n");
	EXPECT(k42_rename("/tmp/a", "/tmp/d/b") == 0 && k42_stat("/tmp/a", &st) == -K42_ENOENT &&
	       k42_stat("/tmp/d/b", &st) == 0, "rename\n");
	EXPECT(k42_symlink("/tmp/d", "/tmp/l") == 0, "symlink\n");
	n = k42_readlink("/tmp/l", buf, sizeof(buf));
	EXPECT(n == 6 && memcmp(buf, "/tmp/d", 6) == 0, "readlink %ld\n", n);
	EXPECT(k42_stat("/tmp/l/b", &st) == 0 && st.size == 5, "through a symlink\n");
	EXPECT(k42_symlink("/tmp/loop2", "/tmp/loop1") == 0 &&
	       k42_symlink("/tmp/loop1", "/tmp/loop2") == 0 &&
	       k42_stat("/tmp/loop1", &st) == -K42_ELOOP, "ELOOP\n");
	EXPECT(k42_chdir("/tmp/l") == 0 && k42_getcwd(buf, sizeof(buf)) == 7 &&
	       strcmp(buf, "/tmp/d") == 0, "chdir through a symlink: %s\n", buf);
	EXPECT(k42_stat("b", &st) == 0 && k42_stat("../d/b", &st) == 0, "relative paths\n");
	EXPECT(k42_chdir("/") == 0, "chdir /\n");
	EXPECT(k42_rename("/tmp/d", "/tmp/d/b/x") == -K42_ENOTDIR, "rename under a file\n");
	EXPECT(k42_mkdir("/tmp/e", 0755) == 0 && k42_mkdir("/tmp/e/f", 0755) == 0, "mkdir e/f\n");
	EXPECT(k42_rename("/tmp/d", "/tmp/e") == -K42_ENOTEMPTY, "rename over a full directory\n");
	EXPECT(k42_rmdir("/tmp/e/f") == 0 && k42_rename("/tmp/d", "/tmp/e") == 0 &&
	       k42_stat("/tmp/e/b", &st) == 0, "rename over an empty directory\n");
	EXPECT(k42_rmdir("/tmp/e") == -K42_ENOTEMPTY, "rmdir non-empty\n");
	EXPECT(k42_unlink("/tmp/e") == -K42_EISDIR, "unlink a directory\n");
	fd = k42_open("/tmp/e", K42_O_RDONLY | K42_O_DIRECTORY, 0);
	n = fd >= 0 ? k42_getdents(fd, buf, sizeof(buf)) : -1;
	EXPECT(n > 0 && strcmp(((struct k42_dirent *)buf)->name, ".") == 0, "getdents %ld\n", n);
	k42_close(fd);
	EXPECT(k42_rename("/tmp/e/b", "/etc/b") == -K42_EXDEV, "EXDEV\n");
	EXPECT(k42_unlink("/tmp/e/b") == 0 && k42_rmdir("/tmp/e") == 0, "clean up\n");
	{
		char longname[300];

		memset(longname, 'x', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = 0;
		memcpy(longname, "/tmp/", 5);
		EXPECT(k42_open(longname, K42_O_CREAT | K42_O_WRONLY, 0644) == -K42_ENAMETOOLONG,
		       "ENAMETOOLONG\n");
	}

	/* /dev. */
	fd = k42_open("/dev/zero", K42_O_RDONLY, 0);
	memset(buf, 7, 16);
	EXPECT(fd >= 0 && k42_read(fd, buf, 16) == 16 && buf[0] == 0 && buf[15] == 0, "/dev/zero\n");
	k42_close(fd);
	fd = k42_open("/dev/full", K42_O_WRONLY, 0);
	EXPECT(fd >= 0 && k42_write(fd, buf, 1) == -K42_ENOSPC, "/dev/full\n");
	k42_close(fd);
	fd = k42_open("/dev/null", K42_O_RDWR, 0);
	EXPECT(fd >= 0 && k42_write(fd, buf, 9) == 9 && k42_read(fd, buf, 9) == 0, "/dev/null\n");
	k42_close(fd);
	EXPECT(k42_isatty(1) == 1, "stdout is the tty\n");
}

static void many_processes(void)
{
	static long pids[100];
	struct k42_stat st;
	int ok = 0, status;

	for (int i = 0; i < 100; i++) {
		char num[8];
		const char *argv[] = { "fsys_child", "worker", num, NULL };

		k_snprintf(num, sizeof(num), "%d", i);
		pids[i] = spawn_child(argv);
		EXPECT(pids[i] > 0, "spawn worker %d: %ld\n", i, pids[i]);
	}
	for (int i = 0; i < 100; i++) {
		status = -1;
		if (pids[i] > 0 && k42_wait((uint64_t)pids[i], &status) >= 0 && status == 0)
			ok++;
		else
			k42_printf("worker %d status %d\n", i, status);
	}
	EXPECT(ok == 100, "%d of 100 workers succeeded\n", ok);
	/* Each left file0, file2, file4 with its own contents, and nothing else. */
	ok = 0;
	for (int i = 0; i < 100; i++) {
		for (int r = 0; r < 5; r++) {
			char path[64], want[64], got[64];
			int fd, n;

			k_snprintf(path, sizeof(path), "/tmp/w%d/file%d", i, r);
			if (r % 2) {
				ok += k42_stat(path, &st) == -K42_ENOENT;
				continue;
			}
			n = k_snprintf(want, sizeof(want), "worker %d round %d", i, r);
			fd = k42_open(path, K42_O_RDONLY, 0);
			if (fd >= 0 && k42_read(fd, got, sizeof(got)) == n && memcmp(got, want, (size_t)n) == 0)
				ok++;
			k42_close(fd);
			k42_unlink(path);
		}
	}
	EXPECT(ok == 500, "%d of 500 files as expected\n", ok);
	k42_printf("fsys_test: 100 processes created, wrote, renamed and deleted files in /tmp\n");
}

static void fill_to_enospc(void)
{
	static uint8_t block[4096];
	uint64_t sums[64];
	int nfiles = 0, fd;
	long n = 0;

	for (;;) {
		char path[32];
		long total = 0;

		k_snprintf(path, sizeof(path), "/tmp/fill%d", nfiles);
		fd = k42_open(path, K42_O_CREAT | K42_O_WRONLY, 0644);
		if (fd < 0) {
			n = fd;
			break;
		}
		sums[nfiles] = 0;
		for (int i = 0; i < 64; i++) {
			memset(block, nfiles * 7 + i, sizeof(block));
			n = k42_write(fd, block, sizeof(block));
			if (n != sizeof(block))
				break;
			sums[nfiles] = sum_bytes(sums[nfiles], block, n);
			total += n;
		}
		k42_close(fd);
		if (n != sizeof(block)) {
			k42_unlink(path);	/* the partial one goes */
			break;
		}
		if (++nfiles == 64)
			break;
	}
	EXPECT(n == -K42_ENOSPC || (n >= 0 && n < 4096), "filled to ENOSPC: %ld after %d files\n", n, nfiles);
	EXPECT(nfiles >= 4 && nfiles < 64, "%d whole 256 KiB files fit in %lu\n", nfiles, TMP_LIMIT);
	for (int f = 0; f < nfiles; f++) {
		char path[32];
		uint64_t s = 0;

		k_snprintf(path, sizeof(path), "/tmp/fill%d", f);
		fd = k42_open(path, K42_O_RDONLY, 0);
		while (fd >= 0 && (n = k42_read(fd, block, sizeof(block))) > 0)
			s = sum_bytes(s, block, n);
		k42_close(fd);
		EXPECT(fd >= 0 && s == sums[f], "file %d intact after ENOSPC\n", f);
		k42_unlink(path);
	}
	fd = k42_open("/tmp/after", K42_O_CREAT | K42_O_WRONLY, 0644);
	EXPECT(fd >= 0 && k42_write(fd, block, 4096) == 4096, "writable again after freeing\n");
	k42_close(fd);
	k42_unlink("/tmp/after");
	k42_printf("fsys_test: tmpfs filled to ENOSPC after %d files; all intact\n", nfiles);
}

static void pipes(void)
{
	static uint8_t buf[65536];
	int to[2], from[2], status = -1;
	uint64_t s = 0, total = 10u << 20, t0, t1;
	char reply[64] = { 0 };
	long n, child;

	/* Local semantics. */
	EXPECT(k42_pipe(to) == 0, "pipe\n");
	EXPECT(k42_write(to[1], "abc", 3) == 3 && k42_read(to[0], buf, 10) == 3, "pipe round\n");
	k42_fcntl(to[0], K42_F_SETFL, K42_O_NONBLOCK);
	EXPECT(k42_read(to[0], buf, 1) == -K42_EAGAIN, "non-blocking empty read\n");
	k42_fcntl(to[1], K42_F_SETFL, K42_O_NONBLOCK);
	n = 0;
	while (k42_write(to[1], buf, 4096) == 4096)
		n += 4096;
	EXPECT(n == 65536, "pipe holds %ld bytes\n", n);
	EXPECT(k42_write(to[1], buf, 100) == -K42_EAGAIN, "atomic write does not fit: EAGAIN\n");
	k42_close(to[1]);
	while ((n = k42_read(to[0], buf, sizeof(buf))) > 0)
		;
	EXPECT(n == 0, "EOF once the writer is gone: %ld\n", n);
	k42_close(to[0]);
	EXPECT(k42_pipe(to) == 0, "pipe\n");
	k42_close(to[0]);
	EXPECT(k42_write(to[1], "x", 1) == -K42_EPIPE, "EPIPE once the reader is gone\n");
	k42_close(to[1]);

	/* 10 MB to another process, checksum back. */
	EXPECT(k42_pipe(to) == 0 && k42_pipe(from) == 0, "two pipes\n");
	{
		int save0 = k42_dup(0), save1 = k42_dup(1);
		const char *argv[] = { "fsys_child", "sink", NULL };

		k42_dup2(to[0], 0);
		k42_dup2(from[1], 1);
		k42_fcntl(to[1], K42_F_SETFD, K42_FD_CLOEXEC);
		k42_fcntl(from[0], K42_F_SETFD, K42_FD_CLOEXEC);
		child = spawn_child(argv);
		k42_dup2(save0, 0);
		k42_dup2(save1, 1);
		k42_close(save0);
		k42_close(save1);
		k42_close(to[0]);
		k42_close(from[1]);
	}
	EXPECT(child > 0, "spawn sink: %ld\n", child);
	t0 = k42_timebase();
	for (uint64_t off = 0; off < total; off += sizeof(buf)) {
		for (uint64_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)((off + i) * 2654435761u >> 13);
		s = sum_bytes(s, buf, sizeof(buf));
		n = k42_write(to[1], buf, sizeof(buf));
		if (n != sizeof(buf)) {
			EXPECT(0, "write at %lu: %ld\n", off, n);
			break;
		}
	}
	k42_close(to[1]);
	n = k42_read(from[0], reply, sizeof(reply) - 1);
	t1 = k42_timebase();
	{
		char want[64];

		k_snprintf(want, sizeof(want), "%lu %lu", total, s);
		EXPECT(n > 0 && strcmp(reply, want) == 0, "sink saw '%s', want '%s'\n", reply, want);
	}
	EXPECT(k42_read(from[0], buf, 1) == 0 || k42_wait((uint64_t)child, &status) >= 0, "EOF\n");
	k42_wait((uint64_t)child, &status);
	EXPECT(status == 0, "sink status %d\n", status);
	EXPECT(k42_read(from[0], buf, 1) == 0, "EOF after the child ended\n");
	k42_close(from[0]);
	k42_printf("fsys_test: 10 MB through a pipe to another process, checksum %lx, %lu ticks\n",
		   s, t1 - t0);
}

/* Spawn fsys_child MODE with fd 0 = in and fd 1 = out (-1: inherit ours). */
static long spawn_with(const char *mode, int in, int out)
{
	const char *argv[] = { "fsys_child", mode, NULL };
	int save0 = k42_dup(0), save1 = k42_dup(1);
	long child;

	if (in >= 0)
		k42_dup2(in, 0);
	if (out >= 0)
		k42_dup2(out, 1);
	child = spawn_child(argv);
	k42_dup2(save0, 0);
	k42_dup2(save1, 1);
	k42_close(save0);
	k42_close(save1);
	return child;
}

/* The peer of a pipe is killed, not closed: a reader blocked in another
 * process still sees EOF, and a blocked writer EPIPE (docs/files.md). */
static void killed_peers(void)
{
	int to[2], from[2], status = -1;
	char reply[64] = { 0 };
	long holder, reader, writer, n;

	EXPECT(k42_pipe2(to, K42_O_CLOEXEC) == 0 && k42_pipe2(from, K42_O_CLOEXEC) == 0, "pipes\n");
	holder = spawn_with("block", -1, to[1]);	/* holds the write end */
	reader = spawn_with("sink", to[0], from[1]);	/* blocked reading */
	EXPECT(holder > 0 && reader > 0, "spawn holder %ld, sink %ld\n", holder, reader);
	k42_close(to[0]);
	k42_close(to[1]);
	k42_close(from[1]);
	k42_thread_sleep_us(100000);	/* let the sink block */
	EXPECT(k42_sc_proc_kill((uint64_t)holder) == 0, "kill the writer\n");
	n = k42_read(from[0], reply, sizeof(reply) - 1);
	EXPECT(n > 0 && strcmp(reply, "0 0") == 0, "the sink saw EOF: '%s'\n", reply);
	k42_wait((uint64_t)reader, &status);
	EXPECT(status == 0, "sink status %d\n", status);
	k42_close(from[0]);

	EXPECT(k42_pipe2(to, K42_O_CLOEXEC) == 0, "pipe\n");
	holder = spawn_with("block", to[0], -1);	/* holds the read end */
	writer = spawn_with("flood", -1, to[1]);	/* fills the pipe and blocks */
	EXPECT(holder > 0 && writer > 0, "spawn holder %ld, flood %ld\n", holder, writer);
	k42_close(to[0]);
	k42_close(to[1]);
	k42_thread_sleep_us(100000);	/* let the flood fill the pipe and block */
	EXPECT(k42_sc_proc_status((uint64_t)writer, (uint64_t[1]){ 0 }) == K42_PROC_RUNNING, "the flood is blocked\n");
	EXPECT(k42_sc_proc_kill((uint64_t)holder) == 0, "kill the reader\n");
	status = -1;
	k42_wait((uint64_t)writer, &status);
	EXPECT(status == 0, "the flood saw EPIPE: status %d\n", status);
	k42_printf("fsys_test: killed pipe peers: EOF for the reader, EPIPE for the writer\n");
}

static void polling(void)
{
	int p[2], q[2], status = -1;
	struct k42_pollfd pf[2];
	uint64_t hz = (uint64_t)k42_sc_sys_info(K42_INFO_TIMEBASE_HZ), t0, up0, up1;
	long child, n;
	char c = 0;

	EXPECT(k42_pipe(p) == 0, "pipe\n");
	pf[0] = (struct k42_pollfd){ p[0], K42_POLLIN, 0 };
	pf[1] = (struct k42_pollfd){ p[1], K42_POLLOUT, 0 };
	n = k42_poll(pf, 2, 0);
	EXPECT(n == 1 && pf[0].revents == 0 && (pf[1].revents & K42_POLLOUT), "poll now: %ld\n", n);
	/* A timer: nothing ready for 50 ms. */
	t0 = k42_timebase();
	n = k42_poll(pf, 1, 50);
	EXPECT(n == 0 && k42_timebase() - t0 >= hz / 20, "poll timed out after %lu ticks: %ld\n",
	       k42_timebase() - t0, n);
	k42_write(p[1], "z", 1);
	n = k42_poll(pf, 1, -1);
	EXPECT(n == 1 && (pf[0].revents & K42_POLLIN), "readable\n");
	k42_read(p[0], &c, 1);
	k42_close(p[0]);
	k42_close(p[1]);

	/* A child blocked in poll does not run until we write. */
	EXPECT(k42_pipe(p) == 0 && k42_pipe(q) == 0, "pipes\n");
	{
		int save0 = k42_dup(0), save1 = k42_dup(1);
		const char *argv[] = { "fsys_child", "poller", NULL };

		k42_dup2(p[0], 0);
		k42_dup2(q[1], 1);
		k42_fcntl(p[1], K42_F_SETFD, K42_FD_CLOEXEC);
		k42_fcntl(q[0], K42_F_SETFD, K42_FD_CLOEXEC);
		child = spawn_child(argv);
		k42_dup2(save0, 0);
		k42_dup2(save1, 1);
		k42_close(save0);
		k42_close(save1);
		k42_close(p[0]);
		k42_close(q[1]);
	}
	EXPECT(child > 0, "spawn poller: %ld\n", child);
	k42_thread_sleep_us(50000);	/* let it reach poll */
	up0 = upcalls_of((uint64_t)child);
	k42_thread_sleep_us(300000);
	up1 = upcalls_of((uint64_t)child);
	EXPECT(up1 == up0, "poller ran while blocked: upcalls %lu -> %lu\n", up0, up1);
	k42_write(p[1], "w", 1);
	{
		char out[32] = { 0 };

		n = k42_read(q[0], out, sizeof(out) - 1);
		EXPECT(n > 0 && strcmp(out, "y 1") == 0,
		       "poller woke once, with POLLIN: '%s' (POLLIN, wake-ups)\n", out);
	}
	k42_wait((uint64_t)child, &status);
	EXPECT(status == 0, "poller status %d\n", status);
	k42_close(p[1]);
	k42_close(q[0]);
	k42_printf("fsys_test: a process blocked in poll for 300 ms: %lu upcalls, woke once\n",
		   up1 - up0);
}

int main(uint64_t arg)
{
	char size[32];
	const char *tmp_argv[] = { "tmpfs", "/tmp", size, NULL };
	const char *dev_argv[] = { "tmpfs", "/dev", "dev", NULL };
	struct k42_spawn_opts o = { tmp_argv, K42_PRIO_SYSTEM, 0, 0, 0, 0 };
	long rc;

	(void)arg;
	suite_name_server(NULL);
	rc = suite_server("servers/files", "files", K42_SPAWN_SHARE_ARCHIVE);
	EXPECT(rc > 0, "file server: %ld\n", rc);
	k_snprintf(size, sizeof(size), "%lu", TMP_LIMIT);
	o.name_server = k42_name_server;
	EXPECT(k42_spawn_path_ex("servers/tmpfs", &o) > 0, "tmpfs /tmp\n");
	o.argv = dev_argv;
	EXPECT(k42_spawn_path_ex("servers/tmpfs", &o) > 0, "tmpfs /dev\n");
	EXPECT(k42_name_wait("mnt/tmp", &(uint64_t){ 0 }, NULL, 2000) == 0 &&
	       k42_name_wait("mnt/dev", &(uint64_t){ 0 }, NULL, 2000) == 0, "mounts registered\n");
	k42_fs_remount();
	basics();
	many_processes();
	fill_to_enospc();
	pipes();
	killed_peers();
	polling();
	return verdict("fsys_test");
}

/*
 * Host tests of the file layer's pure parts: path resolution (path.c)
 * over two tmpfs trees (servers/tmpfs/tree.c) mounted at / and /tmp, the
 * tmpfs tree's POSIX rules and byte budget, the descriptor table
 * (fdtable.c) and the pipe buffer (pipebuf.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <k42/errno.h>
#include "../../libk42/src/path.h"
#include "../../libk42/src/fdtable.h"
#include "../../libk42/src/pipebuf.h"
#include "../../servers/tmpfs/tree.h"
#include "check.h"

static struct tfs root, tmp;
static uint64_t clock_ns;

static uint64_t now(void)
{
	return ++clock_ns;
}

static int mount_at(void *ctx, const char *abs)
{
	(void)ctx;
	return !strcmp(abs, "/") ? 0 : !strcmp(abs, "/tmp") ? 1 : -1;
}

static long walk(void *ctx, int m, const char *rel, uint32_t *done, int *err, enum path_kind *kind,
		 char *link, size_t cap)
{
	struct tnode *n;

	(void)ctx;
	tfs_walk(m ? &tmp : &root, rel, done, err, &n);
	*kind = n ? (enum path_kind)n->kind : PK_NONE;
	link[0] = 0;
	if (n && n->kind == TK_LNK)
		snprintf(link, cap, "%s", n->link);
	return 0;
}

static const struct path_ops ops = { mount_at, walk };
static struct path_result r;

static long res(const char *cwd, const char *p, int flags)
{
	return path_resolve(&ops, NULL, cwd, p, flags, &r);
}

static void test_path(void)
{
	char longp[5000], name[300];

	CHECK(tfs_init(&root, 0, now) == 0 && tfs_init(&tmp, 0, now) == 0, "init");
	CHECK(tfs_create(&root, "etc", TK_DIR, 0755, 0, NULL, NULL) == 0, "mkdir etc");
	CHECK(tfs_create(&root, "etc/motd", TK_REG, 0644, 0, NULL, NULL) == 0, "motd");
	CHECK(tfs_create(&tmp, "d", TK_DIR, 0755, 0, NULL, NULL) == 0, "mkdir d");
	CHECK(tfs_create(&tmp, "d/f", TK_REG, 0644, 0, NULL, NULL) == 0, "d/f");
	CHECK(tfs_create(&tmp, "up", TK_LNK, 0777, 0, "../etc", NULL) == 0, "relative link");
	CHECK(tfs_create(&tmp, "abs", TK_LNK, 0777, 0, "/tmp/d", NULL) == 0, "absolute link");
	CHECK(tfs_create(&tmp, "l1", TK_LNK, 0777, 0, "l2", NULL) == 0, "loop 1");
	CHECK(tfs_create(&tmp, "l2", TK_LNK, 0777, 0, "/tmp/l1", NULL) == 0, "loop 2");
	CHECK(tfs_create(&tmp, "dangling", TK_LNK, 0777, 0, "nowhere", NULL) == 0, "dangling");

	CHECK(res("/", "/etc/motd", PATH_FOLLOW) == 0 && r.mount == 0 && !strcmp(r.rel, "etc/motd") &&
	      r.kind == PK_REG, "plain path");
	CHECK(res("/", "/../../etc/./motd", PATH_FOLLOW) == 0 && !strcmp(r.abs, "/etc/motd"),
	      ".. above the root stays there: %s", r.abs);
	CHECK(res("/tmp/d", "f", PATH_FOLLOW) == 0 && r.mount == 1 && !strcmp(r.rel, "d/f"),
	      "relative to cwd");
	CHECK(res("/tmp/d", "..", PATH_FOLLOW) == 0 && r.mount_root && r.mount == 1, ".. to a mount root");
	CHECK(res("/tmp", "..", PATH_FOLLOW) == 0 && r.mount == 0 && !strcmp(r.abs, "/"),
	      ".. out of a mount: %s", r.abs);
	CHECK(res("/", "/tmp/up/motd", PATH_FOLLOW) == 0 && r.mount == 0 &&
	      !strcmp(r.abs, "/etc/motd"), "relative symlink across mounts: %s", r.abs);
	CHECK(res("/", "/tmp/abs/f", PATH_FOLLOW) == 0 && !strcmp(r.abs, "/tmp/d/f"), "absolute link");
	CHECK(res("/", "/tmp/abs/../d/f", PATH_FOLLOW) == 0 && !strcmp(r.abs, "/tmp/d/f"),
	      ".. after a symlink is physical: %s", r.abs);
	CHECK(res("/", "/tmp/abs", 0) == 0 && r.kind == PK_LNK, "last link not followed");
	CHECK(res("/", "/tmp/abs/", 0) == 0 && r.kind == PK_DIR, "trailing slash follows");
	CHECK(res("/", "/tmp/l1", PATH_FOLLOW) == -K42_ELOOP, "ELOOP");
	CHECK(res("/", "/tmp/l1/x", 0) == -K42_ELOOP, "ELOOP in the middle");
	CHECK(res("/", "/tmp/dangling", PATH_FOLLOW) == -K42_ENOENT, "dangling link");
	CHECK(res("/", "/tmp/dangling", PATH_FOLLOW | PATH_PARENT) == 0 && !r.exists &&
	      !strcmp(r.abs, "/tmp/nowhere"), "creating through a dangling link: %s", r.abs);
	CHECK(res("/", "/tmp/d/f/x", PATH_PARENT) == -K42_ENOTDIR, "file as a directory");
	CHECK(res("/", "/etc/motd/", 0) == -K42_ENOTDIR, "trailing slash on a file");
	CHECK(res("/", "/tmp/new", PATH_PARENT) == 0 && !r.exists && !strcmp(r.last, "new"), "parent");
	CHECK(res("/", "/tmp/no/new", PATH_PARENT) == -K42_ENOENT, "missing parent");
	CHECK(res("/", "", 0) == -K42_ENOENT, "empty path");
	CHECK(res("/", "/tmp/d/.", 0) == 0 && r.last_dot, "last component '.'");
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	CHECK(res("/", name, PATH_PARENT) == -K42_ENAMETOOLONG, "component over NAME_MAX");
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = 0;
	for (size_t i = 100; i < sizeof(longp); i += 100)
		longp[i] = '/';
	CHECK(res("/", longp, PATH_PARENT) == -K42_ENAMETOOLONG, "path over PATH_MAX");
	tfs_destroy(&root);
	tfs_destroy(&tmp);
}

static void test_tmpfs(void)
{
	struct tfs fs;
	struct tnode *n, *m;
	static uint8_t buf[8192];
	long w;

	CHECK(tfs_init(&fs, 64 * 1024, now) == 0, "init with a 64 KiB budget");
	CHECK(tfs_create(&fs, "a", TK_DIR, 0755, 0, NULL, NULL) == 0, "a");
	CHECK(tfs_create(&fs, "a/x", TK_DIR, 0755, 0, NULL, NULL) == 0, "a/x");
	CHECK(tfs_create(&fs, "b", TK_DIR, 0755, 0, NULL, NULL) == 0, "b");
	CHECK(tfs_create(&fs, "f", TK_REG, 0644, 0, NULL, &n) == 0, "f");
	CHECK(tfs_rename(&fs, "b", "a") == -K42_ENOTEMPTY, "rename over a non-empty directory");
	CHECK(tfs_rename(&fs, "f", "a") == -K42_EISDIR, "rename a file over a directory");
	CHECK(tfs_rename(&fs, "b", "f") == -K42_ENOTDIR, "rename a directory over a file");
	CHECK(tfs_rename(&fs, "a", "a/x/y") == -K42_EINVAL, "rename into itself");
	CHECK(tfs_rmdir(&fs, "a/x") == 0 && tfs_rename(&fs, "b", "a") == 0 &&
	      tfs_lookup(&fs, "b", &m) == -K42_ENOENT && tfs_lookup(&fs, "a", &m) == 0,
	      "rename over an empty directory");
	CHECK(tfs_link(&fs, "f", "g") == 0 && n->nlink == 2, "hard link");
	CHECK(tfs_link(&fs, "a", "h") == -K42_EPERM, "no hard link to a directory");
	CHECK(tfs_unlink(&fs, "a") == -K42_EISDIR, "unlink a directory");
	tfs_open_ref(n);
	CHECK(tfs_unlink(&fs, "f") == 0 && tfs_unlink(&fs, "g") == 0, "unlink both names");
	memset(buf, 0x5a, sizeof(buf));
	CHECK(tfs_write(&fs, n, 0, buf, 100) == 100, "write to an open, unlinked file");
	tfs_close_ref(&fs, n);	/* freed now */
	CHECK(tfs_create(&fs, "big", TK_REG, 0644, 0, NULL, &n) == 0, "big");
	for (w = 0; w < 100; w++)
		if (tfs_write(&fs, n, (uint64_t)w * 4096, buf, 4096) != 4096)
			break;
	CHECK(w > 5 && w < 16, "%ld pages fit in 64 KiB", w);
	CHECK(tfs_write(&fs, n, (uint64_t)w * 4096, buf, 4096) == -K42_ENOSPC, "ENOSPC");
	CHECK(fs.used <= fs.limit, "budget kept: %lu of %lu", (unsigned long)fs.used,
	      (unsigned long)fs.limit);
	CHECK(tfs_read(&fs, n, 4096, buf + 4096, 4096) == 4096 && buf[4096] == 0x5a, "data intact");
	CHECK(tfs_truncate(&fs, n, 10) == 0 && tfs_read(&fs, n, 0, buf, 4096) == 10, "truncate");
	CHECK(tfs_create(&fs, "again", TK_REG, 0644, 0, NULL, NULL) == 0, "room again");
	tfs_destroy(&fs);
	CHECK(fs.used == 0, "every byte accounted: %lu", (unsigned long)fs.used);
}

/* A listing that removes each entry it is given, and adds others, as
 * `rm -r` and `find -delete` do, still meets every entry that was there
 * and stays (tree.c's seq order, which tmpfs's readdir goes on from). */
static void test_tmpfs_listing(void)
{
	enum { N = 300 };
	struct tfs fs;
	struct tnode *d;
	char path[32];
	int seen[N] = { 0 }, added = 0, total = 0;
	uint64_t next = 0;

	CHECK(tfs_init(&fs, 0, now) == 0, "init");
	CHECK(tfs_create(&fs, "d", TK_DIR, 0755, 0, NULL, &d) == 0, "mkdir d");
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "d/e%d", i);
		CHECK(tfs_create(&fs, path, i % 3 ? TK_REG : TK_DIR, 0755, 0, NULL, NULL) == 0,
		      "%s", path);
	}
	for (;;) {
		uint32_t i = tfs_dir_from(d, next);
		int k;

		if (i >= d->nents)
			break;
		next = d->ents[i].seq + 1;
		total++;
		if (sscanf(d->ents[i].name, "e%d", &k) == 1 && k >= 0 && k < N) {
			seen[k]++;
			snprintf(path, sizeof(path), "d/e%d", k);
			CHECK((k % 3 ? tfs_unlink(&fs, path) : tfs_rmdir(&fs, path)) == 0,
			      "remove %s", path);
			if (k % 50 == 0) {
				snprintf(path, sizeof(path), "d/new%d", added++);
				CHECK(tfs_create(&fs, path, TK_REG, 0644, 0, NULL, NULL) == 0, "%s",
				      path);
			}
		}
	}
	for (int k = 0; k < N; k++)
		CHECK(seen[k] == 1, "entry e%d met %d times", k, seen[k]);
	CHECK(total == N + added, "%d entries listed, %d made", total, N + added);
	CHECK(d->nents == (uint32_t)added, "%u left", d->nents);
	CHECK(tfs_rename(&fs, "d/new0", "d/zz") == 0 && tfs_dir_from(d, 0) == 0 &&
	      !strcmp(d->ents[d->nents - 1].name, "zz"), "a renamed entry goes last");
	tfs_destroy(&fs);
}

/* tmpfs's permission checks (tree.c): as uid 1000 gid 100 against what
 * uid 0 made, and in the sticky root (/tmp's). */
static void as_user(struct tfs *fs, uint32_t uid, uint32_t gid)
{
	fs->uid = uid;
	fs->gid = gid;
}

static void test_tmpfs_perm(void)
{
	struct tfs fs;
	struct tnode *n;
	uint32_t done;
	int err;

	CHECK(tfs_init(&fs, 0, now) == 0, "init");
	fs.enforce = 1;
	as_user(&fs, 0, 0);
	CHECK(tfs_create(&fs, "ro", TK_DIR, 0755, 0, NULL, NULL) == 0, "mkdir ro");
	CHECK(tfs_create(&fs, "ro/f", TK_REG, 0644, 0, NULL, NULL) == 0, "ro/f");
	CHECK(tfs_create(&fs, "priv", TK_DIR, 0700, 0, NULL, NULL) == 0, "mkdir priv");
	CHECK(tfs_create(&fs, "priv/f", TK_REG, 0644, 0, NULL, NULL) == 0, "priv/f");
	CHECK(tfs_create(&fs, "rootfile", TK_REG, 0644, 0, NULL, NULL) == 0, "rootfile");
	CHECK(tfs_create(&fs, "grp", TK_REG, 0640, 0, NULL, &n) == 0, "grp");
	n->gid = 100;
	as_user(&fs, 1000, 100);
	CHECK(tfs_create(&fs, "ro/g", TK_REG, 0644, 0, NULL, NULL) == -K42_EACCES,
	      "create in a 0755 directory of uid 0");
	CHECK(tfs_unlink(&fs, "ro/f") == -K42_EACCES, "unlink there");
	CHECK(tfs_rename(&fs, "ro/f", "x") == -K42_EACCES, "rename out of it");
	CHECK(tfs_lookup(&fs, "priv/f", &n) == -K42_EACCES, "lookup through a 0700 directory");
	tfs_walk(&fs, "priv/f", &done, &err, &n);
	CHECK(err == -K42_EACCES && done == 5 && !n, "walk stops at the 0700 directory: %d %u",
	      err, done);
	CHECK(tfs_lookup(&fs, "ro/f", &n) == 0 && tfs_may(&fs, n, TFS_R) == 0 &&
	      tfs_may(&fs, n, TFS_W) == -K42_EACCES && tfs_may_own(&fs, n) == -K42_EPERM,
	      "0644 of uid 0: readable, not writable, not ours");
	CHECK(tfs_lookup(&fs, "grp", &n) == 0 && tfs_may(&fs, n, TFS_R) == 0, "group read of 0640");
	CHECK(tfs_create(&fs, "mine", TK_REG, 0600, 0, NULL, &n) == 0 && n->uid == 1000 &&
	      n->gid == 100 && tfs_may(&fs, n, TFS_R | TFS_W) == 0 && tfs_may_own(&fs, n) == 0,
	      "a file made in the sticky 01777 root is ours");
	CHECK(tfs_unlink(&fs, "rootfile") == -K42_EPERM, "sticky: unlink another's file");
	CHECK(tfs_rename(&fs, "mine", "rootfile") == -K42_EPERM, "sticky: replace another's file");
	CHECK(tfs_rename(&fs, "mine", "mine2") == 0 && tfs_unlink(&fs, "mine2") == 0,
	      "sticky: rename and unlink our own");
	as_user(&fs, 2000, 200);
	CHECK(tfs_lookup(&fs, "grp", &n) == 0 && tfs_may(&fs, n, TFS_R) == -K42_EACCES,
	      "others cannot read 0640");
	as_user(&fs, 0, 0);
	CHECK(tfs_lookup(&fs, "priv/f", &n) == 0 && tfs_may(&fs, n, TFS_R | TFS_W) == 0 &&
	      tfs_unlink(&fs, "rootfile") == 0, "uid 0 passes every check");
	tfs_destroy(&fs);
}

static void test_fdtable(void)
{
	static struct fdtab t;
	int a = 1, b = 2;
	void *old;

	CHECK(fdt_alloc(&t, 0, &a, 0) == 0 && fdt_alloc(&t, 0, &b, 1) == 1, "lowest free");
	CHECK(fdt_close(&t, 0, &old) == 0 && old == &a, "close");
	CHECK(fdt_get(&t, 0) == NULL && fdt_close(&t, 0, &old) == -K42_EBADH, "use after close");
	CHECK(fdt_alloc(&t, 0, &a, 0) == 0, "reuse the lowest");
	CHECK(fdt_dup2(&t, 0, 1, 0, &old) == 1 && old == &b && fdt_get(&t, 1) == &a &&
	      !t.cloexec[1], "dup2 displaces, clears close-on-exec");
	CHECK(fdt_dup2(&t, 5, 6, 0, &old) == -K42_EBADH, "dup2 of a closed fd");
	CHECK(fdt_dup2(&t, 0, K42_FD_MAX, 0, &old) == -K42_EBADH, "dup2 out of range");
	CHECK(fdt_get(&t, -1) == NULL && fdt_get(&t, K42_FD_MAX) == NULL, "bad numbers");
	for (int i = 0; i < K42_FD_MAX; i++)
		(void)fdt_alloc(&t, 0, &a, 0);
	CHECK(fdt_alloc(&t, 0, &a, 0) == -K42_EMFILE, "EMFILE");
	CHECK(fdt_alloc(&t, 10, &a, 0) == -K42_EMFILE && fdt_close(&t, 5, &old) == 0 &&
	      fdt_alloc(&t, 10, &a, 0) == -K42_EMFILE && fdt_alloc(&t, 3, &a, 0) == 5,
	      "F_DUPFD's minimum");
	/* A lowered limit (RLIMIT_NOFILE): new ones below it, open ones stay. */
	t.limited = 1;
	t.limit = 8;
	CHECK(fdt_close(&t, 6, &old) == 0 && fdt_close(&t, 20, &old) == 0 &&
	      fdt_alloc(&t, 0, &a, 0) == 6 && fdt_alloc(&t, 0, &a, 0) == -K42_EMFILE,
	      "EMFILE at the limit");
	CHECK(fdt_alloc(&t, 8, &a, 0) == -K42_EMFILE && fdt_limit(&t) == 8 && fdt_dup2(&t, 0, 20, 0, &old) == -K42_EBADH &&
	      fdt_dup2(&t, 30, 2, 0, &old) == 2 && fdt_get(&t, 30) == &a,
	      "F_DUPFD and dup2 past the limit; one open above it still works");
	t.limit = 0;
	CHECK(fdt_alloc(&t, 0, &a, 0) == -K42_EMFILE, "a limit of 0");
	t.limited = 0;
	CHECK(fdt_alloc(&t, 0, &a, 0) == 20, "no limit again");
}

static void test_pipebuf(void)
{
	static struct pipebuf p;
	static uint8_t in[70000], out[70000];
	uint32_t pids[PIPEBUF_WAITERS];
	uint64_t wrote = 0, read = 0;

	pipebuf_init(&p);
	p.readers = p.writers = 1;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);
	CHECK(pipebuf_read(&p, out, 10) == -K42_EAGAIN, "empty: EAGAIN");
	CHECK(pipebuf_write(&p, in, 70000) == PIPEBUF_DATA, "a big write is partial");
	CHECK(pipebuf_write(&p, in, 1) == -K42_EAGAIN && !pipebuf_writable(&p), "full");
	CHECK(pipebuf_read(&p, out, 100) == 100 && pipebuf_write(&p, in, 200) == -K42_EAGAIN,
	      "an atomic write waits for room for all of it");
	CHECK(pipebuf_read(&p, out + 100, 70000) == PIPEBUF_DATA - 100 &&
	      memcmp(in, out, PIPEBUF_DATA) == 0, "contents");
	/* Wrap around many times with odd sizes. */
	wrote = read = p.head;
	{
		int bad = 0;

		for (int round = 0; round < 2000; round++) {
			/* The byte stream is in[k % 1000] for stream position k. */
			size_t want = (size_t)(round * 37 % 5000) + 1, at = wrote % 1000;
			long w = pipebuf_write(&p, in + at, want > 1000 - at ? 1000 - at : want);
			long got;

			if (w > 0)
				wrote += (uint64_t)w;
			got = pipebuf_read(&p, out, (size_t)(round * 53 % 7000) + 1);
			for (long i = 0; i < got; i++, read++)
				bad += out[i] != in[read % 1000];
		}
		CHECK(bad == 0, "%d bytes wrong across wrap-arounds", bad);
	}
	CHECK(p.head == wrote && p.tail == read && wrote - read <= PIPEBUF_DATA, "counters");
	CHECK(pipebuf_wait_add(&p, 7) == 0 && pipebuf_wait_add(&p, 7) == 0 &&
	      pipebuf_wait_add(&p, 9) == 0, "waiters");
	CHECK(pipebuf_wait_take(&p, pids) == 2 && pids[0] == 7 && pids[1] == 9 &&
	      pipebuf_wait_take(&p, pids) == 0, "taken once");
	/* A slot filled but its bit not yet set (a registration half done)
	 * is neither reused nor taken; once its bit is set it is taken. */
	p.waiters[0] = 5;
	CHECK(pipebuf_wait_add(&p, 6) == 0 && p.waiters[1] == 6 && pipebuf_wait_take(&p, pids) == 1 &&
	      pids[0] == 6 && p.waiters[0] == 5, "a half-registered slot is left alone");
	p.nwaiters |= 1;
	CHECK(pipebuf_wait_take(&p, pids) == 1 && pids[0] == 5 && p.waiters[0] == 0,
	      "and taken once its bit is set");
	for (uint32_t i = 1; i <= PIPEBUF_WAITERS; i++)
		(void)pipebuf_wait_add(&p, i);
	CHECK(pipebuf_wait_add(&p, 99) == -K42_EAGAIN, "waiter slots full");
	(void)pipebuf_wait_take(&p, pids);
	while (pipebuf_read(&p, out, sizeof(out)) > 0)
		;
	p.writers = 0;
	CHECK(pipebuf_read(&p, out, 1) == 0 && pipebuf_readable(&p), "EOF once the writers are gone");
	p.readers = 0;
	CHECK(pipebuf_write(&p, in, 1) == -K42_EPIPE && pipebuf_writable(&p), "EPIPE");
}

/* Liveness for the reaping test: pids in the NUL-ended list are alive. */
static int in_list(uint32_t pid, void *ctx)
{
	for (const uint32_t *l = ctx; *l; l++)
		if (*l == pid)
			return 1;
	return 0;
}

/* Who holds which ends, and taking back the ends of a killed holder. */
static void test_pipe_holders(void)
{
	static struct pipebuf p;
	uint32_t all[] = { 10, 11, 12, 0 }, no11[] = { 10, 12, 0 }, none[] = { 0 };

	pipebuf_init(&p);
	pipebuf_hold(&p, 10, 0, 1);
	pipebuf_hold(&p, 10, 1, 1);
	pipebuf_hold(&p, 11, 1, 1);	/* exported to 11 and 12 */
	pipebuf_hold(&p, 11, 1, 1);
	pipebuf_hold(&p, 12, 0, 1);
	CHECK(p.readers == 2 && p.writers == 3, "counts follow holds: %u %u", p.readers, p.writers);
	CHECK(pipebuf_hold(&p, 10, 1, -1) == 2, "10 closes its write end: 2 left (no wake-up)");
	CHECK(pipebuf_reap(&p, pipebuf_hold_seq(&p), in_list, all) == 0 && p.writers == 2, "nobody dead: nothing reaped");
	CHECK(pipebuf_reap(&p, pipebuf_hold_seq(&p), in_list, no11) == 2 && p.writers == 0 && p.readers == 2,
	      "11 killed holding two write ends");
	CHECK(pipebuf_read(&p, (uint8_t[1]){ 0 }, 1) == 0, "the readers see EOF");
	CHECK(pipebuf_reap(&p, pipebuf_hold_seq(&p), in_list, no11) == 0, "reaped once");
	CHECK(p.holders[0].pid == 10 && p.holders[0].r == 1 && p.holders[0].w == 0, "10 keeps its read end");
	pipebuf_hold(&p, 10, 0, -1);
	pipebuf_hold(&p, 12, 0, -1);
	CHECK(p.readers == 0 && pipebuf_reap(&p, pipebuf_hold_seq(&p), in_list, none) == 0, "closed ends are not reaped");
	for (uint32_t pid = 1; pid <= PIPEBUF_HOLDERS + 3; pid++)
		pipebuf_hold(&p, pid, 0, 1);
	CHECK(p.readers == PIPEBUF_HOLDERS + 3 && p.untracked == 3, "holders beyond the table");
	CHECK(pipebuf_reap(&p, pipebuf_hold_seq(&p), in_list, none) == PIPEBUF_HOLDERS && p.readers == 3,
	      "untracked ends stay counted");
}

/* A list of live processes taken before a child was registered must not
 * take the child for dead; a reaped holder's own late close must not be
 * counted twice (busybox: sleep & kill -9 inside a pipe lost the pipe). */
static void test_pipe_reap_races(void)
{
	static struct pipebuf p;
	uint32_t before[] = { 10, 20, 0 }, after[] = { 10, 20, 21, 0 }, no21[] = { 10, 20, 0 };
	uint32_t seq;

	pipebuf_init(&p);
	pipebuf_hold(&p, 10, 0, 1);	/* sort: the read end */
	pipebuf_hold(&p, 20, 1, 1);	/* the subshell: the write end */
	seq = pipebuf_hold_seq(&p);	/* the list `before` is taken now */
	pipebuf_hold(&p, 21, 1, 1);	/* the subshell forks 21 (sleep &) */
	CHECK(pipebuf_reap(&p, seq, in_list, before) == -1 && p.writers == 2,
	      "a list older than a holder reaps nothing: %u writers", p.writers);
	CHECK(pipebuf_reap(&p, pipebuf_hold_seq(&p), in_list, after) == 0 && p.writers == 2,
	      "a new list: nobody dead");
	CHECK(pipebuf_reap(&p, pipebuf_hold_seq(&p), in_list, no21) == 1 && p.writers == 1,
	      "21 killed: its end taken back");
	CHECK(pipebuf_hold(&p, 21, 1, -1) == 1,	/* 21's own close, after the reap */
	      "a reaped end's close reports the writers left");
	CHECK(p.writers == 1 && p.untracked == 0, "not subtracted twice: %u writers", p.writers);
	CHECK(pipebuf_read(&p, (uint8_t[1]){ 0 }, 1) == -K42_EAGAIN, "the reader waits, no EOF");
	CHECK(pipebuf_hold(&p, 20, 1, -1) == 0, "the last writer's close: 0 left (the reader is woken)");
	CHECK(p.writers == 0 && pipebuf_read(&p, (uint8_t[1]){ 0 }, 1) == 0, "EOF when the last closes");
}

int main(void)
{
	test_path();
	test_tmpfs();
	test_tmpfs_listing();
	test_tmpfs_perm();
	test_fdtable();
	test_pipebuf();
	test_pipe_holders();
	test_pipe_reap_races();
	return check_done("libk42/fs");
}

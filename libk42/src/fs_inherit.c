/*
 * What a process hands its children and what fork walks (docs/files.md):
 * k42_fs_export packs the current directory and every descriptor without
 * close-on-exec into a blob a spawned child receives, k42_fs_inherit
 * rebuilds the table from it (checking every record: the blob comes from
 * another process), and k42_fs_each_open visits each distinct open object
 * once for fork's sharing (fs_fork.c). The table itself is fs.c's; this
 * file takes its lock through k42_fs_lock and never holds it across a call
 * to a server.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include "internal.h"
#include "fsint.h"
#include "fdtable.h"
#include "path.h"

long k42_fs_export(uint64_t pid, void **blob, uint64_t *len)
{
	struct fdtab *t = k42_fs_table();
	size_t cap = 4096 + K42_PATH_MAX, used;
	uint8_t *b = malloc(cap);
	struct kfile *files[K42_FD_MAX];
	int n = 0;

	*blob = NULL;
	*len = 0;
	if (!b)
		return -K42_ENOMEM;
	k42_fs_lock();
	k42_fs_stdio_default(0);
	k42_export_slot = 0;
	used = strlen(k42_fs_cwd()) + 1;
	memcpy(b, k42_fs_cwd(), used);
	used = (used + 7) & ~7ul;
	for (int fd = 0; fd < K42_FD_MAX; fd++) {
		files[fd] = NULL;
		if (t->f[fd] && !t->cloexec[fd]) {
			files[fd] = t->f[fd];
			kfile_ref(files[fd]);
			n++;
		}
	}
	k42_fs_unlock();
	for (int fd = 0; fd < K42_FD_MAX; fd++) {
		struct kfile *f = files[fd];
		struct fd_export e;
		size_t pl, rl;

		if (!f)
			continue;
		memset(&e, 0, sizeof(e));
		e.fd = fd;
		e.flags = f->flags;
		pl = f->dirpath ? strlen(f->dirpath) + 1 : 0;
		rl = (sizeof(e) + pl + 7) & ~7ul;
		if (used + rl > cap) {
			uint8_t *nb = realloc(b, cap * 2);

			if (!nb) {
				k42_fs_put(f);
				continue;
			}
			b = nb;
			cap *= 2;
		}
		if (f->ops->export && f->ops->export(f, pid, &e) == 0) {
			e.pathlen = (uint32_t)pl;
			e.reclen = (uint32_t)rl;
			memcpy(b + used, &e, sizeof(e));
			if (pl)
				memcpy(b + used + sizeof(e), f->dirpath, pl);
			used += rl;
		}
		k42_fs_put(f);
	}
	(void)n;
	*blob = b;
	*len = used;
	return 0;
}

void k42_fs_inherit(uint64_t blob, uint64_t len)
{
	struct fdtab *t = k42_fs_table();
	const uint8_t *b = (const uint8_t *)blob;
	size_t pos;

	if (!blob || !len)
		return;
	k42_fs_stdio_default(1);	/* what the parent passed is our stdio */
	pos = strnlen((const char *)b, len);
	if (pos == len || pos >= K42_PATH_MAX || b[0] != '/')
		return;
	memcpy(k42_fs_cwd(), b, pos + 1);
	pos = (pos + 1 + 7) & ~7ul;
	while (pos + sizeof(struct fd_export) <= len) {
		struct fd_export e;
		struct kfile *f = NULL;

		memcpy(&e, b + pos, sizeof(e));
		if (e.reclen < sizeof(e) || e.reclen > len - pos || (e.reclen & 7) ||
		    e.pathlen > e.reclen - sizeof(e) || e.fd < 0 || e.fd >= K42_FD_MAX)
			break;
		switch (e.kind) {
		case FDX_DEV:
			f = k42_dev_open(e.aux, e.flags);
			break;
		case FDX_REMOTE:
			f = k42_kfile_new(&k42_remote_ops, e.flags);
			if (f && k42_remote_import(f, &e) < 0) {
				free(f);
				f = NULL;
			}
			break;
		case FDX_FIFO:
			f = k42_kfile_new(&k42_fifo_ops, e.flags);
			if (f && k42_remote_import(f, &e) < 0) {
				free(f);
				f = NULL;
			}
			break;
		case FDX_PIPE:
			f = k42_kfile_new(&k42_pipe_ops, e.flags);
			if (f && k42_pipe_import(f, &e) < 0) {
				free(f);
				f = NULL;
			}
			break;
		case FDX_SOCK:
			f = k42_kfile_new(&k42_sock_ops, e.flags);
			if (f && k42_sock_import(f, &e) < 0) {
				free(f);
				f = NULL;
			}
			break;
		}
		if (f && e.pathlen && b[pos + sizeof(e) + e.pathlen - 1] == 0) {
			f->dirpath = malloc(e.pathlen);
			if (f->dirpath)
				memcpy(f->dirpath, b + pos + sizeof(e), e.pathlen);
		}
		if (f)
			t->f[e.fd] = f;
		pos += e.reclen;
	}
}

void k42_fs_close_cloexec(void)
{
	struct fdtab *t = k42_fs_table();
	for (int fd = 0; fd < K42_FD_MAX; fd++)
		if (t->f[fd] && t->cloexec[fd])
			(void)k42_close(fd);
}

/* ---- every open object (fork) ---- */

static uint64_t fork_gen;

/* fn(f, pid) on each distinct open object once (several descriptors may
 * share one: fork_gen marks those seen), with fs_lock not held; the first
 * error stops the calls and is returned. fs_fork.c uses it. */
int k42_fs_each_open(int (*fn)(struct kfile *f, uint64_t pid), uint64_t pid)
{
	struct fdtab *t = k42_fs_table();
	struct kfile *files[K42_FD_MAX];
	int n = 0, rc = 0;

	fork_gen++;
	k42_fs_lock();
	k42_fs_stdio_default(0);
	for (int fd = 0; fd < K42_FD_MAX; fd++) {
		struct kfile *f = t->f[fd];

		if (f && f->fork_gen != fork_gen) {
			f->fork_gen = fork_gen;
			kfile_ref(f);
			files[n++] = f;
		}
	}
	k42_fs_unlock();
	for (int i = 0; i < n; i++) {
		if (rc == 0)
			rc = fn(files[i], pid);
		k42_fs_put(files[i]);
	}
	return rc;
}


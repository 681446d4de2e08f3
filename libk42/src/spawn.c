/*
 * The program loader: makes a process from an ELF image with kernel calls
 * (proc_create, mem_map_anon, mem_write, mem_protect, proc_start). The
 * image is checked completely before anything is created. With arguments
 * it writes a startup block (<k42/startup.h>) at the top of the child's
 * stack and passes its address; init may also share the boot archive
 * (mem_cow of its read-only archive region), and a program's text comes
 * out of the archive copy-on-write. k42_wait lets the process's
 * other threads run while one waits for a child.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/startup.h>
#include "internal.h"
#include "fsint.h"
#include <kern/cpio.h>
#include <lib/elf.h>

extern uint64_t k42_initrd_size;

/* Build the startup block for a stack ending at `top` in *blk (malloc'd);
 * returns its size, or a negative error. Pointers are the child's. */
static long startup_build(const struct k42_spawn_opts *o, uint64_t top, uint64_t archive,
			  const void *fds, uint64_t fds_len, struct k42_startup **blk)
{
	const char *const *argv = o->argv;
	uint64_t argc = 0, strbytes = 0, size, va;
	struct k42_startup *b;
	char *s;

	for (; argv && argv[argc]; argc++) {
		if (argc >= K42_STARTUP_ARGS)
			return -K42_E2BIG;
		strbytes += strlen(argv[argc]) + 1;
		if (strbytes > K42_STARTUP_MAX)
			return -K42_E2BIG;
	}
	size = sizeof(*b) + (argc + 1) * sizeof(uint64_t) + strbytes;
	size = (size + 7) & ~7ull;
	size += fds_len;
	size = (size + 15) & ~15ull;
	if (size > K42_STARTUP_MAX)
		return -K42_E2BIG;
	b = calloc(1, size);
	if (!b)
		return -K42_ENOMEM;
	va = top - size;
	b->magic = K42_STARTUP_MAGIC;
	b->size = size;
	b->name_server = o->name_server;
	b->archive_size = archive;
	b->argc = argc;
	s = (char *)&b->argv[argc + 1];
	for (uint64_t i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;

		memcpy(s, argv[i], n);
		b->argv[i] = va + (uint64_t)(s - (char *)b);
		s += n;
	}
	b->argv[argc] = 0;
	if (fds_len) {
		uint64_t off = ((uint64_t)(s - (char *)b) + 7) & ~7ull;

		memcpy((char *)b + off, fds, fds_len);
		b->fds_off = off;
		b->fds_len = fds_len;
	}
	*blk = b;
	return (long)size;
}

/* The whole pages of read-only segment s that can be cloned copy-on-write
 * out of our boot archive instead of copied: the image lies in the
 * archive region (len bytes at elf) and the segment's file bytes start
 * at a page of it, as mkinitrd.py places every program's. 0 if none. */
static uint64_t shared_text_len(const void *elf, uint64_t len, const struct elf_segment *s)
{
	uint64_t src = (uint64_t)elf + s->offset;

	if (!k42_initrd_size || (uint64_t)elf < K42_INITRD_VA ||
	    (uint64_t)elf + len > K42_INITRD_VA + k42_initrd_size)
		return 0;
	if ((s->prot & K42_PROT_WRITE) || s->file_vaddr != s->vaddr || (src & (K42_PAGE_SIZE - 1)))
		return 0;
	return s->filesz & ~(uint64_t)(K42_PAGE_SIZE - 1);
}

/* One loadable segment: its whole pages of text out of the archive
 * (copy-on-write: no frame is copied or even touched until the child
 * runs), the rest zero-filled with the file's bytes copied in. */
static long load_segment(uint64_t pid, const void *elf, uint64_t len, const struct elf_segment *s)
{
	uint64_t shared = shared_text_len(elf, len, s), va = s->vaddr + shared;
	long rc = 0;

	if (shared) {
		rc = k42_sc_mem_cow(pid, s->vaddr, (uint64_t)elf + s->offset, shared);
		if (rc == 0)
			rc = k42_sc_mem_protect(pid, s->vaddr, shared, s->prot);
		if (rc < 0 || shared == s->memsz)
			return rc;
	}
	rc = k42_sc_mem_map_anon(pid, va, s->memsz - shared, K42_PROT_READ | K42_PROT_WRITE);
	if (rc == 0 && s->filesz > shared)
		rc = k42_sc_mem_write(pid, s->file_vaddr + shared, (uint64_t)elf + s->offset + shared,
				      s->filesz - shared);
	if (rc == 0)
		rc = k42_sc_mem_protect(pid, va, s->memsz - shared, s->prot);
	return rc;
}

/* Everything but starting: image, stack, startup block, shared archive. */
static long load(uint64_t pid, const void *elf, uint64_t len, const struct elf_image *img,
		 const struct k42_spawn_opts *o, uint64_t *sp, uint64_t *arg)
{
	struct k42_startup *b;
	uint64_t archive = 0, fds_len = 0;
	void *fds = NULL;
	long rc = 0, size;

	for (int i = 0; i < img->nseg && rc == 0; i++)
		rc = load_segment(pid, elf, len, &img->seg[i]);
	if (rc == 0)
		rc = k42_sc_mem_map_anon(pid, K42_STACK_TOP - K42_STACK_SIZE, K42_STACK_SIZE,
					 K42_PROT_READ | K42_PROT_WRITE);
	if (rc < 0 || !o)
		return rc;
	if (o->flags & K42_SPAWN_SHARE_ARCHIVE) {
		if (!k42_initrd_size)
			return -K42_ENOENT;
		archive = k42_initrd_size;
		/* The archive is one whole read-only region: the child gets a
		 * copy-on-write view of it, which read-only never copies. */
		rc = k42_sc_mem_cow(pid, K42_INITRD_VA, K42_INITRD_VA,
				    (archive + K42_PAGE_SIZE - 1) & ~(K42_PAGE_SIZE - 1));
		if (rc < 0)
			return rc;
	}
	/* Our descriptors (without close-on-exec) and directory, POSIX-style. */
	if (!(o->flags & K42_SPAWN_NO_FDS)) {
		rc = k42_fs_export(pid, &fds, &fds_len);
		if (rc < 0)
			return rc;
	}
	size = startup_build(o, K42_STACK_TOP, archive, fds, fds_len, &b);
	free(fds);
	if (size < 0)
		return size;
	*sp = *arg = K42_STACK_TOP - (uint64_t)size;
	rc = k42_sc_mem_write(pid, *sp, (uint64_t)b, (uint64_t)size);
	free(b);
	return rc;
}

/* The child's tree gets pct% of each of our limits. */
static long set_quota(uint64_t pid, unsigned pct)
{
	uint64_t self = k42_info(K42_INFO_PID), used[1];

	if (pct >= 100)
		return -K42_EINVAL;
	for (int k = 0; k < K42_QUOTA_KINDS; k++) {
		long limit = k42_sc_proc_limit(self, (uint64_t)k, K42_QUOTA_QUERY, used), rc;

		if (limit < 0)
			return limit;
		rc = k42_sc_proc_limit(pid, (uint64_t)k, (uint64_t)limit / 100 * pct +
				       (uint64_t)limit % 100 * pct / 100, used);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static long spawn(const void *elf, uint64_t len, const char *name, unsigned prio,
		  uint64_t arg, const struct k42_spawn_opts *o, const struct k42_spawn_grant *g)
{
	struct elf_image img;
	const char *why;
	uint64_t sp = K42_STACK_TOP;
	long pid, rc;

	rc = elf_check(elf, len, K42_USER_BASE, K42_STACK_TOP - K42_STACK_SIZE, &img, &why);
	if (rc < 0) {
		k42_printf("k42_spawn: %s: %s\n", name, why);
		return rc;
	}
	/* A static Linux program passes elf_check too, but run natively
	 * its system calls are taken for k42 kernel calls (musl's exit
	 * loop never ends): the Linux personality runs it. */
	if (!elf_is_k42_program(elf, len)) {
		k42_printf("k42_spawn: %s: not a k42 program (no k42 note; a Linux program runs "
			   "under /bin/lx)\n", name);
		return -K42_ENOEXEC;
	}
	pid = k42_sc_proc_create((uint64_t)name, strlen(name), prio);
	if (pid < 0)
		return pid;
	rc = load((uint64_t)pid, elf, len, &img, o, &sp, &arg);
	if (rc == 0 && o && o->privileges)
		rc = k42_sc_proc_privileges((uint64_t)pid, o->privileges) < 0 ? -K42_EPERM : 0;
	if (rc == 0 && o && o->quota_percent)
		rc = set_quota((uint64_t)pid, o->quota_percent);
	for (int i = 0; rc == 0 && g && i < K42_DEV_GRANTS && g->devices[i]; i++)
		rc = k42_sc_dev_grant((uint64_t)pid, g->devices[i]) < 0 ? -K42_EPERM : 0;
	if (rc == 0 && g && g->cred)
		rc = k42_sc_proc_cred((uint64_t)pid, g->uid, g->gid);
	if (rc == 0)
		rc = k42_sc_proc_start(pid, img.entry, sp, arg);
	if (rc < 0) {
		k42_sc_proc_kill(pid);
		return rc;
	}
	return pid;
}

long k42_spawn(const void *elf, uint64_t len, const char *name, unsigned prio, uint64_t arg)
{
	return spawn(elf, len, name, prio, arg, NULL, NULL);
}

long k42_spawn_ex(const void *elf, uint64_t len, const char *name, const struct k42_spawn_opts *o)
{
	return spawn(elf, len, name, o->prio, 0, o, NULL);
}

long k42_spawn_ex_grant(const void *elf, uint64_t len, const char *name,
			const struct k42_spawn_opts *o, const struct k42_spawn_grant *g)
{
	return spawn(elf, len, name, o->prio, 0, o, g);
}

long k42_spawn_image_argv(const void *elf, uint64_t len, const char *name,
			  const char *const argv[], unsigned prio, uint64_t name_server_pid)
{
	struct k42_spawn_opts o = { argv, prio, name_server_pid, 0, 0, 0 };

	return spawn(elf, len, name, prio, 0, &o, NULL);
}

int k42_initrd_find(const char *name, const void **data, uint64_t *size)
{
	struct cpio_entry e;
	int rc;

	if (!k42_initrd_size)
		return -K42_ENOENT;
	rc = cpio_find((const void *)K42_INITRD_VA, k42_initrd_size, name, &e, NULL);
	if (rc < 0)
		return rc;
	*data = e.data;
	*size = e.size;
	return 0;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * The image of boot-archive program `path`: from the archive itself when
 * it is shared with us (init, and what init starts with
 * K42_SPAWN_SHARE_ARCHIVE), else read from the file server, so a program
 * started from the shell can start its partners too. *copy is set to what
 * the caller frees.
 */
static long archive_image(const char *path, const void **data, uint64_t *size, void **copy)
{
	long rc = k42_initrd_find(path, data, size);

	*copy = NULL;
	if (rc == 0)
		return 0;
	if (k42_name_server && k42_file_load(path, copy, size) == 0) {
		*data = *copy;
		return 0;
	}
	k42_printf("k42_spawn: %s: not in the boot archive\n", path);
	return rc;
}

long k42_spawn_path_grant(const char *path, const struct k42_spawn_opts *o,
			  const struct k42_spawn_grant *g)
{
	const void *data;
	uint64_t size;
	void *copy;
	long rc = archive_image(path, &data, &size, &copy);

	if (rc < 0)
		return rc;
	rc = spawn(data, size, basename_of(path), o->prio, 0, o, g);
	free(copy);
	return rc;
}

long k42_spawn_path_ex(const char *path, const struct k42_spawn_opts *o)
{
	return k42_spawn_path_grant(path, o, NULL);
}

long k42_spawn_path(const char *path, unsigned prio, uint64_t arg)
{
	const void *data;
	uint64_t size;
	void *copy;
	long rc = archive_image(path, &data, &size, &copy);

	if (rc < 0)
		return rc;
	rc = k42_spawn(data, size, basename_of(path), prio, arg);
	free(copy);
	return rc;
}

long k42_spawn_argv(const char *path, const char *const argv[], unsigned prio,
		    uint64_t name_server_pid)
{
	struct k42_spawn_opts o = { argv, prio, name_server_pid, 0, 0, 0 };

	return k42_spawn_path_ex(path, &o);
}

uint64_t k42_initrd_bytes(void)
{
	return k42_initrd_size;
}

static int ended(uint64_t pid, int *status, long *st)
{
	uint64_t out[1];

	*st = k42_sc_proc_status(pid, out);
	if (*st < 0 || *st >= K42_PROC_EXITED) {
		if (status && *st >= 0)
			*status = (int)out[0];
		return 1;
	}
	return 0;
}

int k42_wait(uint64_t pid, int *status)
{
	long st;

	for (;;) {
		int s;

		if (ended(pid, status, &st))
			return (int)st;
		/* Wait disabled, so the child's K42_SOFTINTR_CHILD cannot slip by:
		 * a thread waits in the scheduler, handler code in the kernel. */
		s = k42_disable_save();
		if (k42_current && !k42_in_handler) {
			/* Checked under the lock the drain (on dispatcher 0,
			 * maybe another CPU) takes to wake child waiters. */
			k42_spin_lock(&k42_sync_lock);
			if (!ended(pid, status, &st)) {
				k42_current->wnext = k42_child_waiters;
				k42_child_waiters = k42_current;
				k42_thread_block_unlock(K42_WAIT_EVENT, &k42_sync_lock);
			} else {
				k42_spin_unlock(&k42_sync_lock);
			}
		} else if (!ended(pid, status, &st)) {
			k42_sc_block();
			if (k42_disp()->pending & K42_SOFTINTR_CHILD) {
				__atomic_and_fetch(&k42_disp()->pending, ~K42_SOFTINTR_CHILD,
						   __ATOMIC_ACQ_REL);
				k42_wake_list(&k42_child_waiters);
			}
		}
		k42_restore(s);
		if (st < 0 || st >= K42_PROC_EXITED)
			return (int)st;
	}
}

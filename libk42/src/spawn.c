/*
 * The program loader: makes a process from an ELF image with kernel calls
 * (proc_create, mem_map_anon, mem_write, mem_protect, proc_start). The
 * image is checked completely before anything is created. k42_wait lets
 * the process's other threads run while one waits for a child.
 */
#include <string.h>
#include <k42/k42.h>
#include "internal.h"
#include <kern/cpio.h>
#include <lib/elf.h>

extern uint64_t k42_initrd_size;

long k42_spawn(const void *elf, uint64_t len, const char *name, unsigned prio, uint64_t arg)
{
	struct elf_image img;
	const char *why;
	long pid, rc;

	rc = elf_check(elf, len, K42_USER_BASE, K42_STACK_TOP - K42_STACK_SIZE, &img, &why);
	if (rc < 0) {
		k42_printf("k42_spawn: %s: %s\n", name, why);
		return rc;
	}
	pid = k42_sc_proc_create((uint64_t)name, strlen(name), prio);
	if (pid < 0)
		return pid;
	for (int i = 0; i < img.nseg && rc == 0; i++) {
		const struct elf_segment *s = &img.seg[i];

		rc = k42_sc_mem_map_anon(pid, s->vaddr, s->memsz, K42_PROT_READ | K42_PROT_WRITE);
		if (rc == 0 && s->filesz)
			rc = k42_sc_mem_write(pid, s->file_vaddr, (uint64_t)elf + s->offset, s->filesz);
		if (rc == 0)
			rc = k42_sc_mem_protect(pid, s->vaddr, s->memsz, s->prot);
	}
	if (rc == 0)
		rc = k42_sc_mem_map_anon(pid, K42_STACK_TOP - K42_STACK_SIZE, K42_STACK_SIZE,
					 K42_PROT_READ | K42_PROT_WRITE);
	if (rc == 0)
		rc = k42_sc_proc_start(pid, img.entry, K42_STACK_TOP, arg);
	if (rc < 0) {
		k42_sc_proc_kill(pid);
		return rc;
	}
	return pid;
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

long k42_spawn_path(const char *path, unsigned prio, uint64_t arg)
{
	const void *data;
	uint64_t size;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int rc = k42_initrd_find(path, &data, &size);

	if (rc < 0) {
		k42_printf("k42_spawn: %s: not in the boot archive\n", path);
		return rc;
	}
	return k42_spawn(data, size, name, prio, arg);
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
		if (!ended(pid, status, &st)) {
			if (k42_current && !k42_in_handler) {
				k42_current->wnext = k42_child_waiters;
				k42_child_waiters = k42_current;
				k42_thread_block_self(K42_WAIT_EVENT);
			} else {
				k42_sc_block();
				if (k42_disp()->pending & K42_SOFTINTR_CHILD) {
					__atomic_and_fetch(&k42_disp()->pending, ~K42_SOFTINTR_CHILD,
							   __ATOMIC_ACQ_REL);
					k42_wake_list(&k42_child_waiters);
				}
			}
		}
		k42_restore(s);
		if (st < 0 || st >= K42_PROC_EXITED)
			return (int)st;
	}
}

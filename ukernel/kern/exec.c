/*
 * init from the boot archive (see kern/exec.h). init gets the archive
 * mapped read-only at K42_INITRD_VA, r3 = that address, r4 = its size, and
 * r5 = its own arguments (what followed "--" in the boot arguments) as a
 * string at the top of its stack, or 0.
 */
#include <string.h>
#include <arch/context.h>
#include <k42/errno.h>
#include <k42/privilege.h>
#include <k42/layout.h>
#include <kern/disp_fast.h>
#include <kern/exec.h>
#include <kern/initrd.h>
#include <kern/printk.h>
#include <kern/process.h>
#include <kern/sched.h>
#include <lib/elf.h>
#include <mm/fcm.h>
#include <mm/pm.h>
#include <mm/region.h>
#include <mm/usercopy.h>

uint32_t init_pid;

static int map_anon(struct process *p, uint64_t va, uint64_t len, unsigned prot)
{
	struct fcm *f = fcm_anon_create();
	int rc;

	if (!f)
		return -K42_ENOMEM;
	rc = region_create(p, va, len, prot, f, 0);
	fcm_put(f);
	return rc;
}

static int load_segments(struct process *p, const struct elf_image *img, const uint8_t *file)
{
	int rc;

	for (int i = 0; i < img->nseg; i++) {
		const struct elf_segment *s = &img->seg[i];
		struct region *r;

		/* Writable while loading, then the segment's own rights. */
		if ((rc = map_anon(p, s->vaddr, s->memsz, K42_PROT_READ | K42_PROT_WRITE)) < 0 ||
		    (rc = copy_to_user(p, s->file_vaddr, file + s->offset, s->filesz)) < 0)
			return rc;
		r = region_find(p, s->vaddr);
		r->prot = s->prot;
		region_unmap_pages(p, r);
	}
	return 0;
}

int exec_init(const char *path, const char *args, const struct bootinfo *bi)
{
	struct cpio_entry e;
	struct elf_image img;
	struct process *p;
	struct fcm *rd;
	const char *why, *name;
	uint64_t rd_pages, args_va, sp;
	int rc;

	if ((rc = initrd_find(path, &e)) < 0) {
		kprintf("k42: cannot start init: %s is not in the boot archive\n", path);
		return rc;
	}
	if ((rc = elf_check(e.data, e.size, K42_USER_BASE, K42_STACK_TOP - K42_STACK_SIZE, &img,
			    &why)) < 0) {
		kprintf("k42: cannot start init: %s: %s\n", path, why);
		return rc;
	}
	name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	p = process_create(name, 0, K42_PRIO_SYSTEM);
	if (!p)
		return -K42_ENOMEM;
	rc = load_segments(p, &img, e.data);
	if (rc == 0)
		rc = map_anon(p, K42_STACK_TOP - K42_STACK_SIZE, K42_STACK_SIZE,
			      K42_PROT_READ | K42_PROT_WRITE);
	rd_pages = ((bi->initrd_end - bi->initrd_start) + PM_PAGE_SIZE - 1) / PM_PAGE_SIZE;
	if (rc == 0 && (bi->initrd_start % PM_PAGE_SIZE) == 0 && rd_pages) {
		rd = fcm_phys_create(bi->initrd_start, rd_pages, 0);
		rc = rd ? region_create(p, K42_INITRD_VA, rd_pages * PM_PAGE_SIZE, K42_PROT_READ, rd, 0)
			: -K42_ENOMEM;
		if (rd)
			fcm_put(rd);
	}
	if (rc < 0) {
		kprintf("k42: cannot start init: loading %s failed (error %d)\n", path, rc);
		process_end(p, K42_PROC_KILLED, -1, NULL);
		return rc;
	}
	/* init's arguments go at the top of its stack, NUL-terminated. */
	args_va = 0;
	sp = K42_STACK_TOP;
	if (args && *args) {
		size_t n = strlen(args) + 1;

		args_va = (K42_STACK_TOP - n) & ~15ul;
		sp = args_va;
		if (copy_to_user(p, args_va, args, n) < 0)
			args_va = 0;
	}
	ctx_set_entry(&p->disp.ctx, &p->disp, img.entry, sp);
	ctx_set_result(&p->disp.ctx, 0, K42_INITRD_VA);
	ctx_set_result(&p->disp.ctx, 1, bi->initrd_end - bi->initrd_start);
	ctx_set_result(&p->disp.ctx, 2, args_va);
	p->disp.has_ctx = 1;
	p->state = K42_PROC_RUNNING;
	disp_fast_sync(&p->disp, FAST_OFF_ALL);	/* (its only dispatcher yet) */
	p->disp.state = DS_READY;
	sched_enqueue(&p->disp);
	init_pid = p->pid;
	p->privileges = K42_PRIV_ALL;	/* trusted: it hands them on per its configuration */
	p->dev_grants[0] = K42_DEV_ANY;	/* and the devices, per entry (devices=) */
	return 0;
}

/*
 * Boot archive checks at boot (see kern/initrd.h).
 */
#include <arch/memlayout.h>
#include <k42/errno.h>
#include <kern/initrd.h>
#include <kern/printk.h>

static const void *archive;
static size_t archive_len;

int initrd_check(const struct bootinfo *bi, int verbose)
{
	struct cpio_iter it;
	struct cpio_entry e;
	uint64_t files = 0, bytes = 0;
	int rc;

	if (!bi->has_initrd) {
		kprintf("k42: no boot archive (initrd) was given; nothing to start\n");
		return -K42_ENOENT;
	}
	if (bi->initrd_end == bi->initrd_start) {
		kprintf("k42: boot archive is empty\n");
		return -K42_EINVAL;
	}
	cpio_iter_init(&it, phys_to_virt(bi->initrd_start), bi->initrd_end - bi->initrd_start);
	while ((rc = cpio_next(&it, &e)) > 0) {
		files++;
		bytes += e.size;
		if (verbose)
			kprintf("k42: initrd: %06o %8lu %s\n", e.mode, e.size, e.name);
	}
	if (rc < 0) {
		kprintf("k42: boot archive rejected: %s (at byte %zu of %lu)\n", it.why, it.off,
			bi->initrd_end - bi->initrd_start);
		return rc;
	}
	archive = phys_to_virt(bi->initrd_start);
	archive_len = bi->initrd_end - bi->initrd_start;
	kprintf("k42: boot archive: %lu files, %lu KiB\n", files, bytes >> 10);
	return 0;
}

int initrd_find(const char *name, struct cpio_entry *e)
{
	if (!archive)
		return -K42_ENOENT;
	return cpio_find(archive, archive_len, name, e, NULL);
}

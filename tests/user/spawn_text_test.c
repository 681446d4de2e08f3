/*
 * A program's text comes out of the boot archive copy-on-write (libk42's
 * spawn.c, rootfs/mkinitrd.py), run as init at one CPU: a child spawned
 * from the archive takes nearly its whole text pages fewer frames than
 * the same image spawned from a copy on our heap, and a child that makes
 * its own text writable and writes it gets a private copy: the archive
 * and a sibling running the same program still read the original bytes.
 * Modes (the argument): 0 the test, 1 the writer, 2 a child that sleeps.
 */
#include <string.h>
#include <k42/k42.h>
#include "check.h"

#define SELF "tests/spawn_text_test"
#define WRITER_OK 5
#define MAGIC 0x5e1f5e1f5e1f5e1full

/* The word the writer overwrites (in its own copy of the page only). */
__attribute__((noinline)) static uint64_t spawn_text_victim(uint64_t x)
{
	return x * 3 + 1;
}

static int writer(void)
{
	uint64_t va = (uint64_t)(uintptr_t)&spawn_text_victim, page = va & ~(uint64_t)(K42_PAGE_SIZE - 1);
	volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)va;

	if (k42_sc_mem_protect(k42_info(K42_INFO_PID), page, K42_PAGE_SIZE,
			       K42_PROT_READ | K42_PROT_WRITE | K42_PROT_EXEC) != 0)
		return 1;
	*w = MAGIC;
	return *w == MAGIC ? WRITER_OK : 2;
}

/* The first read-execute PT_LOAD of image: its vaddr and file offset,
 * and how many whole pages of file bytes it has; 0 if none. */
static uint64_t text_of(const uint8_t *elf, uint64_t *vaddr, uint64_t *off)
{
	uint64_t phoff, ph;
	uint16_t phnum, phentsize;

	memcpy(&phoff, elf + 0x20, 8);
	memcpy(&phentsize, elf + 0x36, 2);
	memcpy(&phnum, elf + 0x38, 2);
	for (unsigned i = 0; i < phnum; i++) {
		uint32_t type, flags;
		uint64_t filesz;

		ph = phoff + (uint64_t)i * phentsize;
		memcpy(&type, elf + ph, 4);
		memcpy(&flags, elf + ph + 4, 4);
		if (type != 1 || (flags & 3) != 1)	/* PT_LOAD, PF_X without PF_W */
			continue;
		memcpy(off, elf + ph + 8, 8);
		memcpy(vaddr, elf + ph + 16, 8);
		memcpy(&filesz, elf + ph + 32, 8);
		return filesz / K42_PAGE_SIZE;
	}
	return 0;
}

static void end_child(long pid)
{
	int status;

	EXPECT(k42_sc_proc_kill((uint64_t)pid) == 0, "kill %ld", pid);
	EXPECT(k42_wait((uint64_t)pid, &status) == K42_PROC_KILLED, "wait %ld", pid);
}

int main(uint64_t arg)
{
	const void *image;
	uint64_t size, vaddr = 0, off = 0, pages, f0, f1, f2, victim, orig, seen = 0;
	long a, b, w;
	void *copy;
	int status = -1;

	if (arg == 1)
		return writer();
	if (arg == 2) {
		k42_thread_sleep_us(60 * 1000 * 1000);
		return 0;
	}
	if (k42_initrd_find(SELF, &image, &size) != 0 || !(pages = text_of(image, &vaddr, &off))) {
		EXPECT(0, "our image and its text in the archive");
		return verdict("spawn_text_test");
	}
	EXPECT(((uint64_t)(uintptr_t)image & (K42_PAGE_SIZE - 1)) == 0,
	       "the archive holds our image at a page (%p)", image);
	copy = malloc(size);
	EXPECT(copy != NULL, "a copy of our image");
	if (!copy)
		return verdict("spawn_text_test");
	memcpy(copy, image, size);

	/* Frames: the same program, from the archive and from the copy,
	 * each given time to run into its sleep; one of each first, so
	 * what a first spawn sets up once (the archive's COW layer, kernel
	 * memory) is not counted. */
	end_child(k42_spawn_path(SELF, K42_PRIO_GENERAL, 2));
	end_child(k42_spawn(copy, size, "spawn_text_copy", K42_PRIO_GENERAL, 2));
	settle_deferred(30);
	f0 = k42_info(K42_INFO_FREE_FRAMES);
	a = k42_spawn_path(SELF, K42_PRIO_GENERAL, 2);
	k42_thread_sleep_us(300 * 1000);
	f1 = k42_info(K42_INFO_FREE_FRAMES);
	b = k42_spawn(copy, size, "spawn_text_copy", K42_PRIO_GENERAL, 2);
	k42_thread_sleep_us(300 * 1000);
	f2 = k42_info(K42_INFO_FREE_FRAMES);
	EXPECT(a > 0 && b > 0, "spawn: %ld, %ld", a, b);
	k42_printf("spawn_text_test: %lu whole text pages; frames taken from the archive %ld, "
		   "from a copy %ld\n", pages, (long)(f0 - f1), (long)(f1 - f2));
	/* Without sharing the two cost the same; with it the archive's
	 * child saves its text frames, less what mapping through a COW
	 * layer costs in kernel memory (5 frames of 49 pages here). */
	EXPECT((long)(f1 - f2) - (long)(f0 - f1) >= (long)(pages * 3 / 4),
	       "the archive's child took %ld frames, the copy's %ld: not 3/4 of %lu text pages fewer",
	       (long)(f0 - f1), (long)(f1 - f2), pages);

	/* A writer changes only its own copy of its text. */
	victim = (uint64_t)(uintptr_t)&spawn_text_victim;
	memcpy(&orig, (const uint8_t *)image + off + (victim - vaddr), 8);
	w = k42_spawn_path(SELF, K42_PRIO_GENERAL, 1);
	EXPECT(w > 0 && k42_wait((uint64_t)w, &status) == K42_PROC_EXITED && status == WRITER_OK,
	       "the writer: pid %ld, status %d", w, status);
	EXPECT(memcmp(&orig, (const uint8_t *)image + off + (victim - vaddr), 8) == 0,
	       "the archive's bytes changed");
	EXPECT(a > 0 && k42_sc_mem_read((uint64_t)a, victim, (uint64_t)(uintptr_t)&seen, 8) == 0 &&
	       seen == orig, "a sibling's text changed: %lx, %lx in the archive", seen, orig);
	EXPECT(spawn_text_victim(4) == 13, "our own text");
	k42_printf("spawn_text_test: the writer wrote its own copy; archive and sibling unchanged\n");
	if (a > 0)
		end_child(a);
	if (b > 0)
		end_child(b);
	free(copy);
	return verdict("spawn_text_test");
}

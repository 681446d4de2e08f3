/*
 * Host test of the ELF checker (lib/elf.c): a real program from the build
 * must pass; every truncation of it and a table of forged headers must be
 * refused with a reason (ASan catches any read outside the image).
 *
 * usage: test_elf PROGRAM.elf
 */
#include <stdlib.h>
#include <string.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <lib/elf.h>
#include "check.h"

static int check(const uint8_t *img, size_t len, const char **why)
{
	struct elf_image out;
	uint8_t *copy = malloc(len ? len : 1);	/* exact size: ASan sees overreads */
	int rc;

	memcpy(copy, img, len);
	rc = elf_check(copy, len, K42_USER_BASE, K42_STACK_TOP - K42_STACK_SIZE, &out, why);
	free(copy);
	return rc;
}

static void forge(const uint8_t *img, size_t len, size_t off, const void *val, size_t n,
		  const char *expect)
{
	uint8_t *copy = malloc(len);
	const char *why = NULL;
	int rc;

	memcpy(copy, img, len);
	memcpy(copy + off, val, n);
	rc = check(copy, len, &why);
	CHECK(rc == -K42_ENOEXEC && why && strstr(why, expect), "forged @%zu: rc %d why '%s', want '%s'",
	      off, rc, why ? why : "", expect);
	free(copy);
}

/* Is a copy of exactly len bytes a k42 program (ASan sees overreads)? */
static int is_k42(const uint8_t *img, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, img, len);
	r = elf_is_k42_program(copy, len);
	free(copy);
	return r;
}

/* The k42 program note (libk42's crt0.S): found in the real program, not
 * once its type, name or segment is changed (what a Linux program looks
 * like: no such note), and never read past a truncated image. */
static void k42_note(const uint8_t *img, size_t len, const struct elf64_ehdr *eh)
{
	uint8_t *copy = malloc(len);
	size_t note = 0;

	CHECK(is_k42(img, len), "the real program has no k42 note");
	for (int i = 0; i < eh->phnum && !note; i++) {
		struct elf64_phdr ph;

		memcpy(&ph, img + eh->phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.type == ELF_PT_NOTE)
			note = eh->phoff + (size_t)i * sizeof(ph);
	}
	CHECK(note != 0, "no PT_NOTE segment");
	if (note) {
		struct elf64_phdr ph;
		uint32_t t = 0x4c4e5800;

		memcpy(&ph, img + note, sizeof(ph));
		memcpy(copy, img, len);
		memcpy(copy + ph.offset + 8, &t, 4);
		CHECK(!is_k42(copy, len), "a note of another type taken for the k42 note");
		memcpy(copy, img, len);
		memcpy(copy + ph.offset + 12, "GNU", 4);
		CHECK(!is_k42(copy, len), "a note of another owner taken for the k42 note");
		memcpy(copy, img, len);
		t = ELF_PT_LOAD + 0x60000000;
		memcpy(copy + note, &t, 4);
		CHECK(!is_k42(copy, len), "the note found outside a PT_NOTE segment");
		memcpy(copy, img, len);
		t = 0xfffffff0;
		memcpy(copy + ph.offset, &t, 4);
		CHECK(!is_k42(copy, len), "a note with a huge name size accepted");
	}
	for (size_t cut = 0; cut < 4096 && cut < len; cut++)
		(void)is_k42(img, cut);
	free(copy);
}

int main(int argc, char **argv)
{
	struct elf_image out;
	const char *why;
	size_t len;
	uint8_t *img;
	struct elf64_ehdr eh;
	uint64_t v;
	uint16_t h;

	if (argc != 2 || !(img = read_file(argv[1], &len))) {
		fprintf(stderr, "usage: test_elf PROGRAM.elf\n");
		return 2;
	}
	CHECK(elf_check(img, len, K42_USER_BASE, K42_STACK_TOP - K42_STACK_SIZE, &out, &why) == 0,
	      "real program refused: %s", why);
	CHECK(out.nseg >= 1 && out.entry >= K42_PROGRAM_BASE, "segments %d entry %lx", out.nseg, out.entry);
	for (size_t cut = 0; cut < len; cut += (cut < 4096 ? 1 : 509)) {
		int rc = check(img, cut, &why);

		/* A prefix may still hold every segment (debug sections come last). */
		CHECK(rc == 0 || (rc == -K42_ENOEXEC && why), "truncation %zu: rc %d", cut, rc);
	}
	memcpy(&eh, img, sizeof(eh));
	forge(img, len, 0, "\177ELG", 4, "not an ELF file");
	forge(img, len, 4, "\001", 1, "64-bit little-endian");
	h = 62;
	forge(img, len, offsetof(struct elf64_ehdr, machine), &h, 2, "PowerPC64");
	h = 3;
	forge(img, len, offsetof(struct elf64_ehdr, type), &h, 2, "static executable");
	h = 1000;
	forge(img, len, offsetof(struct elf64_ehdr, phnum), &h, 2, "program header table size");
	v = len - 8;
	forge(img, len, offsetof(struct elf64_ehdr, phoff), &v, 8, "program headers run past");
	v = 0x42;
	forge(img, len, offsetof(struct elf64_ehdr, entry), &v, 8, "entry point");
	/* The first program header's fields. */
	v = len;
	forge(img, len, eh.phoff + offsetof(struct elf64_phdr, offset), &v, 8, "segment data runs past");
	v = UINT64_MAX - 100;
	forge(img, len, eh.phoff + offsetof(struct elf64_phdr, filesz), &v, 8, "segment data runs past");
	v = 0xc000000000000000ull;
	forge(img, len, eh.phoff + offsetof(struct elf64_phdr, vaddr), &v, 8, "outside the user address range");
	v = UINT64_MAX - 10;
	forge(img, len, eh.phoff + offsetof(struct elf64_phdr, memsz), &v, 8, "");
	k42_note(img, len, &eh);
	free(img);
	return check_done("elf");
}

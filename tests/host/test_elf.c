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
	free(img);
	return check_done("elf");
}

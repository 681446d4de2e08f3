/*
 * ELF64 little-endian PowerPC executables: the structures, and a checker
 * that validates an image before anything is loaded from it (bounds of
 * every header and segment, machine, type, address ranges, entry point).
 * Pure logic, shared by the kernel (which loads init) and libk42's loader.
 */
#ifndef LIB_ELF_H
#define LIB_ELF_H

/* The note every native k42 program carries (libk42's crt0.S): name
 * "K42", this type, a 4-byte ABI version. A static ppc64le Linux program
 * has none; libk42's loader refuses it (the Linux personality, /bin/lx,
 * runs it instead). */
#define ELF_NOTE_K42_NAME "K42"
#define ELF_NOTE_K42_PROGRAM 0x4b343201u
#define ELF_NOTE_K42_VERSION 1

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define ELF_PT_LOAD 1
#define ELF_PT_NOTE 4
#define ELF_PF_X 1
#define ELF_PF_W 2
#define ELF_PF_R 4
#define ELF_MAX_SEGMENTS 16

struct elf_segment {
	uint64_t vaddr, memsz;		/* page-rounded region */
	uint64_t file_vaddr;		/* where the file bytes go */
	uint64_t offset, filesz;
	unsigned prot;			/* K42_PROT_* */
};

struct elf_image {
	uint64_t entry;
	int nseg;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

/*
 * Check the image and describe its loadable segments (page-rounded; two
 * segments may not share a page) within [lo, hi). 0, or -K42_ENOEXEC with *why.
 */
int elf_check(const void *image, size_t len, uint64_t lo, uint64_t hi, struct elf_image *out,
	      const char **why);

/* 1 if an image elf_check accepted carries the k42 program note in a
 * PT_NOTE segment, else 0. */
int elf_is_k42_program(const void *image, size_t len);

#endif /* !__ASSEMBLER__ */
#endif

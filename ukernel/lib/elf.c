/*
 * ELF executable checker (see lib/elf.h).
 */
#include <string.h>
#include <k42/errno.h>
#include <k42/layout.h>
#include <lib/elf.h>

#define EM_PPC64 21
#define ET_EXEC 2
#define PAGE 4096ull

static int fail(const char **why, const char *msg)
{
	*why = msg;
	return -K42_ENOEXEC;
}

static unsigned prot_of(uint32_t f)
{
	return ((f & ELF_PF_R) ? K42_PROT_READ : 0) | ((f & ELF_PF_W) ? K42_PROT_WRITE : 0) |
	       ((f & ELF_PF_X) ? K42_PROT_EXEC : 0);
}

int elf_check(const void *image, size_t len, uint64_t lo, uint64_t hi, struct elf_image *out,
	      const char **why)
{
	const uint8_t *b = image;
	struct elf64_ehdr eh;
	int entry_ok = 0;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(eh))
		return fail(why, "shorter than an ELF header");
	memcpy(&eh, b, sizeof(eh));
	if (memcmp(eh.ident, "\177ELF", 4) != 0)
		return fail(why, "not an ELF file");
	if (eh.ident[4] != 2 || eh.ident[5] != 1)
		return fail(why, "not a 64-bit little-endian ELF file");
	if (eh.machine != EM_PPC64)
		return fail(why, "not a PowerPC64 executable");
	if (eh.type != ET_EXEC)
		return fail(why, "not a static executable (ET_EXEC)");
	if (eh.phentsize != sizeof(struct elf64_phdr) || eh.phnum == 0 || eh.phnum > 64)
		return fail(why, "bad program header table size");
	if (eh.phoff > len || (len - eh.phoff) / sizeof(struct elf64_phdr) < eh.phnum)
		return fail(why, "program headers run past the end of the file");
	for (int i = 0; i < eh.phnum; i++) {
		struct elf64_phdr ph;
		struct elf_segment s;
		uint64_t end;

		memcpy(&ph, b + eh.phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.type != ELF_PT_LOAD || ph.memsz == 0)
			continue;
		if (ph.offset > len || ph.filesz > len - ph.offset)
			return fail(why, "segment data runs past the end of the file");
		if (ph.filesz > ph.memsz)
			return fail(why, "segment file size exceeds its memory size");
		end = ph.vaddr + ph.memsz;
		if (end < ph.vaddr || ph.vaddr < lo || end > hi)
			return fail(why, "segment outside the user address range");
		s.vaddr = ph.vaddr & ~(PAGE - 1);
		s.memsz = ((end + PAGE - 1) & ~(PAGE - 1)) - s.vaddr;
		s.file_vaddr = ph.vaddr;
		s.offset = ph.offset;
		s.filesz = ph.filesz;
		s.prot = prot_of(ph.flags);
		if (!s.prot)
			return fail(why, "segment with no access rights");
		if (eh.entry >= ph.vaddr && eh.entry < end && (ph.flags & ELF_PF_X))
			entry_ok = 1;
		for (int j = 0; j < out->nseg; j++) {
			struct elf_segment *o = &out->seg[j];

			if (s.vaddr < o->vaddr + o->memsz && o->vaddr < s.vaddr + s.memsz)
				return fail(why, "segments overlap in memory");
		}
		if (out->nseg == ELF_MAX_SEGMENTS)
			return fail(why, "too many loadable segments");
		out->seg[out->nseg++] = s;
	}
	if (out->nseg == 0)
		return fail(why, "no loadable segments");
	if (!entry_ok)
		return fail(why, "entry point is not in an executable segment");
	out->entry = eh.entry;
	*why = NULL;
	return 0;
}

/* Notes: 4-byte namesz, descsz, type, then the name and the descriptor,
 * each padded to 4 bytes (ELF64 notes of GNU ld and the ppc64 ABI). */
int elf_is_k42_program(const void *image, size_t len)
{
	const uint8_t *b = image;
	struct elf64_ehdr eh;

	if (len < sizeof(eh))
		return 0;
	memcpy(&eh, b, sizeof(eh));
	if (eh.phentsize != sizeof(struct elf64_phdr) || eh.phoff > len ||
	    (len - eh.phoff) / sizeof(struct elf64_phdr) < eh.phnum)
		return 0;
	for (int i = 0; i < eh.phnum; i++) {
		struct elf64_phdr ph;
		uint64_t at, end;

		memcpy(&ph, b + eh.phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.type != ELF_PT_NOTE || ph.offset > len || ph.filesz > len - ph.offset)
			continue;
		for (at = ph.offset, end = ph.offset + ph.filesz; end - at >= 12;) {
			uint32_t w[3];
			uint64_t name, desc, next;

			memcpy(w, b + at, sizeof(w));
			name = ((uint64_t)w[0] + 3) & ~3ull;
			desc = ((uint64_t)w[1] + 3) & ~3ull;
			if (name > end - at - 12 || desc > end - at - 12 - name)
				break;
			next = at + 12 + name + desc;
			if (w[2] == ELF_NOTE_K42_PROGRAM && w[0] == sizeof(ELF_NOTE_K42_NAME) &&
			    memcmp(b + at + 12, ELF_NOTE_K42_NAME, sizeof(ELF_NOTE_K42_NAME)) == 0)
				return 1;
			at = next;
		}
	}
	return 0;
}

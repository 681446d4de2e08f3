/*
 * File-server client helpers over the generated file.idl stubs: load a
 * whole file from the server registered as "files", and spawn a program
 * from it (the way every process but init starts programs).
 */
#include <string.h>
#include <k42/k42.h>
#include "file.h"

long k42_file_load(const char *path, void **data, uint64_t *size)
{
	struct file_stat st;
	uint64_t fs, f, off = 0;
	uint8_t *buf;
	long rc;

	if ((rc = k42_name_lookup("files", &fs, NULL)) < 0)
		return rc;
	if ((rc = file_open(fs, path, &f)) < 0)
		return rc;
	rc = file_stat(fs, f, &st);
	if (rc == 0 && st.kind != FILE_KIND_REGULAR)
		rc = -K42_EISDIR;
	buf = rc == 0 ? malloc(st.size ? st.size : 1) : NULL;
	if (rc == 0 && !buf)
		rc = -K42_ENOMEM;
	while (rc == 0 && off < st.size) {
		uint64_t want = st.size - off < FILE_IO_MAX ? st.size - off : FILE_IO_MAX;
		uint32_t got = 0;

		rc = file_read(fs, f, off, (uint32_t)want, buf + off, (uint32_t)want, &got);
		if (rc == 0 && got == 0)
			rc = -K42_EIO;	/* the file shrank under us: it cannot */
		off += got;
	}
	/* One-way: only a full message ring refuses it, and then the handle
	 * lives until the server ends; the data we read is good either way. */
	if (file_close(fs, f) < 0)
		k42_printf("k42_file_load: %s: close refused\n", path);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*data = buf;
	*size = st.size;
	return 0;
}

long k42_spawn_file(const char *path, const char *const argv[], unsigned prio)
{
	const char *slash = strrchr(path, '/');
	void *elf;
	uint64_t len;
	long rc = k42_file_load(path, &elf, &len);

	if (rc < 0)
		return rc;
	rc = k42_spawn_image_argv(elf, len, slash ? slash + 1 : path, argv, prio, k42_name_server);
	free(elf);
	return rc;
}

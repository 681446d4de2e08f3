/*
 * Host test of the boot-archive reader (kern/cpio.c): archives built here
 * in cpio newc format, one made by cpio(1) when given on the command line,
 * and every truncation and many corruptions of them (under ASan: any read
 * past the buffer fails the test).
 */
#include <stdlib.h>
#include <string.h>
#include <k42/errno.h>
#include <kern/cpio.h>
#include "check.h"

static size_t add(unsigned char *buf, size_t off, const char *name, const char *data,
		  unsigned mode)
{
	size_t nlen = strlen(name) + 1, dlen = data ? strlen(data) : 0;

	off += (size_t)sprintf((char *)buf + off,
			       "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
			       1u, mode, 0u, 0u, 1u, 0u, dlen, 0u, 0u, 0u, 0u, nlen, 0u);
	memcpy(buf + off, name, nlen);
	off += nlen;
	while (off % 4)
		buf[off++] = 0;
	if (dlen)
		memcpy(buf + off, data, dlen);
	off += dlen;
	while (off % 4)
		buf[off++] = 0;
	return off;
}

static int walk(const unsigned char *a, size_t len, int *files)
{
	struct cpio_iter it;
	struct cpio_entry e;
	int rc;

	*files = 0;
	cpio_iter_init(&it, a, len);
	while ((rc = cpio_next(&it, &e)) > 0)
		(*files)++;
	if (rc < 0)
		CHECK(it.why != NULL, "error without a reason");
	return rc;
}

static void mutate_all(const unsigned char *a, size_t len)
{
	int files;

	for (size_t cut = 0; cut < len; cut++) {
		unsigned char *copy = malloc(cut ? cut : 1);

		memcpy(copy, a, cut);
		CHECK(walk(copy, cut, &files) < 0, "truncation at %zu accepted", cut);
		free(copy);
	}
	for (size_t i = 0; i < len; i++) {
		for (int v = 0; v < 4; v++) {
			static const unsigned char vals[] = { 0, 'f', 'z', 0xff };
			unsigned char *copy = malloc(len);

			memcpy(copy, a, len);
			copy[i] = vals[v];
			(void)walk(copy, len, &files);	/* any verdict, but no bad read */
			free(copy);
		}
	}
}

int main(int argc, char **argv)
{
	static unsigned char a[4096];
	struct cpio_entry e;
	const char *why;
	size_t len = 0;
	int files;

	len = add(a, len, ".", NULL, 0040755);
	len = add(a, len, "init", "\177ELF-not-really", 0100755);
	len = add(a, len, "etc/boot.conf", "server name\n", 0100644);
	len = add(a, len, "TRAILER!!!", NULL, 0);

	CHECK(walk(a, len, &files) == 0 && files == 3, "walk: %d files", files);
	CHECK(cpio_find(a, len, "/init", &e, &why) == 0 && e.size == 15 &&
	      memcmp(e.data, "\177ELF", 4) == 0 && e.mode == 0100755, "find /init");
	CHECK(cpio_find(a, len, "./etc/boot.conf", &e, &why) == 0 && e.size == 12, "find ./etc");
	CHECK(cpio_find(a, len, "nope", &e, &why) == -K42_ENOENT && strcmp(why, "not in the archive") == 0,
	      "missing file");
	memcpy(a, "070707", 6);
	CHECK(walk(a, len, &files) < 0, "old binary magic accepted");
	CHECK(cpio_find(a, len, "init", &e, &why) == -K42_EINVAL && strstr(why, "magic"),
	      "bad magic reason: %s", why);
	memcpy(a, "070701", 6);
	mutate_all(a, len);

	if (argc > 1) {
		size_t rlen;
		unsigned char *real = read_file(argv[1], &rlen);

		CHECK(real != NULL, "cannot read %s", argv[1]);
		if (real) {
			CHECK(walk(real, rlen, &files) == 0 && files >= 1, "real archive: rc, %d files", files);
			CHECK(cpio_find(real, rlen, "hello.txt", &e, &why) == 0 && e.size == 6 &&
			      memcmp(e.data, "hello\n", 6) == 0, "hello.txt in real archive");
			free(real);
		}
	}
	return check_done("cpio");
}

/*
 * cpio newc archive reader (see kern/cpio.h). Pure logic, host-tested with
 * archives made by cpio(1) and with truncated and corrupted copies.
 */
#include <string.h>
#include <k42/errno.h>
#include <kern/cpio.h>

#define HDR_LEN 110
#define FIELD(i) (6 + 8 * (i))
enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE, F_DEVMAJ,
       F_DEVMIN, F_RDEVMAJ, F_RDEVMIN, F_NAMESIZE, F_CHECK };

static int hex8(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		uint8_t c = p[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = (v << 4) | d;
	}
	*out = v;
	return 0;
}

static size_t align4(size_t v)
{
	return (v + 3) & ~(size_t)3;
}

void cpio_iter_init(struct cpio_iter *it, const void *archive, size_t len)
{
	it->base = archive;
	it->len = len;
	it->off = 0;
	it->why = NULL;
}

static int fail(struct cpio_iter *it, const char *why)
{
	it->why = why;
	return -K42_EINVAL;
}

int cpio_next(struct cpio_iter *it, struct cpio_entry *e)
{
	const uint8_t *h;
	uint32_t f[13];
	size_t name_off, data_off, end;

	if (it->why)
		return -K42_EINVAL;	/* stays failed */
	if (it->len - it->off < HDR_LEN)
		return fail(it, it->off == 0 ? "archive is shorter than one header"
					     : "archive ends without a TRAILER!!! entry");
	h = it->base + it->off;
	if (memcmp(h, "070701", 6) != 0 && memcmp(h, "070702", 6) != 0)
		return fail(it, "bad magic (not a cpio newc archive)");
	for (int i = 0; i < 13; i++)
		if (hex8(h + FIELD(i), &f[i]) < 0)
			return fail(it, "non-hex digit in header field");
	if (f[F_NAMESIZE] < 2 || f[F_NAMESIZE] > CPIO_NAME_MAX)
		return fail(it, "name size out of range");
	name_off = it->off + HDR_LEN;
	if (it->len - name_off < f[F_NAMESIZE])
		return fail(it, "name runs past the end of the archive");
	if (h[HDR_LEN + f[F_NAMESIZE] - 1] != '\0' ||
	    memchr(h + HDR_LEN, '\0', f[F_NAMESIZE] - 1) != NULL)
		return fail(it, "name is not NUL-terminated where its size says");
	data_off = align4(name_off + f[F_NAMESIZE]);
	if (data_off > it->len || it->len - data_off < f[F_FILESIZE])
		return fail(it, "file data runs past the end of the archive");
	end = align4(data_off + f[F_FILESIZE]);
	e->name = (const char *)h + HDR_LEN;
	e->data = it->base + data_off;
	e->size = f[F_FILESIZE];
	e->mode = f[F_MODE];
	if (strcmp(e->name, "TRAILER!!!") == 0)
		return 0;
	it->off = end > it->len ? it->len : end;
	return 1;
}

static const char *strip_prefix(const char *name)
{
	while (name[0] == '/' || (name[0] == '.' && name[1] == '/'))
		name += name[0] == '/' ? 1 : 2;
	return name;
}

int cpio_find(const void *archive, size_t len, const char *name, struct cpio_entry *e,
	      const char **why)
{
	struct cpio_iter it;
	int rc;

	name = strip_prefix(name);
	cpio_iter_init(&it, archive, len);
	while ((rc = cpio_next(&it, e)) > 0)
		if (strcmp(strip_prefix(e->name), name) == 0)
			return 0;
	if (why)
		*why = rc < 0 ? it.why : "not in the archive";
	return rc < 0 ? rc : -K42_ENOENT;
}

/*
 * The archive index: every cpio entry becomes a node, and every directory
 * that the paths imply but the archive does not list (mkinitrd packs only
 * files) is added, so readdir sees a tree. Built once at start; read-only
 * afterwards.
 */
#include <string.h>
#include <k42/k42.h>
#include <kern/cpio.h>
#include "files.h"

#define NODES_MAX 1024
#define CPIO_HDR 110	/* bytes of a newc header before the name */

static struct node nodes[NODES_MAX];
static int nnodes;
static char names[NODES_MAX][CPIO_NAME_MAX];	/* names of implied directories */

static const char *strip(const char *p)
{
	while (*p == '/' || (p[0] == '.' && p[1] == '/'))
		p += *p == '/' ? 1 : 2;
	return p;
}

/* A field of the newc header before `name` (8 hex digits). */
static uint32_t hdr_field(const char *name, int off)
{
	const char *h = name - CPIO_HDR + off;
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		char c = h[i];

		v = v * 16 + (uint32_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

static int find(const char *name, size_t len)
{
	for (int i = 0; i < nnodes; i++)
		if (strlen(nodes[i].name) == len && memcmp(nodes[i].name, name, len) == 0)
			return i;
	return -K42_ENOENT;
}

static void set_base(struct node *n)
{
	const char *slash = strrchr(n->name, '/');

	n->base = slash ? slash + 1 : n->name;
}

/* The node of the directory holding `name`, added (with its own parents)
 * if only implied. */
static int parent_of(const char *name)
{
	const char *slash = strrchr(name, '/');
	size_t len = slash ? (size_t)(slash - name) : 0;
	char dir[CPIO_NAME_MAX];
	int i = find(name, len), up;

	if (i >= 0)
		return i;
	if (len >= sizeof(dir))
		return -K42_E2BIG;
	memcpy(dir, name, len);
	dir[len] = 0;
	up = parent_of(dir);
	if (up < 0 || nnodes == NODES_MAX)
		return -K42_ENOSPC;
	i = nnodes++;
	memcpy(names[i], dir, len + 1);
	nodes[i] = (struct node){ .name = names[i], .parent = up };
	nodes[i].st.kind = FILE_KIND_DIRECTORY;
	nodes[i].st.mode = 0555;
	nodes[i].st.nlink = 2;
	set_base(&nodes[i]);
	return i;
}

long archive_index(const void *archive, uint64_t len)
{
	struct cpio_iter it;
	struct cpio_entry e;
	int rc;

	nodes[0] = (struct node){ .name = "", .base = "", .parent = -1 };
	nodes[0].st.kind = FILE_KIND_DIRECTORY;
	nodes[0].st.mode = 0555;
	nodes[0].st.nlink = 2;
	nnodes = 1;
	cpio_iter_init(&it, archive, len);
	while ((rc = cpio_next(&it, &e)) == 1) {
		const char *name = strip(e.name);
		uint32_t type = e.mode & CPIO_MODE_TYPE;
		int i = find(name, strlen(name)), up;

		if (!*name || !strcmp(name, "."))
			continue;
		if (i < 0) {
			up = parent_of(name);
			if (up < 0 || nnodes == NODES_MAX)
				return -K42_ENOSPC;
			i = nnodes++;
			nodes[i].parent = up;
		}
		nodes[i].name = name;
		set_base(&nodes[i]);
		nodes[i].data = e.data;
		nodes[i].size = type == CPIO_MODE_DIR ? 0 : e.size;
		nodes[i].st = (struct file_stat){
			.size = nodes[i].size,
			.ino = hdr_field(e.name, 6),
			.mtime = hdr_field(e.name, 46),
			.mode = e.mode & 07777,
			.nlink = hdr_field(e.name, 38),
			.kind = type == CPIO_MODE_DIR ? FILE_KIND_DIRECTORY :
				type == 0120000 ? FILE_KIND_SYMLINK : FILE_KIND_REGULAR,
		};
	}
	return rc < 0 ? -K42_EIO : nnodes;
}

int archive_lookup(const char *path)
{
	size_t len;

	path = strip(path);
	len = strlen(path);
	while (len && path[len - 1] == '/')
		len--;
	return len ? find(path, len) : 0;
}

struct node *archive_node(int i)
{
	return i >= 0 && i < nnodes ? &nodes[i] : NULL;
}

int archive_child(int dir, uint32_t index)
{
	for (int i = 1; i < nnodes; i++)
		if (nodes[i].parent == dir && index-- == 0)
			return i;
	return -K42_ENOENT;
}

int archive_count(void)
{
	return nnodes;
}

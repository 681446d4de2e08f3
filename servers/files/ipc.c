/*
 * The file server's IPC glue: the _impl functions the generated
 * file_dispatch calls, per-client open-file objects in libk42's object
 * table (a handle works only for the process that opened it), and the
 * kernel's page-in requests for mapped files (K42_MSG_FR_PAGEIN, answered
 * with the page in the PPC page and fr_complete).
 *
 * Everything runs on the upcall stack with upcalls disabled, one call or
 * message at a time, so nothing here needs a lock.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/obj.h>
#include "files.h"
#include "fs.h"

/* The open-file object: its node. Granted rights live in the table. */
struct open_file {
	int node;
};

static long get(const struct k42_ipc_caller *caller, k42_handle_t f, uint64_t need,
		struct node **n)
{
	void *obj;
	long rc = k42_obj_check(f, caller->pid, need, NULL, &obj);

	if (rc < 0)
		return rc;
	*n = archive_node(((struct open_file *)obj)->node);
	return 0;
}

long file_open_impl(const struct k42_ipc_caller *caller, const char *path, k42_handle_t *f)
{
	int i = archive_lookup(path);
	struct open_file *of;
	uint64_t rights = FILE_RIGHT_READ, h;

	if (i < 0)
		return i;
	if (archive_node(i)->st.kind == FILE_KIND_REGULAR)
		rights |= FILE_RIGHT_MAP;
	of = malloc(sizeof(*of));
	if (!of)
		return -K42_ENOMEM;
	of->node = i;
	h = k42_obj_grant(of, caller->pid, rights);
	if (!h) {
		free(of);
		return -K42_ENOMEM;
	}
	*f = h;
	return 0;
}

long file_read_impl(const struct k42_ipc_caller *caller, k42_handle_t f, uint64_t offset,
		    uint32_t count, uint8_t *data, uint32_t data_cap, uint32_t *data_len)
{
	struct node *n;
	long rc = get(caller, f, FILE_RIGHT_READ, &n);
	uint64_t len;

	if (rc < 0)
		return rc;
	if (n->st.kind == FILE_KIND_DIRECTORY)
		return -K42_EISDIR;
	len = offset >= n->size ? 0 : n->size - offset;
	if (len > count)
		len = count;
	if (len > data_cap)
		len = data_cap;
	memcpy(data, n->data + offset, len);
	*data_len = (uint32_t)len;
	return 0;
}

long file_stat_impl(const struct k42_ipc_caller *caller, k42_handle_t f, struct file_stat *st)
{
	struct node *n;
	long rc = get(caller, f, FILE_RIGHT_READ, &n);

	if (rc < 0)
		return rc;
	*st = n->st;
	return 0;
}

long file_readdir_impl(const struct k42_ipc_caller *caller, const char *path, uint32_t index,
		       char *entry, uint32_t entry_cap, struct file_stat *st)
{
	int dir = archive_lookup(path), i;
	struct node *n;

	(void)caller;
	if (dir < 0)
		return dir;
	if (archive_node(dir)->st.kind != FILE_KIND_DIRECTORY)
		return -K42_ENOTDIR;
	i = archive_child(dir, index);
	if (i < 0)
		return i;
	n = archive_node(i);
	if (strlen(n->base) + 1 > entry_cap)
		return -K42_E2BIG;
	memcpy(entry, n->base, strlen(n->base) + 1);
	*st = n->st;
	return 0;
}

long file_close_impl(const struct k42_ipc_caller *caller, k42_handle_t f)
{
	void *obj;
	long rc = k42_obj_check(f, caller->pid, 0, NULL, &obj);

	if (rc < 0)
		return rc;
	k42_obj_revoke(f);
	free(obj);
	return 0;
}

long file_map_impl(const struct k42_ipc_caller *caller, k42_handle_t f, uint64_t *fr,
		   uint64_t *size)
{
	struct node *n;
	long rc = get(caller, f, FILE_RIGHT_MAP, &n);

	if (rc < 0)
		return rc;
	if (!n->fr) {
		/* One FR per file, shared by every client that maps it, so
		 * the kernel caches its pages once. The file id is the node. */
		rc = k42_sc_fr_create((uint64_t)(n - archive_node(0)), n->size);
		if (rc < 0)
			return rc;
		n->fr = rc;
	}
	*fr = (uint64_t)n->fr;
	*size = n->size;
	return 0;
}

/* The kernel wants the page at w[2] of file w[1] (FR w[0]). */
static void on_message(const struct k42_msg *m)
{
	struct node *n = archive_node((int)m->w[1]);
	uint8_t *page = k42_ppc_page();
	uint64_t off = m->w[2], len;

	if (m->sender != 0 || m->op != K42_MSG_FR_PAGEIN)
		return;
	if (!n || !n->fr || (uint64_t)n->fr != m->w[0] || (off & (K42_PAGE_SIZE - 1))) {
		k42_sc_fr_complete(m->w[0], off, (uint64_t)-K42_EINVAL);
		return;
	}
	len = off >= n->size ? 0 : n->size - off;
	if (len > K42_PAGE_SIZE)
		len = K42_PAGE_SIZE;
	memcpy(page, n->data + off, len);
	memset(page + len, 0, K42_PAGE_SIZE - len);
	k42_sc_fr_complete(m->w[0], off, 0);
}

/* Every caller may open and list; each open file's handle carries its own
 * rights, checked in the _impl functions. */
static void handle(uint64_t pid, struct k42_ipc_msg *m)
{
	struct k42_ipc_caller who = { pid, 0, FILE_RIGHT_READ | FILE_RIGHT_MAP };

	if (k42_ipc_op_iface(m->op) == FS_IFACE_ID) {
		who.rights = FS_RIGHT_READ;	/* fsipc.c: the root, read-only */
		fs_dispatch(&who, m);
		return;
	}
	file_dispatch(&who, m);
}

void files_serve(void)
{
	k42_on_messages(on_message);
	k42_serve(handle);
}

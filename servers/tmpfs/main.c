/*
 * tmpfs: a writable in-memory file system served over idl/fs.idl
 * (docs/files.md). `tmpfs /tmp [BYTES]` mounts itself at /tmp (the name
 * "mnt/tmp") with a size limit; `tmpfs /dev dev` makes /dev with the
 * device nodes libk42 serves itself. Open files are objects shared by
 * every handle `share` made for them (one offset). Calls run one at a
 * time on the upcall stack (k42_serve) and never block, so nothing here
 * needs a lock. Named pipes are fifo.c's.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <k42/obj.h>
#include <k42/procinfo.h>
#include <k42/server.h>
#include <k42/services.h>
#include "fs.h"
#include "tree.h"
#include "mapped.h"
#include "fifo.h"

#define O_ACC     03
#define O_CREAT   0100
#define O_EXCL    0200
#define O_TRUNC   01000
#define O_APPEND  02000
#define O_NONBLK  04000
#define S_IFMT_   0170000
#define S_IFIFO_  0010000
#define FIFO_HOLDERS 8	/* handles tracked per fifo open; more are never reaped */
#define O_DIR     040000

struct ofile {
	struct tnode *n;
	uint64_t off;
	uint32_t flags;
	uint32_t refs;		/* handles */
	uint64_t mark;		/* a fifo: the other side's opens before ours (fifo.h) */
	/* A directory: the index a listing asks for next, the seq its
	 * entry has at least (tree.h, struct tdirent), and that of the
	 * entry it gave last (asked for again if it did not fit). */
	uint32_t dindex;
	uint64_t dseq, dfrom;
	/* A fifo's: who holds its handles (a killed holder never closes
	 * them; fifo_reap takes them back), and the list of fifo opens. */
	struct {
		k42_handle_t h;
		uint32_t pid;
	} holders[FIFO_HOLDERS];
	uint32_t nholders;
	struct ofile *next_fifo;
};

static struct ofile *fifo_opens;

static struct tfs fs;
static uint64_t tb_hz;

static uint64_t now_ns(void)
{
	uint64_t tb = k42_timebase();

	return tb / tb_hz * 1000000000ull + tb % tb_hz * 1000000000ull / tb_hz;
}

static void to_stat(const struct tnode *n, struct fs_stat *st)
{
	memset(st, 0, sizeof(*st));
	/* A directory's size: 20 bytes an entry with . and .., as Linux's
	 * tmpfs counts (ls -S, du --apparent-size agree with it). */
	st->size = n->kind == TK_DIR ? 20 * ((uint64_t)n->nents + 2) : n->size;
	st->ino = n->ino;
	st->atime = n->atime;
	st->mtime = n->mtime;
	st->ctime = n->ctime;
	st->mode = n->mode;
	st->nlink = n->nlink;
	st->rdev = n->rdev;
	st->uid = n->uid;
	st->gid = n->gid;
	st->kind = (fs_kind_t)n->kind;
	st->blocks = n->nalloc * (TFS_PAGE / 512);	/* directories and links: 0, as Linux's tmpfs */
}

K42_SERVER_GET(get, struct ofile, 0)

void tfifo_notify(uint32_t pid)
{
	(void)k42_io_notify(pid);
}

static void holder_add(struct ofile *of, k42_handle_t h, uint32_t pid)
{
	if (of->n->kind == TK_FIFO && of->nholders < FIFO_HOLDERS) {
		of->holders[of->nholders].h = h;
		of->holders[of->nholders].pid = pid;
		of->nholders++;
	}
}

static void holder_drop(struct ofile *of, k42_handle_t h)
{
	for (uint32_t i = 0; i < of->nholders; i++)
		if (of->holders[i].h == h) {
			of->holders[i] = of->holders[--of->nholders];
			return;
		}
}

/* The open file lost its last handle. */
static void ofile_closed(struct ofile *of)
{
	if (of->n->kind == TK_FIFO) {
		struct ofile **pp = &fifo_opens;

		while (*pp && *pp != of)
			pp = &(*pp)->next_fifo;
		if (*pp)
			*pp = of->next_fifo;
		tfifo_close(of->n, of->flags & O_ACC);
	}
	tmap_closing(&fs, of->n);
	tfs_close_ref(&fs, of->n);
	free(of);
}

/* Before a fifo call would wait: the handles on n of processes that are
 * gone (killed: they closed nothing) are taken back, so a reader sees
 * the end of file and a writer EPIPE. Pids are never reused. */
static void fifo_reap(struct tnode *n)
{
	struct ofile *of = fifo_opens, *next;

	for (; of; of = next) {
		next = of->next_fifo;
		if (of->n != n)
			continue;
		for (uint32_t i = 0; i < of->nholders;) {
			struct k42_procinfo info;

			/* (A fork's child holds its handles before it runs.) */
			if (k42_sc_proc_describe(of->holders[i].pid, (uint64_t)&info) == 0 &&
			    (info.state == K42_PROC_RUNNING || info.state == K42_PROC_CREATED)) {
				i++;
				continue;
			}
			(void)k42_obj_revoke(of->holders[i].h);
			of->holders[i] = of->holders[--of->nholders];
			if (--of->refs == 0) {
				ofile_closed(of);
				break;
			}
		}
	}
}

/* The caller's user and group ids, from the kernel (never an argument),
 * for the checks in tree.c; a caller that has gone is nobody. */
static void as(const struct k42_ipc_caller *c)
{
	uint32_t uid = UINT32_MAX, gid = UINT32_MAX;

	if (k42_proc_cred(c->pid, &uid, &gid) < 0)
		uid = gid = UINT32_MAX;
	fs.uid = uid;
	fs.gid = gid;
}

long fs_walk_impl(const struct k42_ipc_caller *c, const char *path, uint32_t *done, int32_t *err,
		  struct fs_stat *st, char *link, uint32_t link_cap)
{
	struct tnode *n;
	int e;

	as(c);
	tfs_walk(&fs, path, done, &e, &n);
	*err = e;
	link[0] = 0;
	memset(st, 0, sizeof(*st));
	if (n) {
		to_stat(n, st);
		if (n->kind == TK_LNK && strlen(n->link) < link_cap)
			memcpy(link, n->link, strlen(n->link) + 1);
	}
	return 0;
}

long fs_open_impl(const struct k42_ipc_caller *c, const char *path, uint32_t flags, uint32_t mode,
		  k42_handle_t *f, struct fs_stat *st)
{
	struct tnode *n;
	struct ofile *of;
	long rc;
	uint32_t acc = flags & O_ACC;
	int created = 0;

	as(c);
	rc = tfs_lookup(&fs, path, &n);
	if (rc == -K42_ENOENT && (flags & O_CREAT)) {
		rc = tfs_create(&fs, path, TK_REG, mode, 0, NULL, &n);
		created = rc == 0;	/* opens as asked, whatever its mode */
	} else if (rc == 0 && (flags & O_CREAT) && (flags & O_EXCL)) {
		rc = -K42_EEXIST;
	}
	if (rc < 0)
		return rc;
	if (n->kind == TK_LNK)
		return -K42_ELOOP;
	if (n->kind == TK_DIR && acc != 0)
		return -K42_EISDIR;
	if ((flags & O_DIR) && n->kind != TK_DIR)
		return -K42_ENOTDIR;
	if (acc == 3)
		return -K42_EINVAL;
	if (!created && (rc = tfs_may(&fs, n, acc == 0 ? TFS_R : acc == 1 ? TFS_W : TFS_R | TFS_W)) < 0)
		return rc;
	if ((flags & O_TRUNC) && acc != 0 && n->kind == TK_REG) {
		uint64_t old = n->size;

		if ((rc = tfs_truncate(&fs, n, 0)) < 0)
			return rc;
		(void)tmap_resized(&fs, n, old);
	}
	if (!(of = malloc(sizeof(*of))))
		return -K42_ENOMEM;
	of->n = n;
	of->off = 0;
	of->flags = flags;
	of->refs = 1;
	of->mark = 0;
	of->dindex = 0;
	of->dseq = of->dfrom = 0;
	if (n->kind == TK_FIFO && (rc = tfifo_open(n, acc, (flags & O_NONBLK) != 0, &of->mark)) < 0) {
		free(of);
		return rc;
	}
	if (!(*f = k42_obj_grant(of, c->pid, FS_RIGHT_READ))) {
		if (n->kind == TK_FIFO)
			tfifo_close(n, acc);
		free(of);
		return -K42_ENOMEM;
	}
	of->nholders = 0;
	holder_add(of, *f, (uint32_t)c->pid);
	if (n->kind == TK_FIFO) {
		of->next_fifo = fifo_opens;
		fifo_opens = of;
	}
	tfs_open_ref(n);
	tmap_opened(n);
	to_stat(n, st);
	return 0;
}

long fs_read_impl(const struct k42_ipc_caller *c, k42_handle_t f, int64_t offset, uint32_t count,
		  uint8_t *data, uint32_t cap, uint32_t *len)
{
	struct ofile *of;
	long rc = get(c, f, &of);

	if (rc < 0)
		return rc;
	if ((of->flags & O_ACC) == 1)
		return -K42_EBADH;
	if (offset < -1)
		return -K42_EINVAL;
	if (count > cap)
		count = cap;
	if (of->n->kind == TK_FIFO) {
		if (offset != -1)
			return -K42_ESPIPE;
		rc = tfifo_read(of->n, data, count, (uint32_t)c->pid);
		if (rc == -K42_EAGAIN) {
			fifo_reap(of->n);	/* the writer may be a killed one */
			rc = tfifo_read(of->n, data, count, (uint32_t)c->pid);
		}
		if (rc < 0)
			return rc;
		*len = (uint32_t)rc;
		return 0;
	}
	tmap_pull(&fs, of->n, offset == -1 ? of->off : (uint64_t)offset, count);
	rc = tfs_read(&fs, of->n, offset == -1 ? of->off : (uint64_t)offset, data, count);
	if (rc < 0)
		return rc;
	if (offset == -1)
		of->off += (uint64_t)rc;
	*len = (uint32_t)rc;
	return 0;
}

long fs_write_impl(const struct k42_ipc_caller *c, k42_handle_t f, int64_t offset,
		   const uint8_t *data, uint32_t len, uint32_t *written)
{
	struct ofile *of;
	long rc = get(c, f, &of);
	uint64_t at, old;

	if (rc < 0)
		return rc;
	if ((of->flags & O_ACC) == 0)
		return -K42_EBADH;
	if (offset < -1)
		return -K42_EINVAL;
	if (of->n->kind == TK_FIFO) {
		if (offset != -1)
			return -K42_ESPIPE;
		rc = tfifo_write(of->n, data, len, (uint32_t)c->pid);
		if (rc == -K42_EAGAIN) {
			fifo_reap(of->n);	/* the reader may be a killed one */
			rc = tfifo_write(of->n, data, len, (uint32_t)c->pid);
		}
		if (rc < 0)
			return rc;
		*written = (uint32_t)rc;
		return 0;
	}
	at = offset != -1 ? (uint64_t)offset : (of->flags & O_APPEND) ? of->n->size : of->off;
	old = of->n->size;
	rc = tfs_write(&fs, of->n, at, data, len);
	if (rc < 0)
		return rc;
	tmap_wrote(&fs, of->n, at, data, (uint64_t)rc, old);
	if (offset == -1)
		of->off = at + (uint64_t)rc;
	*written = (uint32_t)rc;
	return 0;
}

long fs_seek_impl(const struct k42_ipc_caller *c, k42_handle_t f, int64_t offset, uint32_t whence,
		  uint64_t *pos)
{
	struct ofile *of;
	long rc = get(c, f, &of);
	int64_t base;

	if (rc < 0)
		return rc;
	if (of->n->kind == TK_FIFO)
		return -K42_ESPIPE;
	base = whence == 0 ? 0 : whence == 1 ? (int64_t)of->off : whence == 2 ? (int64_t)of->n->size : -1;
	if (base < 0 || base + offset < 0)
		return -K42_EINVAL;
	of->off = (uint64_t)(base + offset);
	*pos = of->off;
	return 0;
}

long fs_fstat_impl(const struct k42_ipc_caller *c, k42_handle_t f, struct fs_stat *st)
{
	struct ofile *of;
	long rc = get(c, f, &of);

	if (rc == 0)
		to_stat(of->n, st);
	return rc;
}

long fs_truncate_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint64_t size)
{
	struct ofile *of;
	long rc = get(c, f, &of);
	uint64_t old;

	if (rc < 0)
		return rc;
	if ((of->flags & O_ACC) == 0)
		return -K42_EINVAL;
	old = of->n->size;
	if ((rc = tfs_truncate(&fs, of->n, size)) < 0)
		return rc;
	if ((rc = tmap_resized(&fs, of->n, old)) < 0) {
		/* A mapped file's pages must all exist: undo the growth. */
		(void)tfs_truncate(&fs, of->n, old);
		(void)tmap_resized(&fs, of->n, size);
	}
	return rc;
}

long fs_fsync_impl(const struct k42_ipc_caller *c, k42_handle_t f)
{
	struct ofile *of;
	long rc = get(c, f, &of);

	/* Memory is as durable as tmpfs gets; what a mapper wrote comes
	 * back into the tree (so every later read sees it). */
	if (rc == 0)
		tmap_pull_all(&fs, of->n);
	return rc;
}

long fs_readdir_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint32_t index, char *name,
		     uint32_t name_cap, uint64_t *ino, fs_kind_t *kind)
{
	struct ofile *of;
	long rc = get(c, f, &of);
	struct tnode *d;
	const char *s;
	uint64_t from = 0, next = 0;

	if (rc < 0)
		return rc;
	d = of->n;
	if (d->kind != TK_DIR)
		return -K42_ENOTDIR;
	/* "." and ".." first, then the entries. The index that follows
	 * the last one given goes on from that entry's seq, so entries
	 * removed or added since shift none of the others (rm -r), and
	 * the last one given again starts from its seq; any other index
	 * (a seek) counts from the start. */
	if (index < 2) {
		s = index ? ".." : ".";
		*ino = index ? d->parent->ino : d->ino;
		*kind = FS_KIND_DIRECTORY;
	} else {
		uint32_t i = index == of->dindex     ? tfs_dir_from(d, of->dseq)
			     : index + 1 == of->dindex ? tfs_dir_from(d, of->dfrom)
						       : index - 2;

		if (i >= d->nents)
			return -K42_ENOENT;
		s = d->ents[i].name;
		*ino = d->ents[i].node->ino;
		*kind = (fs_kind_t)d->ents[i].node->kind;
		from = d->ents[i].seq;
		next = from + 1;
	}
	if (strlen(s) >= name_cap)
		return -K42_E2BIG;
	memcpy(name, s, strlen(s) + 1);
	of->dindex = index + 1;
	of->dfrom = from;
	of->dseq = next;
	return 0;
}

long fs_close_impl(const struct k42_ipc_caller *c, k42_handle_t f)
{
	struct ofile *of;
	long rc = get(c, f, &of);

	if (rc < 0)
		return rc;
	k42_obj_revoke(f);
	holder_drop(of, f);
	if (--of->refs == 0)
		ofile_closed(of);
	return 0;
}

long fs_mkdir_impl(const struct k42_ipc_caller *c, const char *path, uint32_t mode)
{
	as(c);
	return tfs_create(&fs, path, TK_DIR, mode, 0, NULL, NULL);
}

long fs_unlink_impl(const struct k42_ipc_caller *c, const char *path)
{
	as(c);
	return tfs_unlink(&fs, path);
}

long fs_rmdir_impl(const struct k42_ipc_caller *c, const char *path)
{
	as(c);
	return tfs_rmdir(&fs, path);
}

long fs_rename_impl(const struct k42_ipc_caller *c, const char *from, const char *to)
{
	as(c);
	return tfs_rename(&fs, from, to);
}

long fs_link_impl(const struct k42_ipc_caller *c, const char *from, const char *to)
{
	as(c);
	return tfs_link(&fs, from, to);
}

long fs_symlink_impl(const struct k42_ipc_caller *c, const char *dest, const char *path)
{
	as(c);
	return tfs_create(&fs, path, TK_LNK, 0777, 0, dest, NULL);
}

long fs_chmod_impl(const struct k42_ipc_caller *c, const char *path, uint32_t mode)
{
	struct tnode *n;
	long rc;

	as(c);
	rc = tfs_lookup(&fs, path, &n);
	if (rc == 0)
		rc = tfs_may_own(&fs, n);
	if (rc == 0) {
		n->mode = mode & 07777;
		n->ctime = now_ns();
	}
	return rc;
}

long fs_utimes_impl(const struct k42_ipc_caller *c, const char *path, uint64_t atime,
		    uint64_t mtime)
{
	struct tnode *n;
	long rc;

	as(c);
	rc = tfs_lookup(&fs, path, &n);
	if (rc == 0)
		rc = tfs_may_own(&fs, n);
	if (rc == 0) {
		n->atime = atime;
		n->mtime = mtime;
		n->ctime = now_ns();
	}
	return rc;
}

long fs_share_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint64_t pid, k42_handle_t *g)
{
	struct ofile *of;
	long rc = get(c, f, &of);

	if (rc < 0)
		return rc;
	if (!pid || !(*g = k42_obj_grant(of, pid, FS_RIGHT_READ)))
		return pid ? -K42_ENOMEM : -K42_EINVAL;
	of->refs++;
	holder_add(of, *g, (uint32_t)pid);
	return 0;
}

long fs_mknod_impl(const struct k42_ipc_caller *c, const char *path, uint32_t mode, uint32_t rdev)
{
	as(c);
	if ((mode & S_IFMT_) == S_IFIFO_)
		return tfs_create(&fs, path, TK_FIFO, mode & 07777, 0, NULL, NULL);
	return tfs_create(&fs, path, TK_CHR, mode & 07777, rdev, NULL, NULL);
}

long fs_statfs_impl(const struct k42_ipc_caller *c, uint64_t *used, uint64_t *limit,
		    uint32_t *bsize, uint64_t *reserved, uint64_t *files, uint64_t *ffree)
{
	(void)c;
	*used = fs.used;
	/* With no limit of its own (/dev) it can grow into the free memory
	 * (Linux's tmpfs would take half the memory by default). */
	*limit = fs.limit ? fs.limit : fs.used + (uint64_t)k42_info(K42_INFO_FREE_FRAMES) * 4096;
	*bsize = 4096;	/* pages */
	*reserved = *files = *ffree = 0;
	return 0;
}

long fs_sync_impl(const struct k42_ipc_caller *c)
{
	/* Nothing is kept anywhere but here: there is nothing to write. */
	(void)c;
	return 0;
}

long fs_map_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint64_t *fr)
{
	struct ofile *of;
	long rc = get(c, f, &of);

	if (rc < 0)
		return rc;
	if (of->n->kind != TK_REG)
		return -K42_EINVAL;
	if (of->refs != 1 || (of->flags & O_APPEND))
		return -K42_EBUSY;	/* a shared offset, or appends: the server's */
	return tmap_grant(&fs, of->n, (of->flags & O_ACC) != 0, fr);
}

long fs_fifo_impl(const struct k42_ipc_caller *c, k42_handle_t f, uint32_t arm, uint32_t *readers,
		  uint32_t *writers, uint32_t *avail, uint32_t *room, uint32_t *since)
{
	struct ofile *of;
	long rc = get(c, f, &of);

	if (rc < 0)
		return rc;
	if (of->n->kind != TK_FIFO)
		return -K42_EINVAL;
	fifo_reap(of->n);	/* a killed holder is no reader or writer */
	if (get(c, f, &of) < 0)
		return -K42_EBADH;	/* the caller's own handle was a dead holder's: cannot be */
	tfifo_state(of->n, of->flags & O_ACC, of->mark, arm ? (uint32_t)c->pid : 0, readers, writers,
		    avail, room, since);
	return 0;
}

static void on_message(const struct k42_msg *m)
{
	(void)tmap_message(&fs, m);
}

static const struct k42_server server = {
	"tmpfs", FS_IFACE_ID, FS_RIGHT_READ | FS_RIGHT_WRITE, fs_dispatch, false, &fs_regs
};

int main(uint64_t argc)
{
	static const struct { const char *name; uint32_t rdev; } devs[] = {
		{ "null", 1 }, { "zero", 2 }, { "full", 3 }, { "urandom", 4 },
		{ "tty", 5 }, { "console", 6 }, { "random", 7 },
	};
	const char *point = k42_argc > 1 ? k42_argv[1] : "/tmp";
	int is_dev = k42_argc > 2 && strcmp(k42_argv[2], "dev") == 0;
	uint64_t limit = !is_dev && k42_argc > 2 ? strtoul(k42_argv[2], NULL, 0) : 0;
	char name[128];

	(void)argc;
	tb_hz = (uint64_t)k42_sc_sys_info(K42_INFO_TIMEBASE_HZ);
	if (k42_server_mount_name("tmpfs", point, name, sizeof(name)) < 0)
		return 1;
	if (tfs_init(&fs, limit, now_ns) < 0)
		return 1;
	if (is_dev) {
		fs.root->mode = 0755;
		for (unsigned i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
			(void)tfs_create(&fs, devs[i].name, TK_CHR, 0666, devs[i].rdev, NULL, NULL);
	}
	fs.enforce = 1;	/* from now on every call by path is judged (tree.c) */
	k42_on_messages(on_message);
	if (k42_server_start(&server, name) < 0)
		return 1;
	k42_server_idle();
}

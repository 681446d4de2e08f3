/*
 * tmpfs's file tree (see tree.h). Every change that costs bytes checks
 * the budget first, so -K42_ENOSPC leaves the tree as it was.
 */
#include <stdlib.h>
#include <k42/alloc.h>
#include <string.h>
#include <k42/errno.h>
#include "tree.h"

static char *dupstr(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

static int charge(struct tfs *fs, uint64_t bytes)
{
	if (fs->limit && (fs->used + bytes > fs->limit || fs->used + bytes < fs->used))
		return -K42_ENOSPC;
	fs->used += bytes;
	return 0;
}

static struct tnode *node_new(struct tfs *fs, int kind, uint32_t mode)
{
	struct tnode *n;

	if (charge(fs, TFS_NODE_COST) < 0)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n) {
		fs->used -= TFS_NODE_COST;
		return NULL;
	}
	n->uid = fs->uid;
	n->gid = fs->gid;
	n->ino = fs->next_ino++;
	n->kind = (uint8_t)kind;
	n->mode = mode & 07777;
	n->atime = n->mtime = n->ctime = fs->now();
	return n;
}

static void node_free(struct tfs *fs, struct tnode *n)
{
	for (uint64_t i = 0; i < n->npages; i++) {
		if (n->pages[i]) {
			free(n->pages[i]);
			fs->used -= TFS_PAGE;
		}
	}
	free(n->pages);
	if (n->link) {
		fs->used -= strlen(n->link) + 1;
		free(n->link);
	}
	free(n->ents);
	fs->used -= TFS_NODE_COST;
	free(n);
}

static void node_unref(struct tfs *fs, struct tnode *n)
{
	if (n->nlink == 0 && n->opens == 0)
		node_free(fs, n);
}

int tfs_init(struct tfs *fs, uint64_t limit, uint64_t (*now)(void))
{
	memset(fs, 0, sizeof(*fs));
	fs->limit = limit;
	fs->now = now;
	fs->next_ino = 1;
	fs->root = node_new(fs, TK_DIR, 01777);
	if (!fs->root)
		return -K42_ENOMEM;
	fs->root->nlink = 2;
	fs->root->parent = fs->root;
	return 0;
}

long tfs_may(const struct tfs *fs, const struct tnode *n, unsigned want)
{
	unsigned bits;

	if (!fs->enforce || fs->uid == 0)
		return 0;
	if (fs->uid == n->uid)
		bits = (n->mode >> 6) & 7;
	else if (fs->gid == n->gid)
		bits = (n->mode >> 3) & 7;
	else
		bits = n->mode & 7;
	return (bits & want) == want ? 0 : -K42_EACCES;
}

long tfs_may_own(const struct tfs *fs, const struct tnode *n)
{
	return !fs->enforce || fs->uid == 0 || fs->uid == n->uid ? 0 : -K42_EPERM;
}

/* In a sticky directory d, only n's owner, d's owner or uid 0 may remove
 * or replace the entry naming n. */
static long may_remove(const struct tfs *fs, const struct tnode *d, const struct tnode *n)
{
	if (!fs->enforce || fs->uid == 0 || !(d->mode & 01000) || fs->uid == d->uid ||
	    fs->uid == n->uid)
		return 0;
	return -K42_EPERM;
}

static struct tdirent *dir_find(struct tnode *d, const char *name, size_t len)
{
	for (uint32_t i = 0; i < d->nents; i++)
		if (strlen(d->ents[i].name) == len && !memcmp(d->ents[i].name, name, len))
			return &d->ents[i];
	return NULL;
}

void tfs_walk(struct tfs *fs, const char *path, uint32_t *done, int *err, struct tnode **out)
{
	struct tnode *n = fs->root;
	size_t pos = 0;

	*err = 0;
	while (path[pos]) {
		size_t start = pos, len;
		struct tdirent *e;

		while (path[pos] && path[pos] != '/')
			pos++;
		len = pos - start;
		if (n->kind != TK_DIR) {
			*done = (uint32_t)start;
			*err = -K42_ENOTDIR;
			*out = NULL;
			return;
		}
		if (tfs_may(fs, n, TFS_X) < 0) {
			*done = (uint32_t)start;
			*err = -K42_EACCES;
			*out = NULL;
			return;
		}
		e = len ? dir_find(n, path + start, len) : NULL;
		if (!e) {
			*done = (uint32_t)start;
			*err = len ? -K42_ENOENT : -K42_EINVAL;
			*out = NULL;
			return;
		}
		n = e->node;
		if (path[pos] == '/')
			pos++;
		if (n->kind == TK_LNK)
			break;
	}
	*done = (uint32_t)pos;
	*out = n;
}

long tfs_lookup(struct tfs *fs, const char *path, struct tnode **n)
{
	uint32_t done;
	int err;

	tfs_walk(fs, path, &done, &err, n);
	if (err < 0)
		return err;
	if (path[done])
		return -K42_ELOOP;	/* a symlink in the middle: the client resolves those */
	return 0;
}

/* The directory holding path's last component, and that component. */
static long parent_of(struct tfs *fs, const char *path, struct tnode **dir, const char **name,
		      size_t *nlen)
{
	const char *slash = strrchr(path, '/');
	char buf[1024];
	long rc;

	if (!path[0])
		return -K42_EBUSY;	/* the root itself */
	if (!slash) {
		*dir = fs->root;
		*name = path;
	} else {
		size_t pl = (size_t)(slash - path);

		if (pl >= sizeof(buf))
			return -K42_ENAMETOOLONG;
		memcpy(buf, path, pl);
		buf[pl] = 0;
		if ((rc = tfs_lookup(fs, buf, dir)) < 0)
			return rc;
		*name = slash + 1;
	}
	if ((*dir)->kind != TK_DIR)
		return -K42_ENOTDIR;
	if ((rc = tfs_may(fs, *dir, TFS_W | TFS_X)) < 0)
		return rc;	/* every caller changes the directory's entries */
	*nlen = strlen(*name);
	if (*nlen == 0 || *nlen > 255)
		return *nlen ? -K42_ENAMETOOLONG : -K42_EINVAL;
	if ((*nlen == 1 && **name == '.') || (*nlen == 2 && !memcmp(*name, "..", 2)))
		return -K42_EINVAL;
	return 0;
}

static long dir_add(struct tfs *fs, struct tnode *d, const char *name, size_t len,
		    struct tnode *n)
{
	char *s;

	if (charge(fs, len + 1) < 0)
		return -K42_ENOSPC;
	if (d->nents == d->cap) {
		uint32_t cap = d->cap ? d->cap * 2 : 8;
		struct tdirent *e = realloc(d->ents, cap * sizeof(*e));

		if (!e) {
			fs->used -= len + 1;
			return -K42_ENOMEM;
		}
		d->ents = e;
		d->cap = cap;
	}
	if (!(s = dupstr(name, len))) {
		fs->used -= len + 1;
		return -K42_ENOMEM;
	}
	d->ents[d->nents].name = s;
	d->ents[d->nents].node = n;
	d->ents[d->nents].seq = d->next_seq++;
	d->nents++;
	d->mtime = d->ctime = fs->now();
	return 0;
}

static void dir_remove(struct tfs *fs, struct tnode *d, struct tdirent *e)
{
	fs->used -= strlen(e->name) + 1;
	free(e->name);
	/* Close the gap, keeping the order (a listing in progress relies
	 * on it: tfs_dir_from). */
	d->nents--;
	memmove(e, e + 1, (size_t)(d->ents + d->nents - e) * sizeof(*e));
	d->mtime = d->ctime = fs->now();
}

uint32_t tfs_dir_from(const struct tnode *d, uint64_t seq)
{
	uint32_t lo = 0, hi = d->nents;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (d->ents[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

long tfs_create(struct tfs *fs, const char *path, int kind, uint32_t mode, uint32_t rdev,
		const char *link, struct tnode **out)
{
	struct tnode *d, *n;
	const char *name;
	size_t nlen, llen = link ? strlen(link) : 0;
	long rc = parent_of(fs, path, &d, &name, &nlen);

	if (rc < 0)
		return rc == -K42_EBUSY ? -K42_EEXIST : rc;
	if (dir_find(d, name, nlen))
		return -K42_EEXIST;
	if (!(n = node_new(fs, kind, mode)))
		return -K42_ENOSPC;
	if (kind == TK_LNK) {
		if (charge(fs, llen + 1) < 0) {
			node_free(fs, n);
			return -K42_ENOSPC;
		}
		if (!(n->link = dupstr(link, llen))) {
			fs->used -= llen + 1;
			node_free(fs, n);
			return -K42_ENOMEM;
		}
		n->size = llen;
	}
	n->rdev = rdev;
	if ((rc = dir_add(fs, d, name, nlen, n)) < 0) {
		node_free(fs, n);
		return rc;
	}
	n->nlink = 1;
	if (kind == TK_DIR) {
		n->nlink = 2;
		n->parent = d;
		d->nlink++;
	}
	if (out)
		*out = n;
	return 0;
}

long tfs_unlink(struct tfs *fs, const char *path)
{
	struct tnode *d;
	struct tdirent *e;
	const char *name;
	size_t nlen;
	long rc = parent_of(fs, path, &d, &name, &nlen);
	struct tnode *n;

	if (rc < 0)
		return rc == -K42_EBUSY ? -K42_EISDIR : rc;
	if (!(e = dir_find(d, name, nlen)))
		return -K42_ENOENT;
	n = e->node;
	if (n->kind == TK_DIR)
		return -K42_EISDIR;
	if ((rc = may_remove(fs, d, n)) < 0)
		return rc;
	dir_remove(fs, d, e);
	n->nlink--;
	n->ctime = fs->now();
	node_unref(fs, n);
	return 0;
}

long tfs_rmdir(struct tfs *fs, const char *path)
{
	struct tnode *d, *n;
	struct tdirent *e;
	const char *name;
	size_t nlen;
	long rc = parent_of(fs, path, &d, &name, &nlen);

	if (rc < 0)
		return rc;
	if (!(e = dir_find(d, name, nlen)))
		return -K42_ENOENT;
	n = e->node;
	if (n->kind != TK_DIR)
		return -K42_ENOTDIR;
	if (n->nents)
		return -K42_ENOTEMPTY;
	if ((rc = may_remove(fs, d, n)) < 0)
		return rc;
	dir_remove(fs, d, e);
	d->nlink--;
	n->nlink = 0;
	node_unref(fs, n);
	return 0;
}

/* Is a inside the subtree of directory d (or d itself)? */
static int within(struct tnode *a, struct tnode *d)
{
	for (;;) {
		if (a == d)
			return 1;
		if (a->parent == a || !a->parent)
			return 0;
		a = a->parent;
	}
}

long tfs_rename(struct tfs *fs, const char *from, const char *to)
{
	struct tnode *fd, *td, *n;
	struct tdirent *fe, *te;
	const char *fname, *tname;
	size_t fl, tl;
	long rc = parent_of(fs, from, &fd, &fname, &fl);

	if (rc < 0)
		return rc;
	if ((rc = parent_of(fs, to, &td, &tname, &tl)) < 0)
		return rc;
	if (!(fe = dir_find(fd, fname, fl)))
		return -K42_ENOENT;
	n = fe->node;
	te = dir_find(td, tname, tl);
	if (te && te->node == n)
		return 0;	/* the same file: nothing happens */
	if (n->kind == TK_DIR && within(td, n))
		return -K42_EINVAL;	/* into its own subtree */
	if ((rc = may_remove(fs, fd, n)) < 0 || (te && (rc = may_remove(fs, td, te->node)) < 0))
		return rc;
	if (te) {
		struct tnode *old = te->node;

		if (n->kind == TK_DIR && old->kind != TK_DIR)
			return -K42_ENOTDIR;
		if (n->kind != TK_DIR && old->kind == TK_DIR)
			return -K42_EISDIR;
		if (old->kind == TK_DIR && old->nents)
			return -K42_ENOTEMPTY;
		/* Replace in place: no new bytes, so no ENOSPC half-way. */
		te->node = n;
		if (old->kind == TK_DIR) {
			td->nlink--;
			old->nlink = 0;
		} else {
			old->nlink--;
		}
		old->ctime = fs->now();
		node_unref(fs, old);
		dir_remove(fs, fd, fe);
	} else {
		if ((rc = dir_add(fs, td, tname, tl, n)) < 0)
			return rc;
		/* dir_add may have moved fd's array when fd == td. */
		fe = dir_find(fd, fname, fl);
		dir_remove(fs, fd, fe);
	}
	if (n->kind == TK_DIR && fd != td) {
		fd->nlink--;
		td->nlink++;
		n->parent = td;
	}
	n->ctime = fs->now();
	return 0;
}

long tfs_link(struct tfs *fs, const char *from, const char *to)
{
	struct tnode *n, *td;
	const char *tname;
	size_t tl;
	long rc = tfs_lookup(fs, from, &n);

	if (rc < 0)
		return rc;
	if (n->kind == TK_DIR)
		return -K42_EPERM;
	if ((rc = parent_of(fs, to, &td, &tname, &tl)) < 0)
		return rc == -K42_EBUSY ? -K42_EEXIST : rc;
	if (dir_find(td, tname, tl))
		return -K42_EEXIST;
	if (n->nlink >= 65000)
		return -K42_EMLINK;
	if ((rc = dir_add(fs, td, tname, tl, n)) < 0)
		return rc;
	n->nlink++;
	n->ctime = fs->now();
	return 0;
}

long tfs_read(struct tfs *fs, struct tnode *n, uint64_t off, void *buf, uint64_t len)
{
	uint8_t *out = buf;
	uint64_t got = 0;

	if (n->kind == TK_DIR)
		return -K42_EISDIR;
	if (n->kind != TK_REG)
		return -K42_EINVAL;
	if (off >= n->size)
		return 0;
	if (len > n->size - off)
		len = n->size - off;
	while (got < len) {
		uint64_t pg = (off + got) / TFS_PAGE, po = (off + got) % TFS_PAGE;
		uint64_t k = TFS_PAGE - po < len - got ? TFS_PAGE - po : len - got;

		if (pg < n->npages && n->pages[pg])
			memcpy(out + got, n->pages[pg] + po, k);
		else
			memset(out + got, 0, k);
		got += k;
	}
	n->atime = fs->now();
	return (long)got;
}

static long ensure_pages(struct tnode *n, uint64_t npages)
{
	uint8_t **p;

	if (npages <= n->npages)
		return 0;
	p = realloc(n->pages, npages * sizeof(*p));
	if (!p)
		return -K42_ENOMEM;
	memset(p + n->npages, 0, (npages - n->npages) * sizeof(*p));
	n->pages = p;
	n->npages = npages;
	return 0;
}

long tfs_write(struct tfs *fs, struct tnode *n, uint64_t off, const void *buf, uint64_t len)
{
	const uint8_t *in = buf;
	uint64_t put = 0, end = off + len;
	long rc;

	if (n->kind == TK_DIR)
		return -K42_EISDIR;
	if (n->kind != TK_REG)
		return -K42_EINVAL;
	if (end < off || end > (1ull << 40))
		return -K42_EFBIG;
	if (len == 0)
		return 0;
	if ((rc = ensure_pages(n, (end + TFS_PAGE - 1) / TFS_PAGE)) < 0)
		return rc;
	while (put < len) {
		uint64_t pg = (off + put) / TFS_PAGE, po = (off + put) % TFS_PAGE;
		uint64_t k = TFS_PAGE - po < len - put ? TFS_PAGE - po : len - put;

		if (!n->pages[pg]) {
			if (charge(fs, TFS_PAGE) < 0)
				break;
			if (!(n->pages[pg] = calloc(1, TFS_PAGE))) {
				fs->used -= TFS_PAGE;
				break;
			}
			n->nalloc++;
		}
		memcpy(n->pages[pg] + po, in + put, k);
		put += k;
	}
	if (put == 0)
		return -K42_ENOSPC;
	if (off + put > n->size)
		n->size = off + put;
	n->mtime = n->ctime = fs->now();
	return (long)put;
}

long tfs_truncate(struct tfs *fs, struct tnode *n, uint64_t size)
{
	if (n->kind == TK_DIR)
		return -K42_EISDIR;
	if (n->kind != TK_REG)
		return -K42_EINVAL;
	if (size > (1ull << 40))
		return -K42_EFBIG;
	if (size < n->size) {
		uint64_t keep = (size + TFS_PAGE - 1) / TFS_PAGE;

		for (uint64_t i = keep; i < n->npages; i++) {
			if (n->pages[i]) {
				free(n->pages[i]);
				n->pages[i] = NULL;
				n->nalloc--;
				fs->used -= TFS_PAGE;
			}
		}
		/* Zero the tail of the last kept page, so growing reads zeros. */
		if (size % TFS_PAGE && keep - 1 < n->npages && n->pages[keep - 1])
			memset(n->pages[keep - 1] + size % TFS_PAGE, 0, TFS_PAGE - size % TFS_PAGE);
	}
	n->size = size;
	n->mtime = n->ctime = fs->now();
	return 0;
}

long tfs_fill(struct tfs *fs, struct tnode *n)
{
	uint64_t npages = (n->size + TFS_PAGE - 1) / TFS_PAGE;
	long rc;

	if (n->kind != TK_REG)
		return -K42_EINVAL;
	if ((rc = ensure_pages(n, npages)) < 0)
		return rc;
	for (uint64_t i = 0; i < npages; i++) {
		if (n->pages[i])
			continue;
		if (charge(fs, TFS_PAGE) < 0)
			return -K42_ENOSPC;
		if (!(n->pages[i] = calloc(1, TFS_PAGE))) {
			fs->used -= TFS_PAGE;
			return -K42_ENOMEM;
		}
		n->nalloc++;
	}
	return 0;
}

void tfs_open_ref(struct tnode *n)
{
	n->opens++;
}

void tfs_close_ref(struct tfs *fs, struct tnode *n)
{
	n->opens--;
	node_unref(fs, n);
}

static void free_tree(struct tfs *fs, struct tnode *d)
{
	for (uint32_t i = 0; i < d->nents; i++) {
		struct tnode *n = d->ents[i].node;

		fs->used -= strlen(d->ents[i].name) + 1;
		free(d->ents[i].name);
		if (n->kind == TK_DIR)
			free_tree(fs, n);
		else if (--n->nlink == 0)
			node_free(fs, n);
	}
	d->nents = 0;
	node_free(fs, d);
}

void tfs_destroy(struct tfs *fs)
{
	free_tree(fs, fs->root);
	fs->root = NULL;
}

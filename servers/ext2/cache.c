/*
 * The block cache: blocks read from the disk stay, least recently used
 * first out, up to a byte budget. Writes go through: a changed block is
 * marked dirty with a class and written at the end of the operation that
 * changed it (bflush), allocations first, then everything else in the
 * order it was first changed, then frees (docs/storage.md, "Ordering").
 * Neighbouring blocks are written, and a file's next blocks read ahead, in
 * one device call. Pinned and dirty blocks are never evicted. One operation runs at a time
 * (the server's lock), so the cache has no lock of its own.
 */
#include <string.h>
#include "ext2.h"

#define HASH	1024u

static void lru_unlink(struct buf *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
}

static void lru_front(struct ext2_fs *fs, struct buf *b)
{
	b->next = fs->lru.next;
	b->prev = &fs->lru;
	fs->lru.next->prev = b;
	fs->lru.next = b;
}

long cache_init(struct ext2_fs *fs, uint32_t bytes)
{
	fs->hash = calloc(HASH, sizeof(*fs->hash));
	if (!fs->hash)
		return -K42_ENOMEM;
	fs->lru.next = fs->lru.prev = &fs->lru;
	fs->maxbufs = bytes / fs->bs < 64 ? 64 : bytes / fs->bs;
	fs->nbufs = 0;
	return 0;
}

void cache_free(struct ext2_fs *fs)
{
	struct buf *b, *n;

	if (!fs->hash)
		return;
	for (b = fs->lru.next; b != &fs->lru; b = n) {
		n = b->next;
		free(b->data);
		free(b);
	}
	free(fs->hash);
	free(fs->dirty);
	free(fs->io);
	fs->hash = NULL;
	fs->dirty = NULL;
	fs->io = NULL;
}

long dev_rw(struct ext2_fs *fs, uint64_t blk, void *data, int write)
{
	uint64_t s = blk * fs->spb;

	if (s + fs->spb > fs->dev.sectors)
		return e2_fail(fs, -K42_EIO, "block %lu lies past the end of the disk",
			       (unsigned long)blk);
	return write ? fs->dev.write(fs->dev.ctx, s, fs->spb, data)
		     : fs->dev.read(fs->dev.ctx, s, fs->spb, data);
}

static void unhash(struct ext2_fs *fs, struct buf *b)
{
	struct buf **p = &fs->hash[b->blk % HASH];

	while (*p != b)
		p = &(*p)->hnext;
	*p = b->hnext;
}

/* A buffer for blk: the cached one, or a recycled or new one (unfilled). */
static long get(struct ext2_fs *fs, uint64_t blk, struct buf **out, int *hit)
{
	struct buf *b;

	for (b = fs->hash[blk % HASH]; b; b = b->hnext) {
		if (b->blk == blk) {
			lru_unlink(b);
			lru_front(fs, b);
			b->pins++;
			*out = b;
			*hit = 1;
			return 0;
		}
	}
	*hit = 0;
	b = NULL;
	if (fs->nbufs >= fs->maxbufs) {
		for (struct buf *c = fs->lru.prev; c != &fs->lru; c = c->prev) {
			if (!c->pins && !c->dirty) {
				b = c;
				break;
			}
		}
	}
	if (b) {
		unhash(fs, b);
		lru_unlink(b);
	} else {
		if (!(b = calloc(1, sizeof(*b))) || !(b->data = malloc(fs->bs))) {
			free(b);
			return -K42_ENOMEM;
		}
		fs->nbufs++;
	}
	b->blk = blk;
	b->pins = 1;
	b->dirty = 0;
	b->hnext = fs->hash[blk % HASH];
	fs->hash[blk % HASH] = b;
	lru_front(fs, b);
	*out = b;
	return 0;
}

static void discard(struct ext2_fs *fs, struct buf *b)
{
	unhash(fs, b);
	lru_unlink(b);
	free(b->data);
	free(b);
	fs->nbufs--;
}

long bread(struct ext2_fs *fs, uint64_t blk, struct buf **out)
{
	int hit;
	long rc;

	if (blk >= fs->sb.blocks_count)
		return e2_fail(fs, -K42_EIO, "block %lu is past the end of the file system (%u blocks)",
			       (unsigned long)blk, fs->sb.blocks_count);
	if ((rc = get(fs, blk, out, &hit)) < 0 || hit)
		return rc;
	if ((rc = dev_rw(fs, blk, (*out)->data, 0)) < 0) {
		discard(fs, *out);
		return rc;
	}
	return 0;
}

int bcached(struct ext2_fs *fs, uint64_t blk)
{
	for (struct buf *b = fs->hash[blk % HASH]; b; b = b->hnext)
		if (b->blk == blk)
			return 1;
	return 0;
}

/* n transfers at once if the device can, else one after another. */
static long dev_many(struct ext2_fs *fs, int write, const struct ext2_io *io, uint32_t n)
{
	uint32_t most = 0;

	for (uint32_t i = 0; i < n; i++)
		most = io[i].count > most ? io[i].count : most;
	/* Several transfers of more than a page go at once; single ones and
	 * page-sized ones (a small file's block and bitmap) take the plain
	 * calls, which cost less than starting and finishing bulk ones. */
	if (fs->dev.rw_many && n > 1 && (uint64_t)most * 512 > 4096)
		return fs->dev.rw_many(fs->dev.ctx, write, io, n);
	for (uint32_t i = 0; i < n; i++) {
		long rc = write ? fs->dev.write(fs->dev.ctx, io[i].sector, io[i].count, io[i].buf)
				: fs->dev.read(fs->dev.ctx, io[i].sector, io[i].count, io[i].buf);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static int io_buffer(struct ext2_fs *fs)
{
	return fs->io || (fs->io = malloc((size_t)E2_IO_SLOTS * E2_IO_MAX));
}

uint32_t bread_ahead_len(struct ext2_fs *fs, uint64_t blk, uint32_t n)
{
	uint32_t max = E2_IO_SLOTS * E2_IO_MAX / fs->bs;

	if (n > max)
		n = max;
	if (n > fs->maxbufs / 4)
		n = fs->maxbufs / 4;	/* never push out most of the cache */
	if (!n || blk + n > fs->sb.blocks_count ||
	    blk * fs->spb + (uint64_t)n * fs->spb > fs->dev.sectors)
		return 0;
	return n;
}

long bread_run(struct ext2_fs *fs, uint64_t blk, uint32_t n, uint8_t *buf)
{
	uint32_t per = E2_IO_MAX / fs->bs, k = 0;
	struct ext2_io io[E2_IO_SLOTS];
	uint64_t s = blk * fs->spb;

	for (uint32_t off = 0; off < n && k < E2_IO_SLOTS; off += per, k++) {
		uint32_t c = n - off < per ? n - off : per;

		io[k] = (struct ext2_io){ s + (uint64_t)off * fs->spb, c * fs->spb,
					  buf + (size_t)off * fs->bs };
	}
	return dev_many(fs, 0, io, k);
}

void bfill(struct ext2_fs *fs, uint64_t blk, uint32_t n, const uint8_t *buf)
{
	for (uint32_t i = 0; i < n; i++) {
		struct buf *b;
		int hit;

		if (get(fs, blk + i, &b, &hit) < 0)
			break;
		if (!hit)	/* a cached block may be newer than the disk */
			memcpy(b->data, buf + (size_t)i * fs->bs, fs->bs);
		brelse(fs, b);
	}
}

long bread_ahead(struct ext2_fs *fs, uint64_t blk, uint32_t n)
{
	long rc;

	if ((n = bread_ahead_len(fs, blk, n)) < 2 || !io_buffer(fs))
		return 0;
	if ((rc = bread_run(fs, blk, n, fs->io)) < 0)
		return rc;
	bfill(fs, blk, n, fs->io);
	return 0;
}

long bzero_new(struct ext2_fs *fs, uint64_t blk, struct buf **out)
{
	int hit;
	long rc = get(fs, blk, out, &hit);

	if (rc == 0)
		memset((*out)->data, 0, fs->bs);
	return rc;
}

void brelse(struct ext2_fs *fs, struct buf *b)
{
	(void)fs;
	if (b && b->pins)
		b->pins--;
}

void bdirty(struct ext2_fs *fs, struct buf *b, enum bclass cls)
{
	fs->mod_gen++;
	if (b->dirty) {
		if (cls < b->cls)
			b->cls = (uint8_t)cls;
		return;
	}
	if (fs->ndirty == fs->dirty_cap) {
		uint32_t cap = fs->dirty_cap ? fs->dirty_cap * 2 : 64;
		struct buf **d = realloc(fs->dirty, cap * sizeof(*d));

		if (!d) {
			/* Out of memory for the list: write it now, in order so far. */
			(void)dev_rw(fs, b->blk, b->data, 1);
			return;
		}
		fs->dirty = d;
		fs->dirty_cap = cap;
	}
	b->dirty = 1;
	b->cls = (uint8_t)cls;
	fs->dirty[fs->ndirty++] = b;
}

/* Write run[0..n-1], blocks following each other on the disk, with one
 * device call (through fs->io) when there are several. */
static long write_run(struct ext2_fs *fs, struct buf **run, uint32_t n)
{
	uint64_t s = run[0]->blk * fs->spb;

	if (n == 1 || !io_buffer(fs)) {
		for (uint32_t i = 0; i < n; i++) {
			long rc = dev_rw(fs, run[i]->blk, run[i]->data, 1);

			if (rc < 0)
				return rc;
		}
		return 0;
	}
	if (s + (uint64_t)n * fs->spb > fs->dev.sectors)
		return e2_fail(fs, -K42_EIO, "block %lu lies past the end of the disk",
			       (unsigned long)(run[0]->blk + n - 1));
	for (uint32_t i = 0; i < n; i++)
		memcpy(fs->io + (size_t)i * fs->bs, run[i]->data, fs->bs);
	return fs->dev.write(fs->dev.ctx, s, n * fs->spb, fs->io);
}

/* Write list[0..n-1] in order, each run of blocks that follow each other
 * on the disk (up to E2_IO_MAX bytes) in one call. */
static long write_list(struct ext2_fs *fs, struct buf **list, uint32_t n);

/* Write list[0..n-1] (sorted by block) in any order: each run of blocks
 * that follow each other on the disk (up to E2_IO_MAX bytes) is one
 * transfer, and up to E2_IO_SLOTS of them go to the device at once. */
static long write_unordered(struct ext2_fs *fs, struct buf **list, uint32_t n)
{
	uint32_t max = E2_IO_MAX / fs->bs, k = 0;
	struct ext2_io io[E2_IO_SLOTS];
	long rc;

	if (!io_buffer(fs))
		return write_list(fs, list, n);
	for (uint32_t i = 0, j; i < n; i = j) {
		uint8_t *dst = fs->io + (size_t)k * E2_IO_MAX;

		for (j = i + 1; j < n && j - i < max && list[j]->blk == list[j - 1]->blk + 1; j++)
			;
		if ((list[i]->blk + (j - i)) * fs->spb > fs->dev.sectors)
			return e2_fail(fs, -K42_EIO, "block %lu lies past the end of the disk",
				       (unsigned long)list[j - 1]->blk);
		for (uint32_t m = i; m < j; m++)
			memcpy(dst + (size_t)(m - i) * fs->bs, list[m]->data, fs->bs);
		io[k++] = (struct ext2_io){ list[i]->blk * fs->spb, (j - i) * fs->spb, dst };
		if (k == E2_IO_SLOTS) {
			if ((rc = dev_many(fs, 1, io, k)) < 0)
				return rc;
			k = 0;
		}
	}
	return k ? dev_many(fs, 1, io, k) : 0;
}

static long write_list(struct ext2_fs *fs, struct buf **list, uint32_t n)
{
	uint32_t max = E2_IO_MAX / fs->bs;

	for (uint32_t i = 0, j; i < n; i = j) {
		long rc;

		for (j = i + 1; j < n && j - i < max && list[j]->blk == list[j - 1]->blk + 1; j++)
			;
		if ((rc = write_run(fs, list + i, j - i)) < 0)
			return rc;
	}
	return 0;
}

/* Shell sort by block number (no qsort here; the lists are mostly in order already). */
static void sort_by_blk(struct buf **l, uint32_t n)
{
	static const uint32_t gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };

	for (uint32_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		uint32_t gap = gaps[g];

		for (uint32_t i = gap; i < n; i++) {
			struct buf *t = l[i];
			uint32_t j = i;

			for (; j >= gap && l[j - gap]->blk > t->blk; j -= gap)
				l[j] = l[j - gap];
			l[j] = t;
		}
	}
}

long bflush(struct ext2_fs *fs)
{
	struct buf **list = fs->ndirty ? malloc(fs->ndirty * sizeof(*list)) : NULL;
	long rc = 0;

	for (int cls = B_ALLOC; cls <= B_FREE && rc == 0; cls++) {
		uint32_t n = 0;

		for (uint32_t i = 0; i < fs->ndirty; i++) {
			struct buf *b = fs->dirty[i];

			if (b->cls != cls)
				continue;
			if (list)
				list[n++] = b;
			else if ((rc = dev_rw(fs, b->blk, b->data, 1)) < 0)
				break;
		}
		if (!list || !n)
			continue;
		/* Allocations and frees may go in any order among themselves
		 * (nothing on the disk depends on their order): by block
		 * number, so neighbours go together. The others keep theirs. */
		if (cls != B_NORMAL) {
			sort_by_blk(list, n);
			rc = write_unordered(fs, list, n);
		} else {
			rc = write_list(fs, list, n);
		}
	}
	free(list);
	if (rc < 0) {
		bdrop(fs);
		return rc;
	}
	for (uint32_t i = 0; i < fs->ndirty; i++)
		fs->dirty[i]->dirty = 0;
	fs->ndirty = 0;
	return 0;
}

void bdrop(struct ext2_fs *fs)
{
	/* What is in memory no longer matches the disk: forget it all. */
	for (uint32_t i = 0; i < fs->ndirty; i++) {
		struct buf *b = fs->dirty[i];

		b->dirty = 0;
		if (!b->pins)
			discard(fs, b);
		else {
			/* Held by a caller: never found again, recycled later. */
			unhash(fs, b);
			b->blk = ~0ull;
			b->hnext = fs->hash[b->blk % HASH];
			fs->hash[b->blk % HASH] = b;
		}
	}
	fs->ndirty = 0;
}

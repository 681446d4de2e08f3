/*
 * tmpfs's mapped files (docs/files.md, "Mapped files"): a regular file
 * that one open file has alone may be mapped by its process through a
 * file representative (fs.idl `map`). The kernel's file FCM for that FR
 * is then the file's cache: the mapper reads and writes its pages with
 * no call, and this server
 *  - answers page-ins from the tree (and the window's last page with the
 *    meta page: size, shared);
 *  - takes dirty pages back into the tree (fr_ctl PULL) on fsync, on
 *    close, on the kernel's page-out requests, and before it reads a
 *    page for anyone else;
 *  - writes what others write into the resident pages too (PUSH) and
 *    drops the pages a truncation cut off (DROP), so the mapper sees
 *    every change at once;
 *  - tells the mapper through the meta page while another open file
 *    exists; the mapper goes back to calls at its next call, and if it
 *    made none before the other went, it never needs to.
 * At most MAP_MAX files are mapped at once (FRs are a kernel resource).
 * Calls and messages run one at a time (main.c), so nothing here locks.
 */
#include <string.h>
#include <k42/k42.h>
#include "fs.h"
#include "mapped.h"

#define MAP_MAX 32
#define META_OFF (FS_MAP_WINDOW - TFS_PAGE)

static struct tnode *slots[MAP_MAX];	/* file id = slot: a page-in names its node */
static uint8_t page[TFS_PAGE];
uint64_t tmap_pageouts;			/* kernel page-out requests answered */

static void store(struct tfs *fs, struct tnode *n, uint64_t off)
{
	uint64_t len;

	if (off >= n->size)
		return;	/* past the end: a truncation made it garbage */
	len = n->size - off < TFS_PAGE ? n->size - off : TFS_PAGE;
	/* The pages exist (tfs_fill at map and on growth): this cannot fail
	 * for lack of space. */
	(void)tfs_write(fs, n, off, page, len);
}

/* Take back every dirty page in [off, off + len). */
void tmap_pull(struct tfs *fs, struct tnode *n, uint64_t off, uint64_t len)
{
	uint64_t pg, end;

	if (!n->fr || !len)
		return;
	pg = off / TFS_PAGE;
	end = (off + len + TFS_PAGE - 1) / TFS_PAGE;
	while (pg < end) {
		long at = k42_sc_fr_ctl(n->fr, K42_FR_CTL_PULL, pg * TFS_PAGE, (uint64_t)page, end - pg);

		if (at < 0)
			return;
		store(fs, n, (uint64_t)at);
		pg = (uint64_t)at / TFS_PAGE + 1;
	}
}

void tmap_pull_all(struct tfs *fs, struct tnode *n)
{
	tmap_pull(fs, n, 0, META_OFF);
}

static void push_meta(struct tnode *n)
{
	struct fs_map_meta m = { n->size, n->map_shared, 0 };

	(void)k42_sc_fr_ctl(n->fr, K42_FR_CTL_PUSH, META_OFF, (uint64_t)&m, sizeof(m));
}

long tmap_grant(struct tfs *fs, struct tnode *n, int writable, uint64_t *fr)
{
	long rc;
	int slot;

	if (n->kind != TK_REG)
		return -K42_EINVAL;
	if (n->opens != 1)
		return -K42_EBUSY;
	if (n->size > META_OFF)
		return -K42_EFBIG;
	if (writable && (rc = tfs_fill(fs, n)) < 0)
		return rc;
	if (!n->fr) {
		for (slot = 0; slot < MAP_MAX && slots[slot]; slot++)
			;
		if (slot == MAP_MAX)
			return -K42_EBUSY;
		long h = k42_sc_fr_create((uint64_t)slot, FS_MAP_WINDOW);

		if (h < 0)
			return h;
		if ((rc = k42_sc_fr_ctl((uint64_t)h, K42_FR_CTL_WRITABLE, 0, 0, 0)) < 0) {
			(void)k42_sc_fr_destroy((uint64_t)h);
			return rc;
		}
		n->fr = (uint64_t)h;
		n->map_slot = slot;
		slots[slot] = n;
	}
	n->map_shared = 0;
	push_meta(n);
	*fr = n->fr;
	return 0;
}

void tmap_opened(struct tnode *n)
{
	if (n->fr && n->opens > 1 && !n->map_shared) {
		n->map_shared = 1;
		push_meta(n);
	}
}

void tmap_wrote(struct tfs *fs, struct tnode *n, uint64_t off, const void *data, uint64_t len,
		uint64_t old_size)
{
	const uint8_t *in = data;

	if (!n->fr)
		return;
	if (n->size > old_size)
		(void)tfs_fill(fs, n);	/* a page the mapper may dirty must exist */
	while (len) {
		uint64_t k = TFS_PAGE - off % TFS_PAGE < len ? TFS_PAGE - off % TFS_PAGE : len;

		(void)k42_sc_fr_ctl(n->fr, K42_FR_CTL_PUSH, off, (uint64_t)in, k);
		off += k;
		in += k;
		len -= k;
	}
	if (n->size != old_size)
		push_meta(n);
}

long tmap_resized(struct tfs *fs, struct tnode *n, uint64_t old_size)
{
	static const uint8_t zeros[TFS_PAGE];
	long rc = 0;

	if (!n->fr)
		return 0;
	if (n->size < old_size) {
		uint64_t keep = (n->size + TFS_PAGE - 1) / TFS_PAGE;

		(void)k42_sc_fr_ctl(n->fr, K42_FR_CTL_DROP, keep * TFS_PAGE, 0, 0);
		if (n->size % TFS_PAGE)
			(void)k42_sc_fr_ctl(n->fr, K42_FR_CTL_PUSH, n->size, (uint64_t)zeros,
					    TFS_PAGE - n->size % TFS_PAGE);
	} else if (n->size > old_size) {
		rc = tfs_fill(fs, n);
	}
	push_meta(n);
	return rc;
}

void tmap_closing(struct tfs *fs, struct tnode *n)
{
	if (!n->fr)
		return;
	tmap_pull_all(fs, n);
	if (n->opens > 1) {
		if (n->opens == 2 && n->map_shared) {
			/* One open file stays: if it is the mapper, it may
			 * go on with no calls (it never saw the other). */
			n->map_shared = 0;
			push_meta(n);
		}
		return;
	}
	/* The last open file goes: so does the FR (a mapping that outlives
	 * it keeps its resident pages, and nothing is dirty any more). */
	(void)k42_sc_fr_destroy(n->fr);
	slots[n->map_slot] = NULL;
	n->fr = 0;
	n->map_shared = 0;
}

/* The kernel asks for a page (K42_MSG_FR_PAGEIN) or wants a dirty one
 * taken back (K42_MSG_FR_PAGEOUT). */
int tmap_message(struct tfs *fs, const struct k42_msg *m)
{
	uint64_t off = m->w[2];
	struct tnode *n = m->w[1] < MAP_MAX ? slots[m->w[1]] : NULL;

	if (m->sender != 0 || (m->op != K42_MSG_FR_PAGEIN && m->op != K42_MSG_FR_PAGEOUT))
		return 0;
	if (!n || n->fr != m->w[0] || off % TFS_PAGE) {
		if (m->op == K42_MSG_FR_PAGEIN)
			(void)k42_sc_fr_complete(m->w[0], off, (uint64_t)-K42_EINVAL);
		return 1;
	}
	if (m->op == K42_MSG_FR_PAGEOUT) {
		tmap_pull(fs, n, off, TFS_PAGE);
		tmap_pageouts++;
		return 1;
	}
	if (off == META_OFF) {
		struct fs_map_meta meta = { n->size, n->map_shared, 0 };

		memset(k42_ppc_page(), 0, TFS_PAGE);
		memcpy(k42_ppc_page(), &meta, sizeof(meta));
	} else {
		long got = tfs_read(fs, n, off, k42_ppc_page(), TFS_PAGE);

		memset((uint8_t *)k42_ppc_page() + (got > 0 ? got : 0), 0,
		       TFS_PAGE - (uint64_t)(got > 0 ? got : 0));
	}
	(void)k42_sc_fr_complete(m->w[0], off, 0);
	return 1;
}

/*
 * Page map: a radix tree standing in for a virtual array (see mm/pagemap.h).
 * Level 0 is the leaf level; a tree of height h has h levels and holds
 * keys below 2^(8h). Growing adds a new root above the old one.
 */
#include <k42/errno.h>
#include <mm/kmem.h>
#include <mm/pagemap.h>

#define NODE_BYTES (PAGEMAP_SLOTS * sizeof(void *))

static unsigned slot_of(uint64_t key, unsigned level)
{
	return (unsigned)(key >> (level * PAGEMAP_BITS)) & (PAGEMAP_SLOTS - 1);
}

static int fits(const struct pagemap *m, uint64_t key)
{
	return m->height >= 8 || (key >> (m->height * PAGEMAP_BITS)) == 0;
}

void *pagemap_get(const struct pagemap *m, uint64_t key)
{
	void **node = m->root;

	if (!node || !fits(m, key))
		return NULL;
	for (unsigned level = m->height - 1; level > 0; level--) {
		node = node[slot_of(key, level)];
		if (!node)
			return NULL;
	}
	return node[slot_of(key, 0)];
}

static void **node_alloc(struct pagemap *m)
{
	void **n = kmem_alloc(NODE_BYTES);	/* zeroed */

	if (n)
		m->nodes++;
	return n;
}

int pagemap_set(struct pagemap *m, uint64_t key, void *val)
{
	void **node;

	if (!m->root) {
		if (!(m->root = node_alloc(m)))
			return -K42_ENOMEM;
		m->height = 1;
	}
	/* Grow upwards until key fits: the old root becomes slot 0. */
	while (!fits(m, key)) {
		void **top = node_alloc(m);

		if (!top)
			return -K42_ENOMEM;
		top[0] = m->root;
		m->root = top;
		m->height++;
	}
	node = m->root;
	for (unsigned level = m->height - 1; level > 0; level--) {
		void **next = node[slot_of(key, level)];

		if (!next) {
			/* Nodes made on the way down stay (empty) if a later
			 * one fails: harmless, freed by pagemap_destroy. */
			if (!(next = node_alloc(m)))
				return -K42_ENOMEM;
			node[slot_of(key, level)] = next;
		}
		node = next;
	}
	node[slot_of(key, 0)] = val;
	return 0;
}

void pagemap_clear(struct pagemap *m, uint64_t key)
{
	void **node = m->root;

	if (!node || !fits(m, key))
		return;
	for (unsigned level = m->height - 1; level > 0; level--) {
		node = node[slot_of(key, level)];
		if (!node)
			return;
	}
	node[slot_of(key, 0)] = NULL;
}

static void free_subtree(struct pagemap *m, void **node, unsigned level)
{
	if (level > 0)
		for (unsigned i = 0; i < PAGEMAP_SLOTS; i++)
			if (node[i])
				free_subtree(m, node[i], level - 1);
	kmem_free(node, NODE_BYTES);
	m->nodes--;
}

void pagemap_destroy(struct pagemap *m)
{
	if (m->root)
		free_subtree(m, m->root, m->height - 1);
	m->root = NULL;
	m->height = 0;
}

/*
 * Permissions: whether the caller of the current operation may read,
 * write or search an inode, by its owner, group and mode bits, and the
 * owner of what it creates. The caller's ids are the kernel's
 * (proc_cred, read by ipc.c through proc_describe for the pid the kernel
 * gives with each call), never an argument; fs->enforce is off for the
 * host tests' direct use of the core (docs/storage.md, "Permissions").
 */
#include "ext2.h"

/* Linux's osd2 of an ext2 inode: the ids' high 16 bits at bytes 4 and 6. */
uint32_t e2_owner(const struct ext2_inode *in)
{
	return in->uid | (uint32_t)(in->osd2[4] | in->osd2[5] << 8) << 16;
}

uint32_t e2_group(const struct ext2_inode *in)
{
	return in->gid | (uint32_t)(in->osd2[6] | in->osd2[7] << 8) << 16;
}

void e2_set_owner(struct ext2_inode *in, uint32_t uid, uint32_t gid)
{
	in->uid = (uint16_t)uid;
	in->osd2[4] = (uint8_t)(uid >> 16);
	in->osd2[5] = (uint8_t)(uid >> 24);
	in->gid = (uint16_t)gid;
	in->osd2[6] = (uint8_t)(gid >> 16);
	in->osd2[7] = (uint8_t)(gid >> 24);
}

long e2_may(const struct ext2_fs *fs, const struct ext2_inode *in, unsigned want)
{
	unsigned bits;

	if (!fs->enforce || fs->uid == 0)
		return 0;	/* uid 0 passes every check, as root does */
	if (fs->uid == e2_owner(in))
		bits = (in->mode >> 6) & 7;
	else if (fs->gid == e2_group(in))
		bits = (in->mode >> 3) & 7;
	else
		bits = in->mode & 7;
	return (bits & want) == want ? 0 : -K42_EACCES;
}

long e2_may_own(const struct ext2_fs *fs, const struct ext2_inode *in)
{
	return !fs->enforce || fs->uid == 0 || fs->uid == e2_owner(in) ? 0 : -K42_EPERM;
}

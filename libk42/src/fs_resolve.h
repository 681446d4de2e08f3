/*
 * Path resolution for the file layer's calls (fs.c, fs_names.c): a path
 * relative to dirfd or the current directory becomes a mount and a path
 * inside it, checked by walking the mount's server (idl/fs.idl).
 */
#ifndef LIBK42_FS_RESOLVE_H
#define LIBK42_FS_RESOLVE_H

#include "fsint.h"
#include "path.h"
#include "fs.h"	/* generated from idl/fs.idl */

struct walk_ctx {
	struct fs_stat st;
};

long k42_fs_resolve(int dirfd, const char *path, int flags, struct path_result *r,
		    struct walk_ctx *w);

#endif

/*
 * k42 error codes as C constants (K42_E*), built from the single table in
 * errors.def. Shared by kernel and user space.
 */
#ifndef K42_ERRNO_H
#define K42_ERRNO_H

enum k42_error {
	K42_EOK = 0,
#define K42_ERROR(name, num, msg) K42_E##name = (num),
#include <k42/errors.def>
#undef K42_ERROR
};

/* Human-readable text for a (positive or negative) k42 error code. */
static inline const char *k42_strerror(long err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
#define K42_ERROR(name, num, msg) case num: return msg;
#include <k42/errors.def>
#undef K42_ERROR
	default:
		return "unknown error";
	}
}

#endif

/*
 * libk42's host unit tests use the same check macros as the kernel's
 * (tests/host/check.h).
 */
#include "../host/check.h"

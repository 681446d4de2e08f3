/*
 * Offsets into the dispatcher's shared page (struct k42_disp_shared,
 * <k42/dispatcher.h>) for assembly code, which cannot include that
 * header; dispatcher.h checks each one at compile time.
 */
#ifndef K42_DISP_OFFSETS_H
#define K42_DISP_OFFSETS_H

#define K42_DISP_VECTOR_USED 2728	/* vector_used */

#endif

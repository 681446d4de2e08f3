/*
 * Offsets into the dispatcher's shared page (struct k42_disp_shared,
 * <k42/dispatcher.h>) for assembly code, which cannot include that
 * header; dispatcher.h checks each one at compile time. Also the bits
 * of its vector_used word (described there).
 */
#ifndef K42_DISP_OFFSETS_H
#define K42_DISP_OFFSETS_H

#define K42_DISP_VECTOR_USED 2728	/* vector_used */

#define K42_VECTOR_USED 1	/* the process used FP/VMX/VSX registers */
#define K42_VECTOR_QUAD 2	/* one CPU online, USED clear: lq/stq are cheap */

#endif

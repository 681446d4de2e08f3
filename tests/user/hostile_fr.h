/*
 * What hostile_fr_test and its helper (tests/user/hostile_fr.c) share:
 * the file, where each keeps its control words, the flags of each mode.
 */
#ifndef USER_HOSTILE_FR_H
#define USER_HOSTILE_FR_H

#define HFR_FILE_ID 9
#define HFR_PAGES 320		/* more than a file FCM keeps resident (256): evictions */
#define HFR_READS 400		/* page reads per client dispatcher */
#define HFR_FILE_VA 0x30000000ul
#define HFR_CTL 0x51000000ul	/* control words (hostile_fr.c says which) */

/* Server flags. */
#define HFR_SCRIBBLE 0x1
#define HFR_FORGE 0x2
#define HFR_MUTE 0x4

/* Client flags (its control word 1; always nonzero). */
#define HFR_CLI_GO 0x1
#define HFR_CLI_PREFETCH 0x2
#define HFR_CLI_ENABLED 0x4
#define HFR_CLI_LOOP 0x8
#define HFR_CLI_COW 0x10	/* also a copy-on-write view of the file, written */
#define HFR_COW_VA 0x38000000ul

#endif

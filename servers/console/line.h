/*
 * The console's line discipline: bytes typed in, echo and finished lines
 * out. Pure code (no kernel calls) so it can be driven by a test.
 */
#ifndef CONSOLE_LINE_H
#define CONSOLE_LINE_H

#include <stddef.h>
#include <stdint.h>

/* = CONSOLE_LINE_MAX (idl/console.idl; console.c checks they agree). A
 * longer line is dropped at Enter with a message naming the limit. */
#define LINE_MAX_BYTES 4064

enum line_event {
	LINE_NONE,	/* keep typing */
	LINE_DONE,	/* a line is finished: ld->line, ld->done bytes */
	LINE_CANCEL,	/* ^C, or a line over the limit: dropped, a waiting reader interrupted */
	LINE_EOF,	/* ^D on an empty line: end of file for one reader */
};

struct line_disc {
	char line[LINE_MAX_BYTES + 1];
	size_t len;	/* bytes of the line being typed */
	size_t done;	/* length of the line just finished */
	int newline;	/* it ended with Enter (not ^D, which sends it as it is) */
	int echo;
	int last_cr;	/* the previous byte was CR: a following LF is the same Enter */
	int overflow;	/* bytes were typed past LINE_MAX_BYTES: drop the line at Enter */
	/* Echo output, flushed by the caller after each byte. */
	char out[3 * LINE_MAX_BYTES + 8];
	size_t outlen;
};

void line_init(struct line_disc *ld, int echo);
/* Feed one byte. After LINE_DONE the finished line is in ld->line until
 * the next call; the caller copies it out at once. */
enum line_event line_feed(struct line_disc *ld, uint8_t c);

#endif

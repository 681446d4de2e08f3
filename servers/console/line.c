/*
 * Line editing for cooked mode: printable bytes are kept and echoed;
 * Enter (CR, LF or CR LF) finishes the line; backspace/DEL erases one
 * byte, ^U the whole line, ^C cancels it. Other control bytes are ignored,
 * and a full line takes no more bytes (a bell is echoed instead).
 */
#include <string.h>
#include "line.h"

#define CTRL(c) ((c) & 0x1f)

void line_init(struct line_disc *ld, int echo)
{
	memset(ld, 0, sizeof(*ld));
	ld->echo = echo;
}

static void put(struct line_disc *ld, const char *s)
{
	size_t n = strlen(s);

	if (ld->echo && ld->outlen + n <= sizeof(ld->out)) {
		memcpy(ld->out + ld->outlen, s, n);
		ld->outlen += n;
	}
}

enum line_event line_feed(struct line_disc *ld, uint8_t c)
{
	int was_cr = ld->last_cr;

	ld->last_cr = c == '\r';
	if (c == '\n' && was_cr)
		return LINE_NONE;
	if (c == '\r' || c == '\n') {
		put(ld, "\n");
		ld->line[ld->len] = 0;
		ld->done = ld->len;
		ld->len = 0;
		return LINE_DONE;
	}
	if (c == 0x7f || c == '\b') {
		if (ld->len) {
			ld->len--;
			put(ld, "\b \b");
		}
		return LINE_NONE;
	}
	if (c == CTRL('U')) {
		for (; ld->len; ld->len--)
			put(ld, "\b \b");
		return LINE_NONE;
	}
	if (c == CTRL('C')) {
		ld->len = 0;
		put(ld, "^C\n");
		return LINE_CANCEL;
	}
	if (c < 0x20 && c != '\t')
		return LINE_NONE;
	if (ld->len == LINE_MAX_BYTES) {
		put(ld, "\a");
		return LINE_NONE;
	}
	ld->line[ld->len++] = (char)c;
	if (ld->echo) {
		char s[2] = { (char)c, 0 };

		put(ld, s);
	}
	return LINE_NONE;
}

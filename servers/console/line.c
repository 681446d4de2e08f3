/*
 * Line editing for cooked mode: printable bytes are kept and echoed;
 * Enter (CR, LF or CR LF) finishes the line; backspace/DEL erases one
 * byte, ^U the whole line, ^C cancels it; ^D (VEOF) sends the line as it
 * is, without a newline, and on an empty line means end of file. Other
 * control bytes are ignored.
 * A line longer than LINE_MAX_BYTES is not cut: the extra bytes are not
 * kept (a bell is echoed), and at Enter the whole line is dropped with a
 * message naming the limit, as a cancel.
 */
#include <string.h>
#include "line.h"

#define CTRL(c) ((c) & 0x1f)
#define STR_(x) #x
#define STR(x) STR_(x)

void line_init(struct line_disc *ld, int echo)
{
	memset(ld, 0, sizeof(*ld));
	ld->echo = echo;
}

static void put_always(struct line_disc *ld, const char *s)
{
	size_t n = strlen(s);

	if (ld->outlen + n <= sizeof(ld->out)) {
		memcpy(ld->out + ld->outlen, s, n);
		ld->outlen += n;
	}
}

static void put(struct line_disc *ld, const char *s)
{
	if (ld->echo)
		put_always(ld, s);
}

enum line_event line_feed(struct line_disc *ld, uint8_t c)
{
	int was_cr = ld->last_cr;

	ld->last_cr = c == '\r';
	if (c == '\n' && was_cr)
		return LINE_NONE;
	if ((c == '\r' || c == '\n') && ld->overflow) {
		ld->len = 0;
		ld->overflow = 0;
		put_always(ld, "\nconsole: line longer than " STR(LINE_MAX_BYTES) " bytes; dropped\n");
		return LINE_CANCEL;
	}
	if (c == '\r' || c == '\n' || (c == CTRL('D') && ld->len && !ld->overflow)) {
		if (c != CTRL('D'))
			put(ld, "\n");
		ld->line[ld->len] = 0;
		ld->done = ld->len;
		ld->newline = c != CTRL('D');
		ld->len = 0;
		return LINE_DONE;
	}
	if (c == CTRL('D') && !ld->len)
		return LINE_EOF;
	if (c == 0x7f || c == '\b') {
		if (ld->len) {
			ld->len--;
			put(ld, "\b \b");
		}
		return LINE_NONE;
	}
	if (c == CTRL('U')) {
		ld->overflow = 0;
		for (; ld->len; ld->len--)
			put(ld, "\b \b");
		return LINE_NONE;
	}
	if (c == CTRL('C')) {
		ld->len = 0;
		ld->overflow = 0;
		put(ld, "^C\n");
		return LINE_CANCEL;
	}
	if (c < 0x20 && c != '\t')
		return LINE_NONE;
	if (ld->len == LINE_MAX_BYTES) {
		ld->overflow = 1;
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

/*
 * Generic console layer over the platform console: buffered polled input
 * (the platform hands over up to 16 bytes per poll) with a timeout.
 */
#include <arch/spr.h>
#include <kern/console.h>

static char inbuf[16];
static int in_head, in_count;

void console_write(const char *s, size_t len)
{
	arch_console_write(s, len);
}

int console_getc(uint64_t timeout_tb)
{
	uint64_t start = mftb();

	while (in_count == 0) {
		int n = arch_console_poll(inbuf, sizeof(inbuf));

		if (n > 0) {
			in_head = 0;
			in_count = n;
			break;
		}
		if (mftb() - start >= timeout_tb)
			return -1;
	}
	in_count--;
	return (unsigned char)inbuf[in_head++];
}

/*
 * termios basics on the console (docs/files.md), run from the shell by
 * the shell/tty session, which types at it: raw mode without echo gives
 * the bytes as typed; cooked mode with echo gives a line with its
 * newline; ^D on an empty line is end of file. The descriptors that are
 * not the tty refuse termios with ENOTTY.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>

static int failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		failures++;
		k42_printf("tty_test: FAILED %s\n", what);
	}
}

int main(uint64_t arg)
{
	struct k42_termios t, saved;
	char buf[64];
	uint16_t rows = 0, cols = 0;
	long n, got = 0;
	int fd;

	(void)arg;
	check(k42_tcgetattr(0, &saved) == 0, "tcgetattr");
	check((saved.lflag & (K42_ICANON | K42_ECHO)) == (K42_ICANON | K42_ECHO) &&
	      saved.cc[K42_VINTR] == 3 && saved.cc[K42_VEOF] == 4, "cooked with echo at the start");
	check(k42_tty_winsize(0, &rows, &cols) == 0 && rows == 24 && cols == 80, "window size");
	fd = k42_open("/dev/null", K42_O_RDONLY, 0);
	check(fd >= 0 && k42_tcgetattr(fd, &t) == -K42_ENOTTY, "/dev/null is not a tty");
	k42_close(fd);
	t = saved;
	t.cc[K42_VEOF] = 1;
	check(k42_tcsetattr(0, &t) == -K42_EINVAL, "VEOF is fixed");

	t = saved;
	t.lflag &= ~(uint32_t)(K42_ICANON | K42_ECHO | K42_ISIG);
	check(k42_tcsetattr(0, &t) == 0 && k42_tcgetattr(0, &t) == 0 &&
	      !(t.lflag & (K42_ICANON | K42_ECHO)), "raw without echo");
	k42_printf("tty_test: raw\n");
	while (got < 3 && (n = k42_read(0, buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = 0;
	k42_printf("tty_test: raw read '%s'\n", buf);
	check(got == 3 && memcmp(buf, "abc", 3) == 0, "raw bytes as typed");

	check(k42_tcsetattr(0, &saved) == 0, "back to cooked");
	k42_printf("tty_test: cooked\n");
	n = k42_read(0, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	check(n == 6 && strcmp(buf, "hello\n") == 0, "a line with its newline");
	k42_printf("tty_test: line of %ld bytes\n", n);
	k42_printf("tty_test: waiting for end of file\n");
	n = k42_read(0, buf, sizeof(buf));
	check(n == 0, "^D on an empty line is end of file");
	k42_printf("tty_test: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}

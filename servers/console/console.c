/*
 * The console server: owns console input. A poller thread takes what the
 * hypervisor terminal has buffered (console_read, every 10 ms while idle),
 * runs it through the line discipline (line.c) and queues finished lines;
 * clients read them over idl/console.idl (read_line and read block until
 * a line is there — read keeps its newline and returns no bytes at end
 * of file, ^D — and end with -K42_EINTR when ^C cancels the line; ^C also
 * interrupts the foreground job, idl/ioevent.idl). Any number of
 * clients may wait at once, each call on its own thread: lines go to the
 * waiting readers in the order they asked (a line nobody waits for is
 * queued for the next reader). Output goes
 * straight to the kernel console. Registered as "console" with the name
 * server when there is one.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/procinfo.h>
#include <k42/obj.h>
#include <k42/fs.h>
#include "console.h"
#include "line.h"
#include "ioevent.h"

_Static_assert(LINE_MAX_BYTES == CONSOLE_LINE_MAX, "line.h and idl/console.idl disagree");

#define POLL_US		10000
#define QUEUE_LINES	16

static struct line_disc ld;
static console_mode_t mode = CONSOLE_MODE_COOKED;
static struct k42_mutex lock;		/* the queue, mode and readers */
/* Input not read yet: a line with its newline (if it had one), raw
 * bytes, or nothing at all for end of file (^D on an empty line). */
struct input {
	uint32_t len;
	char data[LINE_MAX_BYTES + 1];
};
static struct input queue[QUEUE_LINES];
static unsigned q_head, q_tail;		/* q_tail - q_head lines queued */
#define FG_MAX 8
static uint64_t fg[FG_MAX];		/* the foreground job (set_foreground) */
#define NOTIFY_MAX 16
static uint64_t notify[NOTIFY_MAX];	/* pids polling for input (console_pending) */

/* Input arrived: tell every poller once (they re-arm). Lock held. */
static void notify_all(void)
{
	for (int i = 0; i < NOTIFY_MAX; i++) {
		if (notify[i]) {
			(void)k42_io_notify(notify[i]);
			notify[i] = 0;
		}
	}
}

/* A reader waiting for a line (on its serving thread's stack). */
struct reader {
	struct reader *next;
	char *line;
	uint32_t cap;
	int bytes;		/* read (bytes, newline kept), not read_line (a string) */
	uint32_t len;		/* read: bytes handed over */
	int done;
	long rc;
	struct k42_cond cv;
};
static struct reader *readers, **readers_tail = &readers;

/* Copy input into r's buffer the way r asked for it. */
static void copy_out(struct reader *r, const struct input *in)
{
	uint32_t n = in->len;

	if (r->bytes) {
		if (n > r->cap)
			n = r->cap;
		memcpy(r->line, in->data, n);
		r->len = n;
		return;
	}
	if (n && in->data[n - 1] == '\n')
		n--;
	if (n > r->cap - 1)
		n = r->cap - 1;
	memcpy(r->line, in->data, n);
	r->line[n] = 0;
}

static void hand_over(struct reader *r, const struct input *in, long rc)
{
	readers = r->next;
	if (!readers)
		readers_tail = &readers;
	copy_out(r, in);
	r->rc = rc;
	r->done = 1;
	k42_cond_signal(&r->cv);
}

/* n bytes of s, and a newline if nl; n == 0 without nl is end of file. */
static void push_line(const char *s, size_t n, int nl)
{
	struct input *in = &queue[q_tail % QUEUE_LINES];

	if (!readers && q_tail - q_head == QUEUE_LINES) {
		q_head++;		/* nobody reads: the oldest line goes */
	}
	if (n > LINE_MAX_BYTES)
		n = LINE_MAX_BYTES;
	memcpy(in->data, s, n);
	if (nl)
		in->data[n++] = '\n';
	in->len = (uint32_t)n;
	if (readers)
		hand_over(readers, in, 0);	/* the reader that asked first */
	else
		q_tail++;
	notify_all();
}

static void take_input(const uint8_t *buf, long n)
{
	k42_mutex_lock(&lock);
	if (mode == CONSOLE_MODE_RAW) {
		if (ld.echo)
			k42_sc_debug_write((uint64_t)buf, (uint64_t)n);
		push_line((const char *)buf, (size_t)n, 0);
	} else {
		for (long i = 0; i < n; i++) {
			enum line_event ev = line_feed(&ld, buf[i]);

			if (ld.outlen) {
				k42_sc_debug_write((uint64_t)ld.out, ld.outlen);
				ld.outlen = 0;
			}
			if (ev == LINE_DONE)
				push_line(ld.line, ld.done, ld.newline);
			else if (ev == LINE_EOF)
				push_line("", 0, 0);
			else if (ev == LINE_CANCEL) {
				/* ^C: the foreground job is told, then a call it
				 * waits in is cancelled (it ends -K42_EINTR, and the
				 * job takes the news once it runs), then forgotten. */
				for (int j = 0; j < FG_MAX; j++) {
					if (fg[j] && ioevent_interrupt(fg[j]) < 0)
						k42_printf("console: ^C not delivered to pid %lu\n", fg[j]);
					if (fg[j])
						(void)k42_sc_ppc_cancel(fg[j]);
					fg[j] = 0;
				}
				while (readers)		/* ^C: every waiting reader */
					hand_over(readers, &(struct input){ 0 }, -K42_EINTR);
				notify_all();
			}
		}
	}
	k42_mutex_unlock(&lock);
}

static void *poll_input(void *arg)
{
	uint8_t buf[256];

	(void)arg;
	for (;;) {
		long n = k42_sc_console_read((uint64_t)buf, sizeof(buf));

		if (n > 0) {
			take_input(buf, n);
		} else if (n == -K42_EPERM) {
			k42_puts("console: not given the console privilege (privileges=console in "
				 "the boot configuration): no input\n");
			return NULL;
		} else
			k42_thread_sleep_us(POLL_US);
	}
	return NULL;
}

long console_write_impl(const struct k42_ipc_caller *caller, const uint8_t *data,
			uint32_t data_len, uint32_t *written)
{
	(void)caller;
	k42_sc_debug_write((uint64_t)data, data_len);
	*written = data_len;
	return 0;
}

/* Take the next input into me, waiting for it if there is none. */
static long take(struct reader *me)
{
	long rc = 0;

	k42_mutex_lock(&lock);
	if (q_head != q_tail) {
		copy_out(me, &queue[q_head % QUEUE_LINES]);
		q_head++;
	} else {
		k42_cond_init(&me->cv);
		*readers_tail = me;
		readers_tail = &me->next;
		while (!me->done)
			k42_cond_wait(&me->cv, &lock);
		rc = me->rc;
	}
	k42_mutex_unlock(&lock);
	return rc;
}

long console_read_line_impl(const struct k42_ipc_caller *caller, char *line, uint32_t line_cap)
{
	struct reader me = { .line = line, .cap = line_cap };

	(void)caller;
	if (!line_cap)
		return -K42_EINVAL;
	return take(&me);
}

long console_read_impl(const struct k42_ipc_caller *caller, uint8_t *data, uint32_t data_cap,
		       uint32_t *data_len)
{
	struct reader me = { .line = (char *)data, .cap = data_cap, .bytes = 1 };
	long rc;

	(void)caller;
	rc = take(&me);
	*data_len = rc == 0 ? me.len : 0;
	return rc;
}

long console_set_mode_impl(const struct k42_ipc_caller *caller, console_mode_t m, bool echo)
{
	(void)caller;
	k42_mutex_lock(&lock);
	mode = m;
	ld.echo = echo;
	ld.len = 0;
	k42_mutex_unlock(&lock);
	return 0;
}

long console_get_mode_impl(const struct k42_ipc_caller *caller, console_mode_t *m, bool *echo)
{
	(void)caller;
	*m = mode;
	*echo = ld.echo != 0;
	return 0;
}

long console_pending_impl(const struct k42_ipc_caller *caller, uint64_t pid, uint32_t *lines)
{
	(void)caller;
	k42_mutex_lock(&lock);
	*lines = q_tail - q_head;
	if (pid && !*lines) {
		int free_slot = -1, i;

		for (i = 0; i < NOTIFY_MAX && notify[i] != pid; i++)
			if (!notify[i] && free_slot < 0)
				free_slot = i;
		if (i == NOTIFY_MAX && free_slot >= 0)
			notify[free_slot] = pid;
	}
	k42_mutex_unlock(&lock);
	return 0;
}

static int alive(uint64_t pid)
{
	struct k42_procinfo info;

	return k42_sc_proc_describe(pid, (uint64_t)&info) == 0;
}

/* ^C ends the foreground job, so a caller may put in it only itself and
 * its descendants (the shell its jobs), and take out only those: nobody
 * aims the user's ^C at a process it could not end itself. */
long console_set_foreground_impl(const struct k42_ipc_caller *caller, uint64_t pid, bool add)
{
	long rc = -K42_ENOSPC;

	if (add && !k42_proc_manages(caller->pid, pid))
		return -K42_EPERM;
	k42_mutex_lock(&lock);
	if (!add) {
		for (int i = 0; i < FG_MAX; i++)
			if (fg[i] && (k42_proc_manages(caller->pid, fg[i]) || !alive(fg[i])))
				fg[i] = 0;
		rc = 0;
	} else {
		for (int i = 0; i < FG_MAX && rc < 0; i++)
			if (!fg[i] || fg[i] == pid || !alive(fg[i])) {
				fg[i] = pid;
				rc = 0;
			}
	}
	k42_mutex_unlock(&lock);
	return rc;
}

long console_log_impl(const struct k42_ipc_caller *caller, const char *line)
{
	(void)caller;
	k42_printf("%s\n", line);
	return 0;
}

static void handle(uint64_t caller, struct k42_ipc_msg *m)
{
	/* Every client may write, read and control: there is one terminal. */
	struct k42_ipc_caller who = { caller, 0, ~0ull };

	if (k42_ipc_op_iface(m->op) != CONSOLE_IFACE_ID) {
		m->op = (uint64_t)-K42_ENOSYS;
		m->len = 0;
		return;
	}
	console_dispatch(&who, m);
}

int main(uint64_t arg)
{
	struct k42_sem forever;

	(void)arg;
	k42_mutex_init(&lock);
	line_init(&ld, 1);
	k42_serve_threads(handle);
	k42_thread_detach(k42_thread_create(poll_input, NULL));
	if (k42_name_server) {
		long rc = k42_name_register("console", ~0ull);

		if (rc < 0)
			k42_printf("console: cannot register with the name server: %s\n",
				   k42_strerror(rc));
	}
	k42_sem_init(&forever, 0);
	k42_sem_wait(&forever);
	return 0;
}

/*
 * Blocking calls on the Linux personality stop only their own thread, as
 * a static musl program with pthreads: a thread blocked in read() on an
 * empty pipe, one in poll(), one in nanosleep(), in accept(), recv() and
 * send() on AF_UNIX sockets, in open() of a named pipe, in pause() and
 * sigsuspend(), and in read() on the tty, each while the main thread goes
 * on making system calls (and, where it can, wakes the blocked thread by
 * writing, connecting, reading or opening). A watchdog
 * alarm (SIGALRM without SA_RESTART) ends a read that held up the whole
 * process, which the checks then report. One verdict line
 * ("blockio: ok ..."); exit 0 only if all of it held.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int failures;
static atomic_int ready, done;
static long result;
static int result_errno;
static char got[32];
static int pipe_a[2], pipe_b[2], lsock, spair[2];
static char big[256 * 1024];
#define FIFO_PATH "/tmp/blockio-fifo"
#define SOCK_PATH "/tmp/blockio-sock"

#define CHECK(cond, ...)                                  \
	do {                                              \
		if (!(cond)) {                            \
			printf("blockio: FAILED: " __VA_ARGS__); \
			printf("\n");                     \
			failures++;                       \
		}                                         \
	} while (0)

static void on_alarm(int sig)
{
	(void)sig;
}

static void start(void *(*fn)(void *), pthread_t *t)
{
	atomic_store(&ready, 0);
	atomic_store(&done, 0);
	result = 0;
	result_errno = 0;
	if (pthread_create(t, NULL, fn, NULL) != 0) {
		printf("blockio: FAILED: pthread_create\n");
		failures++;
		return;
	}
	while (!atomic_load(&ready))
		sched_yield();
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* getppid calls the main thread makes while another waits; returns
 * how many it made before the other finished or `max` were made. */
static long busy(long max)
{
	long n = 0;

	while (n < max && !atomic_load(&done)) {
		getppid();
		n++;
	}
	return n;
}

static void *pipe_reader(void *arg)
{
	(void)arg;
	atomic_store(&ready, 1);
	result = read(pipe_a[0], got, sizeof(got));
	result_errno = errno;
	atomic_store(&done, 1);
	return NULL;
}

static void *poller(void *arg)
{
	struct pollfd p = { .fd = pipe_b[0], .events = POLLIN };

	(void)arg;
	atomic_store(&ready, 1);
	result = poll(&p, 1, 10000);
	result_errno = p.revents;
	atomic_store(&done, 1);
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	atomic_store(&ready, 1);
	msleep(300);
	atomic_store(&done, 1);
	return NULL;
}

static void *acceptor(void *arg)
{
	(void)arg;
	atomic_store(&ready, 1);
	result = accept(lsock, NULL, NULL);
	result_errno = errno;
	atomic_store(&done, 1);
	return NULL;
}

static void *receiver(void *arg)
{
	(void)arg;
	atomic_store(&ready, 1);
	result = recv(spair[0], got, sizeof(got), 0);
	result_errno = errno;
	atomic_store(&done, 1);
	return NULL;
}

/* More than the pair holds: send() waits until the main thread reads. */
static void *sender(void *arg)
{
	(void)arg;
	memset(big, 's', sizeof(big));
	atomic_store(&ready, 1);
	result = send(spair[0], big, sizeof(big), 0);
	result_errno = errno;
	atomic_store(&done, 1);
	return NULL;
}

static void *fifo_opener(void *arg)
{
	(void)arg;
	atomic_store(&ready, 1);
	result = open(FIFO_PATH, O_RDONLY);
	result_errno = errno;
	if (result >= 0) {
		long n = read((int)result, got, sizeof(got));

		close((int)result);
		result = n;
	}
	atomic_store(&done, 1);
	return NULL;
}

static void *pauser(void *arg)
{
	(void)arg;
	atomic_store(&ready, 1);
	result = pause();	/* no signal comes: never returns */
	atomic_store(&done, 1);
	return NULL;
}

static void *suspender(void *arg)
{
	sigset_t none;

	(void)arg;
	sigemptyset(&none);
	sigaddset(&none, SIGALRM);	/* the watchdog stays the main thread's */
	atomic_store(&ready, 1);
	result = sigsuspend(&none);	/* no signal comes: never returns */
	atomic_store(&done, 1);
	return NULL;
}

/* The main thread's calls while a thread waits in a call that nothing
 * will end: the thread must still be waiting, and the calls all made. */
static void held(void *(*fn)(void *), const char *what)
{
	pthread_t t;
	long calls;

	start(fn, &t);
	calls = busy(2000);
	msleep(50);
	CHECK(!atomic_load(&done), "%s returned %ld", what, result);
	CHECK(calls == 2000, "main thread made %ld of 2000 calls while a thread waited in %s", calls,
	      what);
}

static void *tty_reader(void *arg)
{
	char c;

	(void)arg;
	atomic_store(&ready, 1);
	result = read(0, &c, 1);	/* nobody types: never returns */
	atomic_store(&done, 1);
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	pthread_t t;
	long calls;

	setvbuf(stdout, NULL, _IONBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: a held-up read ends */
	sigaction(SIGALRM, &sa, NULL);
	if (pipe(pipe_a) < 0 || pipe(pipe_b) < 0) {
		printf("blockio: FAILED: pipe\n");
		return 1;
	}
	alarm(20);

	/* 1. read() on an empty pipe in one thread; the main thread makes
	 * calls, sleeps, and then writes what the reader gets. */
	start(pipe_reader, &t);
	calls = busy(2000);
	msleep(50);
	CHECK(!atomic_load(&done), "pipe read returned %ld (errno %d) before anything was written",
	      result, result_errno);
	CHECK(calls == 2000, "main thread made %ld of 2000 calls while the reader waited", calls);
	CHECK(write(pipe_a[1], "hello", 5) == 5, "write to the pipe");
	pthread_join(t, NULL);
	CHECK(result == 5 && memcmp(got, "hello", 5) == 0, "reader got %ld bytes (errno %d)", result,
	      result_errno);

	/* 2. poll() with a 10 s timeout in one thread; the main thread's
	 * write ends it. */
	start(poller, &t);
	calls = busy(2000);
	msleep(50);
	CHECK(!atomic_load(&done), "poll returned %ld before anything was written", result);
	CHECK(calls == 2000, "main thread made %ld of 2000 calls while the poller waited", calls);
	CHECK(write(pipe_b[1], "x", 1) == 1, "write to the second pipe");
	pthread_join(t, NULL);
	CHECK(result == 1 && (result_errno & POLLIN), "poll gave %ld, revents 0x%x", result,
	      result_errno);

	/* 3. nanosleep() of 300 ms in one thread; the main thread keeps
	 * making calls all along. */
	start(sleeper, &t);
	calls = busy(1000000000L);
	pthread_join(t, NULL);
	CHECK(calls >= 100, "main thread made only %ld calls while another slept 300 ms", calls);

	/* 4. accept() on a listening AF_UNIX socket; the main thread's
	 * connect ends it. */
	{
		struct sockaddr_un sa_un = { .sun_family = AF_UNIX };
		int c;

		strcpy(sa_un.sun_path, SOCK_PATH);
		unlink(SOCK_PATH);
		lsock = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK(lsock >= 0 && bind(lsock, (struct sockaddr *)&sa_un, sizeof(sa_un)) == 0 &&
		      listen(lsock, 4) == 0, "listening socket (errno %d)", errno);
		start(acceptor, &t);
		calls = busy(2000);
		msleep(50);
		CHECK(!atomic_load(&done), "accept returned %ld (errno %d) before a connect", result,
		      result_errno);
		CHECK(calls == 2000, "main thread made %ld of 2000 calls while accept waited", calls);
		c = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK(connect(c, (struct sockaddr *)&sa_un, sizeof(sa_un)) == 0, "connect (errno %d)", errno);
		pthread_join(t, NULL);
		CHECK(result >= 0, "accept gave %ld (errno %d)", result, result_errno);
		if (result >= 0)
			close((int)result);
		close(c);
		close(lsock);
		unlink(SOCK_PATH);
	}

	/* 5. recv() on an empty socketpair, then send() of more than it
	 * holds; the main thread's send and reads end them. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, spair) == 0, "socketpair (errno %d)", errno);
	start(receiver, &t);
	calls = busy(2000);
	msleep(50);
	CHECK(!atomic_load(&done), "recv returned %ld (errno %d) before a send", result, result_errno);
	CHECK(calls == 2000, "main thread made %ld of 2000 calls while recv waited", calls);
	CHECK(send(spair[1], "sock!", 5, 0) == 5, "send to the pair");
	pthread_join(t, NULL);
	CHECK(result == 5 && memcmp(got, "sock!", 5) == 0, "recv gave %ld (errno %d)", result,
	      result_errno);
	start(sender, &t);
	calls = busy(2000);
	msleep(50);
	CHECK(!atomic_load(&done), "send of %zu bytes returned %ld before anything was read",
	      sizeof(big), result);
	CHECK(calls == 2000, "main thread made %ld of 2000 calls while send waited", calls);
	{
		static char sink[sizeof(big)];
		size_t taken = 0;
		long n;

		while (taken < sizeof(big) && (n = recv(spair[1], sink + taken, sizeof(big) - taken, 0)) > 0)
			taken += (size_t)n;
		pthread_join(t, NULL);
		CHECK(result == (long)sizeof(big) && taken == sizeof(big) && sink[0] == 's' &&
		      sink[sizeof(big) - 1] == 's', "send gave %ld, %zu read", result, taken);
	}
	close(spair[0]);
	close(spair[1]);

	/* 6. open() of a named pipe for reading waits for a writer; the
	 * main thread's open for writing ends it. */
	unlink(FIFO_PATH);
	CHECK(mkfifo(FIFO_PATH, 0600) == 0, "mkfifo (errno %d)", errno);
	start(fifo_opener, &t);
	calls = busy(2000);
	msleep(50);
	CHECK(!atomic_load(&done), "fifo open returned %ld (errno %d) with no writer", result,
	      result_errno);
	CHECK(calls == 2000, "main thread made %ld of 2000 calls while a fifo open waited", calls);
	{
		int w = open(FIFO_PATH, O_WRONLY);

		CHECK(w >= 0 && write(w, "fifo", 4) == 4, "fifo writer (errno %d)", errno);
		pthread_join(t, NULL);
		CHECK(result == 4 && memcmp(got, "fifo", 4) == 0, "fifo reader got %ld (errno %d)", result,
		      result_errno);
		close(w);
	}
	unlink(FIFO_PATH);

	/* 7. pause(), sigsuspend() and read() on the tty, which nothing
	 * ends; the main thread goes on and ends the process with them
	 * still waiting. */
	held(pauser, "pause");
	held(suspender, "sigsuspend");
	held(tty_reader, "a tty read");
	alarm(0);

	if (failures) {
		printf("blockio: FAILED: %d checks\n", failures);
		return 1;
	}
	printf("blockio: ok: pipe read, poll, nanosleep, accept, recv, send, fifo open, pause, "
	       "sigsuspend and tty read each blocked only their thread\n");
	return 0;	/* exit_group: the tty reader ends with the process */
}

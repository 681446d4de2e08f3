/*
 * Hostile file servers against the page-in send without the kernel lock
 * (`fr_send_*` in mm/; docs/smp.md, "File misses"), run as init; helper
 * tests/user/hostile_fr.c. A file server owns the shared page whose ring
 * the kernel writes page-in requests into: each round pairs a hostile
 * server with a client faulting on its file from every CPU (demand and
 * prefetching FCMs, faults waited for in the kernel and reflected), while
 * the server scribbles its ring's head, tail and slots from every other
 * CPU, forges completions, stops draining, or is killed with requests on
 * their way; two rounds give the client a copy-on-write view of the file
 * too, written from every CPU (fcm_cow_file_fault in mm/fcm_cow.c, off
 * the kernel lock). Meanwhile a victim reads a file of tests/file_server's
 * and checks every byte. Forged completions must all be refused, no
 * client may see a wrong byte (in the file or its view), a client of
 * a forging but answering server must read its file right, the kernel
 * must stand, and once everyone is gone the frames, kernel objects and
 * processes must be back where they started (a warm-up round first).
 */
#include <k42/procinfo.h>
#include "check.h"
#include "hostile_fr.h"

static uint64_t rd(long pid, uint64_t word)
{
	uint64_t v = 0;

	(void)k42_sc_mem_read((uint64_t)pid, HFR_CTL + 8 * word, (uint64_t)&v, 8);
	return v;
}

static int wr(long pid, uint64_t word, uint64_t v)
{
	return (int)k42_sc_mem_write((uint64_t)pid, HFR_CTL + 8 * word, (uint64_t)&v, 8);
}

/* A client of FR handle fr with flags cf (HFR_CLI_*). */
static long client(uint64_t fr, uint64_t cf)
{
	long c = k42_spawn_path("tests/hostile_fr", K42_PRIO_GENERAL, 2);
	int i;

	EXPECT(c > 0, "spawn client: %ld", c);
	if (c <= 0)
		return c;
	for (i = 0; i < 20000 && wr(c, 0, fr) != 0; i++)	/* (until it mapped its page) */
		k42_thread_sleep_us(500);
	EXPECT(wr(c, 1, cf | HFR_CLI_GO) == 0, "client %ld never mapped its control page", c);
	return c;
}

/* -1000 - state unless it exited; then its status. */
static int wait_end(long p, unsigned ms)
{
	int status = 0, state;

	for (unsigned i = 0; i < ms; i++) {
		struct k42_procinfo info;

		if (k42_sc_proc_describe((uint64_t)p, (uint64_t)&info) < 0 ||
		    info.state != K42_PROC_RUNNING)
			break;
		k42_thread_sleep_us(1000);
	}
	k42_sc_proc_kill((uint64_t)p);
	state = k42_wait((uint64_t)p, &status);
	return state == K42_PROC_EXITED ? status : -1000 - state;
}

static uint64_t reads_of(long c)
{
	uint64_t n = 0;

	for (int i = 0; i < 16; i++)
		n += rd(c, 8 + (uint64_t)i);
	return n;
}

/* The wrong bytes a running client has seen so far. */
static uint64_t wrong_of(long c)
{
	uint64_t n = 0;

	for (int i = 0; i < 16; i++)
		n += rd(c, 24 + (uint64_t)i);
	return n;
}

struct round {
	const char *what;
	uint64_t sflags, cflags;
	unsigned ms;		/* how long the client runs before the end */
	int must_finish;	/* the client reads all its file right */
	int server_first;	/* the server is killed before the client */
};

static const struct round rounds[] = {
	{ "forging server, demand client", HFR_FORGE, 0, 60000, 1, 0 },
	{ "forging server, prefetching reflected client", HFR_FORGE,
	  HFR_CLI_PREFETCH | HFR_CLI_ENABLED, 60000, 1, 0 },
	{ "scribbling forging server killed under a prefetching client",
	  HFR_SCRIBBLE | HFR_FORGE, HFR_CLI_PREFETCH, 1500, 0, 1 },
	{ "mute server, prefetching reflected client", HFR_MUTE,
	  HFR_CLI_PREFETCH | HFR_CLI_ENABLED, 800, 0, 0 },
	{ "scribbling server killed under a demand client", HFR_SCRIBBLE, 0, 1000, 0, 1 },
	{ "mute server killed under a demand client", HFR_MUTE, 0, 800, 0, 1 },
	/* Copy-on-write over the file (fcm_cow_file_fault without the
	 * kernel lock for resident pages; misses still ask the server). */
	{ "forging server, copy-on-write client", HFR_FORGE, HFR_CLI_COW, 60000, 1, 0 },
	{ "forging server killed under a copy-on-write client", HFR_FORGE, HFR_CLI_COW | HFR_CLI_LOOP,
	  700, 0, 1 },
};

static void one(const struct round *r, int verbose)
{
	long s = k42_spawn_path("tests/hostile_fr", K42_PRIO_GENERAL, 1 | r->sflags << 8), c;
	uint64_t fr = 0, answers = 0, accepted = 0, forged = 0, nreads, wrong = 0,
		 sent = k42_info(K42_INFO_FR_MISSES_UNLOCKED) + k42_info(K42_INFO_FR_AHEAD_UNLOCKED),
		 cow0 = k42_info(K42_INFO_COW_FILE_UNLOCKED);
	int i, st_c, st_s;

	EXPECT(s > 0, "spawn server: %ld", s);
	if (s <= 0)
		return;
	for (i = 0; i < 20000 && rd(s, 1) != 1; i++)
		k42_thread_sleep_us(500);
	fr = rd(s, 0);
	EXPECT(rd(s, 1) == 1 && fr, "%s: server never ready", r->what);
	c = client(fr, r->cflags);
	if (r->must_finish) {
		st_c = wait_end(c, r->ms);
		nreads = 0;	/* (it ended by itself: nothing to read) */
	} else {
		k42_thread_sleep_us(1000 * r->ms);
		nreads = reads_of(c);
		wrong = wrong_of(c);
		if (r->server_first) {
			answers = rd(s, 2);	/* (its counts, before it goes) */
			accepted = rd(s, 3);
			forged = rd(s, 4);
			st_s = wait_end(s, 0);
			EXPECT(st_s == -1000 - K42_PROC_KILLED, "%s: server %d", r->what, st_s);
			EXPECT(k42_sc_null() == 0, "%s: the kernel answers", r->what);
			/* Its client's faults fail now: it ends, or waits. */
			k42_thread_sleep_us(200000);
			wrong += wrong_of(c);	/* (0 once it ended) */
		}
		st_c = wait_end(c, 0);
	}
	if (!r->server_first) {
		answers = rd(s, 2);
		accepted = rd(s, 3);
		forged = rd(s, 4);
		st_s = wait_end(s, 0);
	}
	sent = k42_info(K42_INFO_FR_MISSES_UNLOCKED) + k42_info(K42_INFO_FR_AHEAD_UNLOCKED) - sent;
	cow0 = k42_info(K42_INFO_COW_FILE_UNLOCKED) - cow0;
	if (verbose)
		k42_printf("hostile_fr_test: %s: %lu page-ins sent without the kernel lock, %lu "
			   "answered, %lu forged completions (%lu accepted); client status %d, %lu "
			   "reads when ended, %lu wrong bytes; %lu copy-on-write faults without the "
			   "kernel lock\n",
			   r->what, sent, answers, forged, accepted, st_c, nreads, wrong, cow0);
	EXPECT(accepted == 0, "%s: %lu forged completions accepted", r->what, accepted);
	/* A server that lies or dies fails faults; it never shows a wrong
	 * byte, in the file or in a copy-on-write view of it. */
	EXPECT(wrong == 0, "%s: the client saw %lu wrong bytes", r->what, wrong);
	if ((r->cflags & HFR_CLI_COW) && r->must_finish)
		EXPECT(cow0 > 0, "%s: no copy-on-write fault resolved without the kernel lock",
		       r->what);
	if (r->must_finish) {
		EXPECT(st_c == 0, "%s: client status %d (wrong bytes or never done)", r->what, st_c);
		EXPECT(answers > 0 && forged > 0, "%s: %lu answers, %lu forged", r->what, answers,
		       forged);
	}
	EXPECT(k42_sc_null() == 0, "%s: the kernel answers", r->what);
}

static void session(int verbose)
{
	long honest = k42_spawn_path("tests/file_server", K42_PRIO_GENERAL, HFR_PAGES), victim;
	struct k42_ipc_msg m;
	long rc;
	int st;

	EXPECT(honest > 0, "spawn file_server: %ld", honest);
	m.op = k42_ipc_op(1, 1, 1, 0, 0);
	rc = k42_call((uint64_t)honest, &m, 1000);
	EXPECT(rc == 0 && m.w[1] == (uint64_t)HFR_PAGES * K42_PAGE_SIZE, "file_server: %ld", rc);
	if (rc != 0)
		return;
	victim = client(m.w[0], HFR_CLI_LOOP);
	for (unsigned i = 0; i < sizeof(rounds) / sizeof(rounds[0]); i++)
		one(&rounds[i], verbose);
	if (verbose)
		k42_printf("hostile_fr_test: the victim read %lu pages meanwhile\n", reads_of(victim));
	EXPECT(wr(victim, 2, 1) == 0, "stop the victim");
	st = wait_end(victim, 60000);
	EXPECT(st == 0, "victim: status %d (wrong bytes, or a dispatcher that never read)", st);
	st = wait_end(honest, 0);
	EXPECT(st == -1000 - K42_PROC_KILLED, "file_server: %d", st);
}

static uint64_t frames(uint64_t *objs)
{
	EXPECT(settle_deferred(30) == 0, "deferred frees never settled");
	k42_thread_sleep_us(10000);
	settle_deferred(30);
	*objs = k42_info(K42_INFO_KMEM_OBJECTS);
	return k42_info(K42_INFO_FREE_FRAMES) + k42_info(K42_INFO_KMEM_CACHED);
}

int main(uint64_t arg)
{
	uint64_t frames0, objs0, frames1, objs1;

	(void)arg;
	session(0);	/* warm-up: our own heap grows to what the rounds need */
	frames0 = frames(&objs0);
	session(1);
	frames1 = frames(&objs1);
	k42_printf("hostile_fr_test: %lu CPUs; free and cached frames %lu after the warm-up, %lu at "
		   "the end; kernel objects %lu, %lu; %lu processes\n",
		   k42_info(K42_INFO_CPUS_ONLINE), frames0, frames1, objs0, objs1,
		   k42_info(K42_INFO_PROCESSES));
	EXPECT(frames1 == frames0 && objs1 == objs0, "frames or kernel objects not returned");
	EXPECT(k42_info(K42_INFO_PROCESSES) == 1, "processes left");
	return verdict("hostile_fr_test");
}

/*
 * The file layer's per-file object hot swapped while it is used (run as
 * init; docs/hot-swap.md, "The file layer"): a /tmp file this process
 * alone has open is mapped (its unshared form: data and offset here).
 * Each round a second process (mapfile_child) opens it, which swaps our
 * open file to the server's shared form at our next access; both write
 * their parts and read everything through the server; the other closes
 * it, which swaps ours back to the mapped form at our next access, and
 * we write our part through the mapping again. Meanwhile two writer
 * threads of ours write and read back their own parts without pause,
 * in whichever form the file is. Checked: the form after each switch,
 * every writer read-back, every byte either side wrote as the other
 * sees it (our mapped writes reach the other through the server, its
 * writes reach our mapping; each byte of a writer's part in the other's
 * snapshot is one of that writer's writes from around then), and at the
 * end the whole file both through our descriptor and through the server.
 */
#include <stdlib.h>
#include <string.h>
#include <k42/fs.h>
#include <lib/fmt.h>
#include "check.h"
#include "suite.h"
#include "mapfile.h"

#define TMP_LIMIT (8ul << 20)
#define PART 16384ul			/* each writer's, ours, the child's */
#define FILE_SIZE (4 * PART)
#define OURS (2 * PART)
#define CHILDS (3 * PART)
#define WRITERS 2
static int nwriters = WRITERS;	/* "writers=N" (N <= WRITERS): fewer writer threads */
#define ROUNDS 25
#define PIECE 4096ul

static uint8_t got[MAPFILE_MAX], want[FILE_SIZE];
static int to_child = -1, from_child = -1, fd = -1;
static long child;

struct writer {
	int index;
	volatile uint64_t acked;	/* the last round written and read back whole */
	uint64_t rounds, mapped_rounds, shared_rounds, errors;
	uint8_t buf[PART], back[PART];
};

static struct writer writers[WRITERS];
static volatile int stop;

static uint64_t writer_seed(int w, uint64_t round)
{
	return 1000000ul * (uint64_t)(w + 1) + round;
}

/* Write our part in 4 KiB pieces, read it back whole, again and again. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t off = (uint64_t)w->index * PART;

	for (uint64_t r = 1; !stop; r++) {
		uint64_t seed = writer_seed(w->index, r);
		int mapped = k42_fs_mapped(fd);

		mapfile_pattern(w->buf, off, PART, seed);
		for (uint64_t p = 0; p < PART; p += PIECE) {
			long n = k42_pwrite(fd, w->buf + p, PIECE, (int64_t)(off + p));

			if (n != (long)PIECE) {
				k42_printf("writer %d: round %lu: pwrite at %lu: %ld\n", w->index, r,
					   off + p, n);
				w->errors++;
			}
		}
		if (k42_pread(fd, w->back, PART, (int64_t)off) != (long)PART ||
		    memcmp(w->back, w->buf, PART) != 0) {
			k42_printf("writer %d: round %lu: read back differs\n", w->index, r);
			w->errors++;
		}
		w->acked = r;
		w->rounds++;
		if (mapped == 1 && k42_fs_mapped(fd) == 1)
			w->mapped_rounds++;
		else if (mapped == 0 && k42_fs_mapped(fd) == 0)
			w->shared_rounds++;
		if (w->errors > 10)
			break;
		k42_thread_yield();
	}
	return NULL;
}

/* Every byte of writer w's part in `data` is one its writes put there:
 * the file's first content (round 0) or a round in [lo, hi]. (A piece is
 * one copy into one page, but the other process may read the page while
 * it is copied: bytes, not pieces.) */
static int writer_part_ok(int w, const uint8_t *data, uint64_t lo, uint64_t hi, const char *what)
{
	uint64_t off = (uint64_t)w * PART, cur = lo;

	for (uint64_t i = 0; i < PART; i++) {
		uint64_t r;

		if (data[i] == mapfile_byte(cur ? writer_seed(w, cur) : 1, off + i))
			continue;
		for (r = lo; r <= hi; r++)
			if (data[i] == mapfile_byte(r ? writer_seed(w, r) : 1, off + i))
				break;
		if (r > hi) {
			EXPECT(0, "%s: writer %d's byte %lu is %u: none of its rounds %lu..%lu\n", what,
			       w, off + i, data[i], lo, hi);
			return 0;
		}
		cur = r;
	}
	return 1;
}

static int same(const uint8_t *data, uint64_t off, uint64_t len, uint64_t seed, const char *what)
{
	for (uint64_t i = 0; i < len; i++) {
		if (data[i] != mapfile_byte(seed, off + i)) {
			EXPECT(0, "%s: byte %lu is %u, want %u (seed %lu)\n", what, off + i, data[i],
			       mapfile_byte(seed, off + i), seed);
			return 0;
		}
	}
	return 1;
}

static int get_bytes(void *b, uint64_t len)
{
	uint8_t *p = b;

	while (len) {
		long n = k42_read(from_child, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* One command to the child; its "ok" (0) or "err N" (-N). */
static long ask(const char *cmd)
{
	char line[32];
	size_t n = 0;

	if (k42_write(to_child, cmd, strlen(cmd)) != (long)strlen(cmd))
		return -K42_EPIPE;
	while (n + 1 < sizeof(line) && get_bytes(line + n, 1) == 0 && line[n] != '\n')
		n++;
	line[n] = 0;
	if (strcmp(line, "ok") == 0)
		return 0;
	return strncmp(line, "err ", 4) == 0 ? -(long)strtoul(line + 4, NULL, 0) : -K42_EIO;
}

/* The child reads the whole file it has open (through the server). */
static long child_reads(void)
{
	uint64_t len;

	if (k42_write(to_child, "r\n", 2) != 2 || get_bytes(&len, 8) < 0 || len > sizeof(got) ||
	    get_bytes(got, len) < 0)
		return -1;
	return (long)len;
}

static void start_child(void)
{
	const char *argv[] = { "mapfile_child", NULL };
	/* In our class: our writers never wait, and a lower class would
	 * never run on one CPU. */
	struct k42_spawn_opts o = { argv, K42_PRIO_SYSTEM, k42_name_server, 0, 0, 0 };
	int to[2], from[2], save0 = k42_dup(0), save1 = k42_dup(1);

	EXPECT(k42_pipe2(to, K42_O_CLOEXEC) == 0 && k42_pipe2(from, K42_O_CLOEXEC) == 0, "pipes\n");
	k42_dup2(to[0], 0);
	k42_dup2(from[1], 1);
	child = k42_spawn_path_ex("tests/mapfile_child", &o);
	k42_dup2(save0, 0);
	k42_dup2(save1, 1);
	k42_close(save0);
	k42_close(save1);
	EXPECT(child > 0, "spawn mapfile_child: %ld\n", child);
	k42_close(to[0]);
	k42_close(from[1]);
	to_child = to[1];
	from_child = from[0];
}

/* Our accesses until the file is mapped again (another of our threads
 * may be the one switching it back): 1 if it is. */
static int back_mapped(uint64_t seed, uint64_t round)
{
	char what[48];

	k_snprintf(what, sizeof(what), "round %lu: our part, read back", round);
	for (int i = 0; i < 200; i++) {
		if (k42_pread(fd, got, PART, (int64_t)OURS) != (long)PART || !same(got, OURS, PART, seed, what))
			return 0;
		if (k42_fs_mapped(fd) == 1)
			return 1;
		k42_thread_sleep_us(1000);
	}
	return 0;
}

static void rounds(void)
{
	uint64_t to_shared = 0, to_mapped = 0;
	k42_thread_t *t[WRITERS];
	char cmd[64], what[64];

	fd = k42_open("/tmp/swapfile", K42_O_CREAT | K42_O_RDWR | K42_O_TRUNC, 0644);
	EXPECT(fd >= 0, "create /tmp/swapfile: %d\n", fd);
	mapfile_pattern(want, 0, FILE_SIZE, 1);
	EXPECT(k42_pwrite(fd, want, FILE_SIZE, 0) == (long)FILE_SIZE, "write 64 KiB\n");
	EXPECT(k42_pread(fd, got, 1, 0) == 1 && k42_pread(fd, got, 1, 0) == 1 &&
	       k42_fs_mapped(fd) == 1, "mapped (the unshared form)\n");
	for (int w = 0; w < WRITERS; w++) {
		writers[w].index = w;
		writers[w].acked = 0;
		t[w] = NULL;
		if (w < nwriters) {
			t[w] = k42_thread_create(writer_main, &writers[w]);
			EXPECT(t[w] != NULL, "writer %d\n", w);
		}
	}
	for (uint64_t r = 1; r <= ROUNDS && failures < 10; r++) {
		uint64_t ours = 5000 + r, theirs = 7000 + r, lo[WRITERS], hi[WRITERS];
		long n;

		/* A second open file: ours goes to the server at its next
		 * access. The other sees what we wrote through our mapping
		 * (the server takes our dirty pages back first). */
		EXPECT(ask("o /tmp/swapfile\n") == 0, "round %lu: the child opens\n", r);
		n = child_reads();
		k_snprintf(what, sizeof(what), "round %lu: the child reads our mapped writes", r);
		EXPECT(n == (long)FILE_SIZE, "%s: %ld bytes\n", what, n);
		if (n == (long)FILE_SIZE)
			same(got + OURS, OURS, PART, r > 1 ? 9000 + r - 1 : 1, what);
		mapfile_pattern(want, OURS, PART, ours);
		EXPECT(k42_pwrite(fd, want, PART, (int64_t)OURS) == (long)PART, "round %lu: pwrite\n", r);
		n = k42_fs_mapped(fd);
		EXPECT(n == 0, "round %lu: after the other open, the shared form (%ld)\n", r, n);
		to_shared += n == 0;
		k_snprintf(what, sizeof(what), "round %lu: our part, through the server", r);
		EXPECT(k42_pread(fd, got, PART, (int64_t)OURS) == (long)PART, "%s\n", what);
		same(got, OURS, PART, ours, what);

		/* The child writes its part and reads everything, through the server. */
		k_snprintf(cmd, sizeof(cmd), "w %lu %lu %lu\n", CHILDS, PART, theirs);
		EXPECT(ask(cmd) == 0, "round %lu: the child writes\n", r);
		for (int w = 0; w < WRITERS; w++)
			lo[w] = writers[w].acked;
		n = child_reads();
		for (int w = 0; w < WRITERS; w++)
			hi[w] = writers[w].acked + 1;
		k_snprintf(what, sizeof(what), "round %lu: the child reads", r);
		EXPECT(n == (long)FILE_SIZE, "%s: %ld bytes\n", what, n);
		if (n == (long)FILE_SIZE) {
			same(got + OURS, OURS, PART, ours, what);
			same(got + CHILDS, CHILDS, PART, theirs, what);
			for (int w = 0; w < WRITERS; w++)
				writer_part_ok(w, got + (uint64_t)w * PART, lo[w], hi[w], what);
		}

		/* It closes: ours takes the mapped form back at its next access. */
		EXPECT(ask("c\n") == 0, "round %lu: the child closes\n", r);
		n = back_mapped(ours, r);
		EXPECT(n == 1, "round %lu: after the close, the unshared form again\n", r);
		to_mapped += n == 1;
		k_snprintf(what, sizeof(what), "round %lu: the child's part, through our mapping", r);
		EXPECT(k42_pread(fd, got, PART, (int64_t)CHILDS) == (long)PART, "%s\n", what);
		same(got, CHILDS, PART, theirs, what);
		/* Our part again, through the mapping this time. */
		mapfile_pattern(want, OURS, PART, 9000 + r);
		EXPECT(k42_pwrite(fd, want, PART, (int64_t)OURS) == (long)PART && k42_fs_mapped(fd) == 1,
		       "round %lu: pwrite through the mapping\n", r);
	}
	stop = 1;
	for (int w = 0; w < WRITERS; w++) {
		if (t[w])
			k42_thread_join(t[w], NULL);
		EXPECT(writers[w].errors == 0 && (writers[w].rounds > 0 || w >= nwriters),
		       "writer %d: %lu rounds, %lu errors\n", w, writers[w].rounds, writers[w].errors);
		mapfile_pattern(want + (uint64_t)w * PART, (uint64_t)w * PART, PART,
				writers[w].acked ? writer_seed(w, writers[w].acked) : 1);
	}
	EXPECT(!nwriters || (writers[0].mapped_rounds + writers[1].mapped_rounds > 0 &&
			     writers[0].shared_rounds + writers[1].shared_rounds > 0),
	       "the writers ran in both forms (%lu mapped, %lu shared rounds)\n",
	       writers[0].mapped_rounds + writers[1].mapped_rounds,
	       writers[0].shared_rounds + writers[1].shared_rounds);

	/* Every byte: through our descriptor (mapped), then through the server. */
	mapfile_pattern(want + OURS, OURS, PART, 9000 + ROUNDS);
	mapfile_pattern(want + CHILDS, CHILDS, PART, 7000 + ROUNDS);
	EXPECT(k42_fs_mapped(fd) == 1, "mapped at the end\n");
	EXPECT(k42_pread(fd, got, FILE_SIZE, 0) == (long)FILE_SIZE && memcmp(got, want, FILE_SIZE) == 0,
	       "the whole file through our mapping\n");
	EXPECT(ask("o /tmp/swapfile\n") == 0 && child_reads() == (long)FILE_SIZE &&
	       memcmp(got, want, FILE_SIZE) == 0 && ask("c\n") == 0,
	       "the whole file through the server\n");
	EXPECT(k42_close(fd) == 0, "close\n");
	EXPECT(k42_unlink("/tmp/swapfile") == 0, "unlink\n");
	k42_printf("fileswap_test: %lu rounds: mapped -> shared %lu times, back %lu times, every byte "
		   "checked (writer threads: %d, %lu rounds in the shared form)\n", (uint64_t)ROUNDS,
		   to_shared, to_mapped, nwriters, writers[0].shared_rounds + writers[1].shared_rounds);
}

int main(uint64_t arg)
{
	char size[32];
	const char *tmp_argv[] = { "tmpfs", "/tmp", size, NULL };
	const char *dev_argv[] = { "tmpfs", "/dev", "dev", NULL };
	struct k42_spawn_opts o = { tmp_argv, K42_PRIO_SYSTEM, 0, 0, 0, 0 };
	int status = -1;
	long rc;

	(void)arg;
	for (int i = 1; i < k42_argc; i++)
		if (strncmp(k42_argv[i], "writers=", 8) == 0 && (int)strtoul(k42_argv[i] + 8, NULL, 10) <= WRITERS)
			nwriters = (int)strtoul(k42_argv[i] + 8, NULL, 10);
	suite_name_server(NULL);
	rc = suite_server("servers/files", "files", K42_SPAWN_SHARE_ARCHIVE);
	EXPECT(rc > 0, "file server: %ld\n", rc);
	k_snprintf(size, sizeof(size), "%lu", TMP_LIMIT);
	o.name_server = k42_name_server;
	EXPECT(k42_spawn_path_ex("servers/tmpfs", &o) > 0, "tmpfs /tmp\n");
	o.argv = dev_argv;
	EXPECT(k42_spawn_path_ex("servers/tmpfs", &o) > 0, "tmpfs /dev\n");
	EXPECT(k42_name_wait("mnt/tmp", &(uint64_t){ 0 }, NULL, 2000) == 0 &&
	       k42_name_wait("mnt/dev", &(uint64_t){ 0 }, NULL, 2000) == 0, "mounts registered\n");
	k42_fs_remount();
	start_child();
	rounds();
	if (k42_write(to_child, "q\n", 2) == 2 && child > 0)
		k42_wait((uint64_t)child, &status);
	EXPECT(status == 0, "the child's status: %d\n", status);
	return verdict("fileswap_test");
}

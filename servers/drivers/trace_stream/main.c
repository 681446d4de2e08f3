/*
 * The trace streaming server (docs/tracing.md, "Streaming"): drains every
 * CPU's trace ring while the system runs and ships the blocks to the host
 * through a virtio console (virtio-serial, port 0), where `./k42 trace
 * --stream` reads them. The kernel must have put the rings in stream mode
 * (boot option tracemode=stream): writers then never overwrite a block
 * this server has not taken; when the ring is full they drop events and
 * count them, and the next block reports the count (control.lost), so an
 * overrun costs events, never corrupts them.
 *
 * Wire format: a dump header (struct k42_trace_dump_header, nsegs 0,
 * flags K42_TRACE_DUMP_F_STREAM) when the server starts, then one-block
 * segments (struct k42_trace_dump_seg + the block's words) in the order
 * they were taken: a dump file whose segment count is open.
 *
 * A block is copied out once every word of it is reserved (the index
 * moved past it) and every event in it is committed; one whose writer
 * died mid-event is copied after UNSETTLED_MS anyway (the decoder reports
 * that event pending). It goes back to the writers (cleared, `consumed`
 * advanced) only once the device has sent it, so a block on its way is
 * still in the ring if the machine powers off first, and the kernel's
 * power-off dump carries it. A block that stays partly filled for SEAL_MS is closed
 * (k42_trace_stream_seal) so a quiet CPU's last events still go out.
 * Transmissions complete by the device's interrupt (INTx as a soft
 * interrupt); up to SLOTS blocks are on the device at once, and when the
 * host reads slowly QEMU holds the queue and the rings fill.
 * Needs the `driver` privilege and the virtio console's PCI id
 * (boot.conf privileges=driver devices=1af4:1003).
 *
 * Lock order: lock (the queue's free slots, the wake-up condition); the
 * interrupt handler takes no lock (it runs disabled, and the loop disables
 * around the queue).
 */
#include <string.h>
#include <k42/errno.h>
#include <k42/k42.h>
#include <k42/ktrace.h>
#include <k42/sync.h>
#include <k42/syscalls.h>
#include "virtio.h"

#define MMIO_VA		0x60000000ul
#define DMA_VA		0x50000000ul
#define SLOTS		32		/* blocks on the device at once */
#define QSIZE		64		/* two descriptors per block */
#define HDR_PAGE	3		/* the stream header and every slot's segment header */
#define DATA_PAGE(s)	(4 + (s))	/* slot s's block */
#define NPAGES		(4 + SLOTS)
#define PAGE_VA(i)	(DMA_VA + (uint64_t)(i) * 4096ul)
#define SEG_OFF(s)	(64u + 64u * (s))	/* slot s's segment header in HDR_PAGE */
#define IRQ_BIT		K42_SOFTINTR_USER0
#define F_MULTIPORT	1
#define TX_QUEUE	5		/* port 1's transmitq (0/1 port 0, 2/3 control, 4/5 port 1) */
#define POLL_MS		20
#define SEAL_MS		200
#define UNSETTLED_MS	1000
#define BLOCK_BYTES	(8u << K42_TRACE_BLOCK_SHIFT)

_Static_assert(BLOCK_BYTES == 4096, "a block is one DMA page");
_Static_assert(SEG_OFF(SLOTS) <= 4096, "segment headers fit a page");
_Static_assert(2 * SLOTS <= QSIZE, "every slot fits the queue");

static struct virtio_dev v;
static struct virtq q;
static uint64_t pas[NPAGES];
static struct k42_mutex lock;
static struct k42_cond wake;
static uint32_t busy;			/* slots taken (lock) */
static uint32_t finished;		/* taken slots the device has sent (lock) */
static uint32_t done;			/* slots the device finished (atomic, from the handler) */
static uint32_t slot_cpu[SLOTS];	/* what a slot holds: CPU (NO_CPU: the stream header) */
static uint64_t slot_seq[SLOTS];	/*   and block */
#define NO_CPU	0xffffffffu
static uint64_t sent_blocks, forced, sealed, reaped;

/* Per CPU: the next block to copy and the oldest not yet released (this
 * server's own counts; the shared `consumed` is written, never trusted),
 * when the current partial block was first seen, and since when the
 * oldest ready block has been waiting for a writer. */
static struct {
	uint64_t next, unreleased;
	uint64_t partial_seq, partial_since;
	uint64_t wait_seq, wait_since;
} cpus[K42_TRACE_CPUS_MAX];

static void on_irq(uint64_t bits)
{
	if (!(bits & IRQ_BIT))
		return;
	virtio_irq_collect(&v, &q, &done);
	k42_cond_broadcast(&wake);
}

static uint64_t ms(uint64_t n)
{
	return n * k42_info(K42_INFO_TIMEBASE_HZ) / 1000;
}

/* Queue `n` buffers of the header page and slot pages; 0 or -K42_EAGAIN. */
static int send(const struct virtq_buf *b, int n, uint32_t slot)
{
	int was = k42_disable_save(), rc;

	rc = virtq_add(&q, b, n, (void *)(uintptr_t)(slot + 1));
	if (rc == 0)
		virtq_kick(&v, &q);
	k42_restore(was);
	return rc;
}

/* Collect finished transmissions the interrupt has not (a backstop: the
 * handler normally does it); how many. */
static int reap(void)
{
	void *cookie;
	uint32_t len;
	int was = k42_disable_save(), n = 0;

	while (virtq_get(&q, &cookie, &len)) {
		__atomic_or_fetch(&done, 1u << ((uintptr_t)cookie - 1), __ATOMIC_RELEASE);
		n++;
	}
	k42_restore(was);
	return n;
}

/*
 * Release what the device has sent, oldest first per CPU: a block goes
 * back to the writers only once it is out of the machine, so a block on
 * its way is never lost (at power-off the kernel's dump still holds it).
 * The device sends in order; the search does not rely on it.
 */
static void retire(unsigned ncpus)
{
	finished |= __atomic_exchange_n(&done, 0, __ATOMIC_ACQUIRE);
	for (int s = 0; s < SLOTS; s++)
		if ((finished & (1u << s)) && slot_cpu[s] == NO_CPU) {
			busy &= ~(1u << s);
			finished &= ~(1u << s);
		}
	for (unsigned c = 0; c < ncpus; c++) {
		int again = 1;

		while (again) {
			again = 0;
			for (int s = 0; s < SLOTS; s++)
				if ((finished & (1u << s)) && slot_cpu[s] == c &&
				    slot_seq[s] == cpus[c].unreleased) {
					k42_trace_stream_release(&k42_trace_user_bufs[c], slot_seq[s]);
					cpus[c].unreleased++;
					busy &= ~(1u << s);
					finished &= ~(1u << s);
					again = 1;
				}
		}
	}
}

/* A free slot, or -1 (lock held). */
static int slot_get(void)
{
	for (int s = 0; s < SLOTS; s++)
		if (!(busy & (1u << s))) {
			busy |= 1u << s;
			return s;
		}
	return -1;
}

/* Copy block seq of CPU c's ring into a slot and send it; false if no slot. */
static int ship(unsigned c, const struct k42_trace_buf *b, uint64_t seq)
{
	int s = slot_get();
	struct k42_trace_dump_seg *seg;
	struct virtq_buf bufs[2];

	if (s < 0)
		return 0;
	seg = (struct k42_trace_dump_seg *)(PAGE_VA(HDR_PAGE) + SEG_OFF(s));
	k42_trace_stream_copy(b, seq, seg, (uint64_t *)PAGE_VA(DATA_PAGE(s)));
	slot_cpu[s] = c;
	slot_seq[s] = seq;
	bufs[0] = (struct virtq_buf){ pas[HDR_PAGE] + SEG_OFF(s), sizeof(*seg), 0 };
	bufs[1] = (struct virtq_buf){ pas[DATA_PAGE(s)], BLOCK_BYTES, 0 };
	if (send(bufs, 2, (uint32_t)s) < 0) {
		busy &= ~(1u << s);	/* cannot happen: 2 * SLOTS descriptors */
		return 0;
	}
	sent_blocks++;
	return 1;
}

/* Ship what CPU c's ring has ready; close a block left partly filled too long. */
static void drain_cpu(unsigned c, uint64_t now)
{
	const struct k42_trace_buf *b = &k42_trace_user_bufs[c];
	uint64_t seq = cpus[c].next;

	for (;;) {
		if (!k42_trace_stream_ready(b, seq)) {
			uint64_t idx = __atomic_load_n(&b->ctl->index, __ATOMIC_RELAXED);

			if ((idx & b->block_mask) == 0 || (idx >> b->block_shift) != seq)
				return;	/* nothing begun (or the index ran ahead) */
			if (cpus[c].partial_seq != seq + 1) {
				cpus[c].partial_seq = seq + 1;	/* 0 = none */
				cpus[c].partial_since = now;
			} else if (now - cpus[c].partial_since >= ms(SEAL_MS) &&
				   k42_trace_stream_seal(b, now)) {
				sealed++;
				continue;	/* ready now; settled once its writers commit */
			}
			return;
		}
		if (!k42_trace_stream_settled(b, seq)) {
			if (cpus[c].wait_seq != seq + 1) {
				cpus[c].wait_seq = seq + 1;
				cpus[c].wait_since = now;
				return;
			}
			if (now - cpus[c].wait_since < ms(UNSETTLED_MS))
				return;
			forced++;	/* a writer died mid-event: its event goes as pending */
		}
		if (!ship(c, b, seq))
			return;
		cpus[c].next = ++seq;
	}
}

static int start_device(void)
{
	struct k42_trace_dump_header *h;
	struct virtq_buf hb;
	int rc = virtio_open(0x1003, 0, MMIO_VA, 1ull << F_MULTIPORT, &v);

	if (rc < 0)
		return rc;
	if ((rc = (int)k42_sc_dev_dma_alloc(DMA_VA, NPAGES, (uint64_t)pas)) < 0)
		return rc;
	k42_on_user_softintr(on_irq);
	if ((rc = (int)k42_sc_dev_irq_attach(v.pci.irq_source, IRQ_BIT)) < 0)
		return rc;
	if ((rc = virtq_setup(&v, TX_QUEUE, QSIZE, &q, DMA_VA, pas)) < 0)
		return rc;
	if (q.size < 2 * SLOTS)
		return -K42_ENOSPC;
	if ((rc = virtio_ready(&v)) < 0)
		return rc;
	/* The stream opens with a dump header; segments follow. */
	h = (struct k42_trace_dump_header *)PAGE_VA(HDR_PAGE);
	k42_trace_dump_header_init(h, k42_info(K42_INFO_TIMEBASE_HZ), k42_trace_mask(),
				   K42_TRACE_TABLE_HASH, 0);
	h->flags = K42_TRACE_DUMP_F_STREAM;
	hb = (struct virtq_buf){ pas[HDR_PAGE], sizeof(*h), 0 };
	busy = 1u << 0;	/* sent under slot 0's cookie, free again once it is sent */
	slot_cpu[0] = NO_CPU;
	return send(&hb, 1, 0);
}

int main(uint64_t arg)
{
	uint64_t ncpus = ((const volatile uint64_t *)K42_TRACE_VA)[K42_TRACE_INFO_CPUS];
	long rc;

	(void)arg;
	k42_mutex_init(&lock);
	k42_cond_init(&wake);
	if (ncpus == 0 || ncpus > K42_TRACE_CPUS_MAX || k42_trace_attach() < 0 ||
	    !k42_trace_user_bufs[0].ring) {
		k42_printf("trace_stream: no trace rings\n");
		return 1;
	}
	if (k42_trace_user_bufs[0].mode != K42_TRACE_MODE_STREAM) {
		k42_printf("trace_stream: the rings are in flight mode (boot with tracemode=stream)\n");
		return 0;	/* nothing to do: not an error to restart on */
	}
	rc = start_device();
	if (rc < 0) {
		k42_printf("trace_stream: no virtio console: %s\n", k42_strerror(rc));
		return 1;
	}
	for (unsigned c = 0; c < ncpus; c++)
		if (k42_trace_user_bufs[c].ring)
			cpus[c].next = cpus[c].unreleased =
				k42_trace_stream_next(&k42_trace_user_bufs[c]);
	k42_printf("trace_stream: streaming %lu CPU ring%s, irq 0x%x\n", ncpus, ncpus == 1 ? "" : "s",
		   v.pci.irq_source);
	k42_mutex_lock(&lock);
	for (;;) {
		uint64_t now = k42_timebase();

		if (reap() && !reaped++)
			k42_printf("trace_stream: a transmission completed without its interrupt\n");
		retire((unsigned)ncpus);
		for (unsigned c = 0; c < ncpus; c++)
			if (k42_trace_user_bufs[c].ring &&
			    k42_trace_user_bufs[c].mode == K42_TRACE_MODE_STREAM)
				drain_cpu(c, now);
		k42_cond_timedwait(&wake, &lock, now + ms(POLL_MS));
	}
	return 0;
}

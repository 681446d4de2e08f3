/*
 * The virtio-blk driver server (docs/devices.md): claims the first virtio
 * block device, serves idl/blk.idl under the name "blk", and is the only
 * process that touches the device. Calls are served on threads
 * (k42_serve_threads): a call takes one of SLOTS request slots (a header,
 * a status byte and BLK_BULK_MAX bytes of DMA memory), queues its virtio request
 * and sleeps until the device's interrupt, taken as a soft interrupt,
 * completes it; the other calls' requests go to the device meanwhile, so
 * up to SLOTS are in flight. read/write move data in the PPC page;
 * read_bulk/write_bulk copy it between the slot's pages and the memory the
 * caller granted for the call (k42_ipc_grant_read/write). Needs the
 * `driver` privilege (boot.conf privileges=driver).
 *
 * Lock order: io_lock (slots, queue submission); the interrupt handler
 * takes no lock (it runs disabled, and submission disables around
 * virtq_add, so the two never interleave on the queue).
 */
#include <string.h>
#include <k42/errno.h>
#include <k42/k42.h>
#include <k42/sync.h>
#include <k42/syscalls.h>
#include "blk.h"
#include "virtio.h"

#define MMIO_VA		0x60000000ul
#define DMA_VA		0x50000000ul
#define SLOTS		4	/* requests in flight */
#define SLOT_PAGES	(BLK_BULK_MAX / 4096)	/* a slot's data pages */
#define QSIZE		128	/* SLOTS * (SLOT_PAGES + 2) descriptors at most */
#define NPAGES		(3 + 1 + SLOTS * SLOT_PAGES)	/* queue; headers and status bytes; data */
#define HDR_VA		(DMA_VA + 3 * 4096)
#define HDR_OFF(s)	((s) * 64u)		/* a slot's header in the header page */
#define STATUS_OFF(s)	(2048u + (s))		/* its status byte */
#define DATA_PAGE(s)	(4 + (s) * SLOT_PAGES)	/* the slot's first data page in pas[] */
#define DATA_VA(s)	(DMA_VA + DATA_PAGE(s) * 4096ul)

_Static_assert(SLOTS * (SLOT_PAGES + 2) <= QSIZE, "a full set of requests fits the queue");
_Static_assert(BLK_BULK_MAX % 4096 == 0 && NPAGES <= 256, "dev_dma_alloc takes 256 pages");
#define IRQ_BIT		K42_SOFTINTR_USER0
#define F_FLUSH		9
#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4
#define S_OK		0

struct req_hdr {
	uint32_t type, reserved;
	uint64_t sector;
};

static struct virtio_dev v;
static struct virtq q;
static uint64_t pas[NPAGES], capacity;
static struct k42_mutex io_lock;
static struct k42_cond io_changed;	/* a request completed or a slot freed */
static uint32_t busy;			/* slots in use (io_lock) */
static uint32_t done;			/* slots whose request completed (atomic) */
static uint32_t in_flight, most_in_flight;
static uint64_t requests;

/* Soft interrupt (disabled): drop INTx, collect the requests, unmask. */
static void on_irq(uint64_t bits)
{
	if (!(bits & IRQ_BIT))
		return;
	virtio_irq_collect(&v, &q, &done);
	k42_cond_broadcast(&io_changed);
}

/* A free slot (io_lock held; waits while all are busy). */
static uint32_t slot_get(void)
{
	while (busy == (1u << SLOTS) - 1)
		k42_cond_wait(&io_changed, &io_lock);
	for (uint32_t s = 0;; s++)
		if (!(busy & (1u << s))) {
			busy |= 1u << s;
			return s;
		}
}

static void slot_put(uint32_t s)
{
	busy &= ~(1u << s);
	k42_cond_broadcast(&io_changed);
}

/* Run slot s's request (io_lock held, dropped while the device works, so
 * other calls queue theirs); its status. */
static int run(uint32_t s, uint32_t type, uint64_t sector, uint32_t bytes)
{
	struct req_hdr *h = (struct req_hdr *)(HDR_VA + HDR_OFF(s));
	volatile uint8_t *status = (volatile uint8_t *)(HDR_VA + STATUS_OFF(s));
	struct virtq_buf b[SLOT_PAGES + 2];
	int n = 0, was, rc;

	h->type = type;
	h->reserved = 0;
	h->sector = sector;
	*status = 0xff;
	b[n++] = (struct virtq_buf){ pas[3] + HDR_OFF(s), sizeof(*h), 0 };
	/* The data: one descriptor per run of physically adjacent pages. */
	for (uint32_t off = 0; off < bytes; off += 4096) {
		uint64_t pa = pas[DATA_PAGE(s) + off / 4096];
		uint32_t len = bytes - off < 4096 ? bytes - off : 4096;

		if (n > 1 && b[n - 1].pa + b[n - 1].len == pa)
			b[n - 1].len += len;
		else
			b[n++] = (struct virtq_buf){ pa, len, type == T_IN };
	}
	b[n++] = (struct virtq_buf){ pas[3] + STATUS_OFF(s), 1, 1 };
	__atomic_and_fetch(&done, ~(1u << s), __ATOMIC_RELAXED);
	was = k42_disable_save();	/* the interrupt handler also works the queue */
	rc = virtq_add(&q, b, n, (void *)(uintptr_t)(s + 1));
	if (rc == 0)
		virtq_kick(&v, &q);
	k42_restore(was);
	if (rc < 0)
		return -K42_EAGAIN;
	requests++;
	if (++in_flight > most_in_flight)
		most_in_flight = in_flight;
	/* Timed: the interrupt may come between the test and the wait. */
	while (!(__atomic_load_n(&done, __ATOMIC_ACQUIRE) & (1u << s)))
		k42_cond_timedwait(&io_changed, &io_lock,
				   k42_timebase() + k42_info(K42_INFO_TIMEBASE_HZ) / 100);
	in_flight--;
	return *status == S_OK ? 0 : -K42_EIO;
}

long blk_stats_impl(const struct k42_ipc_caller *caller, uint64_t *n, uint32_t *most)
{
	(void)caller;
	k42_mutex_lock(&io_lock);
	*n = requests;
	*most = most_in_flight;
	k42_mutex_unlock(&io_lock);
	return 0;
}

long blk_info_impl(const struct k42_ipc_caller *caller, uint64_t *sectors, uint32_t *sector_bytes)
{
	(void)caller;
	*sectors = capacity;
	*sector_bytes = BLK_SECTOR_SIZE;
	return 0;
}

long blk_read_impl(const struct k42_ipc_caller *caller, uint64_t sector, uint32_t count,
		   uint8_t *data, uint32_t data_cap, uint32_t *data_len)
{
	uint32_t bytes = count * BLK_SECTOR_SIZE, s;
	long rc;

	(void)caller;
	if (count == 0 || bytes > data_cap || sector >= capacity || count > capacity - sector)
		return -K42_EINVAL;
	k42_mutex_lock(&io_lock);
	s = slot_get();
	rc = run(s, T_IN, sector, bytes);
	if (rc == 0) {
		memcpy(data, (void *)DATA_VA(s), bytes);
		*data_len = bytes;
	}
	slot_put(s);
	k42_mutex_unlock(&io_lock);
	return rc;
}

long blk_write_impl(const struct k42_ipc_caller *caller, uint64_t sector, const uint8_t *data,
		    uint32_t data_len)
{
	uint32_t count = data_len / BLK_SECTOR_SIZE, s;
	long rc;

	(void)caller;
	if (!data_len || data_len % BLK_SECTOR_SIZE || sector >= capacity || count > capacity - sector)
		return -K42_EINVAL;
	k42_mutex_lock(&io_lock);
	s = slot_get();
	memcpy((void *)DATA_VA(s), data, data_len);
	rc = run(s, T_OUT, sector, data_len);
	slot_put(s);
	k42_mutex_unlock(&io_lock);
	return rc;
}

/* A bulk transfer's sectors: at least one, at most BLK_BULK_MAX bytes, on the disk. */
static int bulk_range_ok(uint64_t sector, uint32_t count)
{
	return count != 0 && count <= BLK_BULK_MAX / BLK_SECTOR_SIZE && sector < capacity &&
	       count <= capacity - sector;
}

long blk_read_bulk_impl(const struct k42_ipc_caller *caller, uint64_t sector, uint32_t count)
{
	uint32_t bytes = count * BLK_SECTOR_SIZE, s;
	long rc;

	(void)caller;
	if (!bulk_range_ok(sector, count))
		return -K42_EINVAL;
	k42_mutex_lock(&io_lock);
	s = slot_get();
	rc = run(s, T_IN, sector, bytes);
	if (rc == 0)
		rc = k42_ipc_grant_write(k42_ipc_handle(), 0, (void *)DATA_VA(s), bytes);
	slot_put(s);
	k42_mutex_unlock(&io_lock);
	return rc;
}

long blk_write_bulk_impl(const struct k42_ipc_caller *caller, uint64_t sector, uint32_t count)
{
	uint32_t bytes = count * BLK_SECTOR_SIZE, s;
	long rc;

	(void)caller;
	if (!bulk_range_ok(sector, count))
		return -K42_EINVAL;
	k42_mutex_lock(&io_lock);
	s = slot_get();
	rc = k42_ipc_grant_read(k42_ipc_handle(), 0, (void *)DATA_VA(s), bytes);
	if (rc == 0)
		rc = run(s, T_OUT, sector, bytes);
	slot_put(s);
	k42_mutex_unlock(&io_lock);
	return rc;
}

long blk_flush_impl(const struct k42_ipc_caller *caller)
{
	uint32_t s;
	long rc;

	(void)caller;
	if (!(v.features & (1ull << F_FLUSH)))
		return 0;	/* no volatile write cache to flush */
	k42_mutex_lock(&io_lock);
	s = slot_get();
	rc = run(s, T_FLUSH, 0, 0);
	slot_put(s);
	k42_mutex_unlock(&io_lock);
	return rc;
}

static void handle(uint64_t pid, struct k42_ipc_msg *m)
{
	struct k42_ipc_caller who = { pid, 0, BLK_RIGHT_READ | BLK_RIGHT_WRITE };

	blk_dispatch(&who, m);
}

static int start_device(void)
{
	int rc = virtio_open(0x1001, 0, MMIO_VA, 1ull << F_FLUSH, &v);

	if (rc < 0)
		return rc;
	capacity = *(volatile uint32_t *)v.device | (uint64_t)*(volatile uint32_t *)(v.device + 4) << 32;
	if ((rc = (int)k42_sc_dev_dma_alloc(DMA_VA, NPAGES, (uint64_t)pas)) < 0)
		return rc;
	k42_on_user_softintr(on_irq);
	if ((rc = (int)k42_sc_dev_irq_attach(v.pci.irq_source, IRQ_BIT)) < 0)
		return rc;
	if ((rc = virtq_setup(&v, 0, QSIZE, &q, DMA_VA, pas)) < 0)
		return rc;
	if (q.size < SLOTS * (SLOT_PAGES + 2))
		return -K42_ENOSPC;	/* the device's queue is too short for a full set */
	return virtio_ready(&v);
}

int main(uint64_t arg)
{
	struct k42_sem forever;
	long rc;

	(void)arg;
	k42_mutex_init(&io_lock);
	k42_cond_init(&io_changed);
	rc = start_device();
	if (rc < 0) {
		k42_printf("virtio_blk: no disk: %s\n", k42_strerror(rc));
		return 1;
	}
	k42_serve_threads(handle);
	rc = k42_name_register("blk", BLK_RIGHT_READ | BLK_RIGHT_WRITE);
	if (rc < 0) {
		k42_printf("virtio_blk: cannot register: %s\n", k42_strerror(rc));
		return 1;
	}
	k42_printf("virtio_blk: %lu sectors, irq 0x%x\n", capacity, v.pci.irq_source);
	k42_sem_init(&forever, 0);
	k42_sem_wait(&forever);
	return 0;
}

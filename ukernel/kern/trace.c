/*
 * Kernel side of tracing (see kern/trace.h, docs/tracing.md): each CPU has
 * its own ring in PM frames, and every CPU's ring is mapped into every
 * process (the mask page read-only, control pages and rings writable), so
 * kernel and user code log into the ring of the CPU they run on without
 * locks. The mask is one for the machine: setting it sets every CPU's
 * copy. At power-off (or a panic) the rings that hold events are written
 * to the console as one dump, a segment per CPU, in base64 between
 * K42TRACE markers, which ./k42 trace turns back into a dump file. With
 * tracemode=stream the rings are in stream mode: a user-level server
 * (servers/drivers/trace_stream) drains them to the host while the system
 * runs, and the dump at power-off holds only the blocks it had not taken.
 */
#include <string.h>
#include <arch/memlayout.h>
#include <arch/context.h>
#include <k42/errno.h>
#include <k42/privilege.h>
#include <k42/layout.h>
#include <kern/console.h>
#include <kern/panic.h>
#include <kern/percpu.h>
#include <kern/printk.h>
#include <kern/process.h>
#include <kern/smp.h>
#include <kern/syscall.h>
#include <kern/trace.h>
#include <kern/timer.h>
#include <mm/fcm.h>
#include <mm/meminit.h>
#include <mm/pm.h>
#include <mm/region.h>

#define RING_BYTES (8ull << K42_TRACE_RING_SHIFT)
#define RING_ORDER (K42_TRACE_RING_SHIFT + 3 - PM_PAGE_SHIFT)

static struct fcm *info_fcm, *ctl_fcm, *ring_fcm;
static uint64_t *trace_info;	/* the read-only page: mask, number of CPUs */
static uint64_t trace_mask_all;	/* the mask every CPU's copy holds (kernel lock) */
static unsigned trace_ncpus;	/* CPUs with a buffer: 0 .. trace_ncpus - 1 */

/* "all", "none", or a comma-separated list of class names. */
static uint64_t parse_classes(const char *s)
{
	uint64_t mask = 0;

	if (!s || !*s || strcmp(s, "none") == 0)
		return 0;
	if (strcmp(s, "all") == 0)
		return K42_TRACE_MASK_ALL;
	while (*s) {
		size_t n = 0;
		int found = 0;

		while (s[n] && s[n] != ',')
			n++;
#define CLASS_BIT(name, major, layer, desc)					\
		if (n == sizeof(#name) - 1 && strncmp(s, #name, n) == 0) {	\
			mask |= 1ull << (major);					\
			found = 1;							\
		}
		K42_TRACE_CLASSES(CLASS_BIT)
#undef CLASS_BIT
		if (!found)
			kprintf("k42: trace: unknown class '%.*s' ignored\n", (int)n, s);
		s += n;
		if (*s == ',')
			s++;
	}
	return mask;
}

static unsigned order_for(uint64_t pages)
{
	unsigned o = 0;

	while ((1ull << o) < pages)
		o++;
	return o;
}

int trace_init(const char *classes, int stream)
{
	static uint64_t ring_pa[K42_TRACE_CPUS_MAX];
	unsigned n = (unsigned)smp_ncpus, ctl_order;
	uint64_t info_pa, ctl_pa;
	int rc;

	if (n > K42_TRACE_CPUS_MAX)
		n = K42_TRACE_CPUS_MAX;	/* the others trace nothing */
	ctl_order = order_for(n);
	if ((rc = pm_alloc(pm_root(), 0, &info_pa)) < 0 ||
	    (rc = pm_alloc(pm_root(), ctl_order, &ctl_pa)) < 0)
		return rc;
	/* A ring per CPU (each one buddy block; one FCM serves them all). */
	for (unsigned c = 0; c < n; c++)
		if ((rc = pm_alloc(pm_root(), RING_ORDER, &ring_pa[c])) < 0)
			return rc;
	memset(phys_to_virt(info_pa), 0, PM_PAGE_SIZE);
	memset(phys_to_virt(ctl_pa), 0, PM_PAGE_SIZE << ctl_order);
	for (unsigned c = 0; c < n; c++) {
		struct percpu *pc = percpu_of(c);

		rc = k42_trace_buf_init(&pc->trace_buf,
					(struct k42_trace_ctl *)((char *)phys_to_virt(ctl_pa) +
								 c * PM_PAGE_SIZE),
					(uint64_t *)phys_to_virt(ring_pa[c]), K42_TRACE_BLOCK_SHIFT,
					K42_TRACE_RING_SHIFT, c,
					stream ? K42_TRACE_MODE_STREAM : K42_TRACE_MODE_FLIGHT);
		if (rc < 0)
			return rc;
	}
	trace_info = phys_to_virt(info_pa);
	trace_ncpus = n;
	trace_info[K42_TRACE_INFO_CPUS] = n;
	info_fcm = fcm_phys_create(info_pa, 1, 0);
	ctl_fcm = fcm_phys_create(ctl_pa, n, 1);
	ring_fcm = fcm_phys_create_chunks(ring_pa, n, RING_BYTES >> PM_PAGE_SHIFT, 1);
	if (!info_fcm || !ctl_fcm || !ring_fcm)
		return -K42_ENOMEM;
	trace_set_mask(parse_classes(classes));
	return 0;
}

int trace_map_into(struct process *p)
{
	int rc;

	if (!info_fcm)
		return 0;	/* before trace_init (in-kernel tests): nothing to map */
	if ((rc = region_create(p, K42_TRACE_VA, PM_PAGE_SIZE, K42_PROT_READ, info_fcm, 0)) < 0 ||
	    (rc = region_create(p, K42_TRACE_CTL_VA, (uint64_t)trace_ncpus * PM_PAGE_SIZE,
				K42_PROT_READ | K42_PROT_WRITE, ctl_fcm, 0)) < 0)
		return rc;
	return region_create(p, K42_TRACE_RING_VA, (uint64_t)trace_ncpus * RING_BYTES,
			     K42_PROT_READ | K42_PROT_WRITE, ring_fcm, 0);
}

void trace_tick(void)
{
	struct k42_trace_buf *b = &this_cpu()->trace_buf;

	if (b->ring)
		k42_trace_keep_time(b, mftb());
}

void trace_disp_bind(struct k42_disp_shared *sh, unsigned cpu)
{
	if (!trace_info || cpu >= trace_ncpus) {
		memset(&sh->trace_buf, 0, sizeof(sh->trace_buf));
		return;
	}
	/* The addresses trace_map_into maps CPU cpu's pages at. */
	k42_trace__fill_buf(&sh->trace_buf,
			    (struct k42_trace_ctl *)(K42_TRACE_CTL_VA + (uint64_t)cpu * PM_PAGE_SIZE),
			    (uint64_t *)(K42_TRACE_RING_VA + (uint64_t)cpu * RING_BYTES),
			    K42_TRACE_BLOCK_SHIFT, K42_TRACE_RING_SHIFT, cpu,
			    percpu_of(cpu)->trace_buf.mode);
}

uint64_t trace_set_mask(uint64_t mask)
{
	uint64_t old = trace_mask_all;

	mask &= K42_TRACE_MASK_ALL;
	if (!trace_info)
		mask = 0;	/* no buffers yet: writers count on one per CPU */
	trace_mask_all = mask;
	/* Every CPU's copy (each is read there with one r13-relative load);
	 * a CPU logging right now sees the new mask at its next event. */
	for (int c = 0; c < smp_ncpus; c++)
		__atomic_store_n(&percpu_of((uint32_t)c)->trace_mask, mask, __ATOMIC_RELEASE);
	if (trace_info)
		__atomic_store_n(&trace_info[K42_TRACE_INFO_MASK], mask, __ATOMIC_RELEASE);
	return old;
}

long sys_trace_mask(struct trap_frame *tf)
{
	/* The kernel's events show what other processes do: a privilege. */
	if (!process_has(syscall_process(), K42_PRIV_TRACE))
		return -K42_EPERM;
	return (long)trace_set_mask(ctx_arg(tf, 0));
}

/* ---- the console dump ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct b64_out {
	uint8_t in[3];
	int nin;
	char line[80];
	int nline;
};

static void b64_flush_line(struct b64_out *o)
{
	if (o->nline) {
		o->line[o->nline++] = '\n';
		console_write(o->line, (size_t)o->nline);
		o->nline = 0;
	}
}

static void b64_emit(struct b64_out *o, int final)
{
	uint32_t v = (uint32_t)o->in[0] << 16 | (uint32_t)o->in[1] << 8 | o->in[2];

	o->line[o->nline++] = b64[(v >> 18) & 63];
	o->line[o->nline++] = b64[(v >> 12) & 63];
	o->line[o->nline++] = (final && o->nin < 2) ? '=' : b64[(v >> 6) & 63];
	o->line[o->nline++] = (final && o->nin < 3) ? '=' : b64[v & 63];
	o->nin = 0;
	o->in[0] = o->in[1] = o->in[2] = 0;
	if (o->nline >= 76)
		b64_flush_line(o);
}

static void b64_write(struct b64_out *o, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len--) {
		o->in[o->nin++] = *p++;
		if (o->nin == 3)
			b64_emit(o, 0);
	}
}

/*
 * Stream mode: the blocks of CPU c's ring the consumer has not taken, as
 * sequence numbers first .. last (none if first > last), up to `idx` (the
 * index read once). `consumed` lives in the shared control page, which any
 * process may scribble on: it is only trusted inside the last lap.
 */
static void stream_tail(const struct k42_trace_buf *b, uint64_t idx, uint64_t *first, uint64_t *last)
{
	uint64_t nblocks = (b->ring_mask >> b->block_shift) + 1;
	uint64_t cons = __atomic_load_n(&b->ctl->consumed, __ATOMIC_ACQUIRE);

	*first = 1;
	*last = 0;
	if (idx == 0)
		return;
	*last = (idx - 1) >> b->block_shift;
	*first = *last + 1 >= nblocks ? *last + 1 - nblocks : 0;
	if (cons > *first)
		*first = cons;
}

/* Segments CPU c contributes to the dump; its stream index in *idx. */
static unsigned cpu_segments(unsigned c, uint64_t *idx)
{
	const struct k42_trace_buf *b = &percpu_of(c)->trace_buf;
	uint64_t first, last;

	*idx = b->ring ? __atomic_load_n(&b->ctl->index, __ATOMIC_ACQUIRE) : 0;
	if (!*idx)
		return 0;
	if (b->mode != K42_TRACE_MODE_STREAM)
		return 1;
	stream_tail(b, *idx, &first, &last);
	return first > last ? 0 : (unsigned)(last - first + 1);
}

void trace_dump_console(void)
{
	static uint64_t stream_idx[K42_TRACE_CPUS_MAX];
	static unsigned segs_of[K42_TRACE_CPUS_MAX];
	struct k42_trace_dump_header h;
	struct b64_out o = { { 0 }, 0, { 0 }, 0 };
	uint64_t out_pa, *out;
	unsigned nsegs = 0;

	for (unsigned c = 0; c < trace_ncpus; c++)
		nsegs += segs_of[c] = cpu_segments(c, &stream_idx[c]);
	if (!nsegs)
		return;
	if (pm_alloc(pm_root(), RING_ORDER, &out_pa) < 0) {
		kprintf("k42: trace: no memory to dump the buffer\n");
		return;
	}
	out = phys_to_virt(out_pa);
	/* One dump, a segment per CPU that logged anything. The other CPUs
	 * may still be logging: a snapshot is safe against writers, and a
	 * CPU that starts logging only now is left out (nsegs is fixed). */
	k42_trace_dump_header_init(&h, timer_timebase_hz(), trace_mask_all, K42_TRACE_TABLE_HASH,
				   nsegs);
	kprintf("K42TRACE BEGIN cpus %u\n", nsegs);
	b64_write(&o, &h, sizeof(h));
	for (unsigned c = 0; c < trace_ncpus; c++) {
		struct k42_trace_buf *b = &percpu_of(c)->trace_buf;
		struct k42_trace_dump_seg seg;
		uint64_t first, last;

		if (!segs_of[c])
			continue;
		if (b->mode == K42_TRACE_MODE_STREAM) {
			/* What the consumer left: one segment per block, as it
			 * would have sent them; the last may be partly written.
			 * A block it takes meanwhile is sent twice (the decoder
			 * keeps the fuller copy). Exactly segs_of[c] segments. */
			stream_tail(b, stream_idx[c], &first, &last);
			first = last + 1 - segs_of[c];
			for (uint64_t seq = first; seq <= last; seq++) {
				uint64_t slot = seq & (b->ring_mask >> b->block_shift);
				uint64_t end = (seq + 1) << b->block_shift;

				k42_trace__seg_init(b, &seg, (uint32_t)slot, 1);
				seg.index_begin = seg.index_end = end < stream_idx[c] ? end : stream_idx[c];
				seg.lost = __atomic_load_n(&b->ctl->lost, __ATOMIC_RELAXED);
				for (uint64_t i = 0; i <= b->block_mask; i++)
					out[i] = __atomic_load_n(&b->ring[(slot << b->block_shift) + i],
								 __ATOMIC_ACQUIRE);
				b64_write(&o, &seg, sizeof(seg));
				b64_write(&o, out, (size_t)1 << (K42_TRACE_BLOCK_SHIFT + 3));
			}
			continue;
		}
		k42_trace_snapshot(b, &seg, out);
		if (seg.index_end <= b->ring_mask) {
			/* Never wrapped: only the blocks written so far hold anything. */
			seg.data_blocks = (uint32_t)((seg.index_end + b->block_mask) >> b->block_shift);
			if (!seg.data_blocks)
				seg.data_blocks = 1;
		}
		b64_write(&o, &seg, sizeof(seg));
		b64_write(&o, out, (size_t)seg.data_blocks << (K42_TRACE_BLOCK_SHIFT + 3));
	}
	if (o.nin)
		b64_emit(&o, 1);
	b64_flush_line(&o);
	kprintf("K42TRACE END\n");
	BUG_ON(pm_free(pm_root(), out_pa, RING_ORDER) < 0);
}

/*
 * Thread context switching for libk42's user-level threads, with no
 * kernel call: save/load the ELFv2 non-volatile integer state (struct
 * k42_ctx in k42/thread.h), the idle loop on the upcall stack, and the
 * save/restore of the whole VSX file for preempted threads.
 *
 * struct k42_ctx (16-byte aligned): sp 0, lr 8, cr 16, VRSAVE 24,
 * r14..r31 at 32..168 in pairs in little-endian quadword order (r15 at
 * 32, r14 at 40, r17 at 48, r16 at 56, ...), f14..f31 at 176..312,
 * v20..v31 at 320..496. A thread's descriptor starts with its ctx, and
 * r13 holds the running thread. r2 is not
 * switched: a static program has one TOC. The FP and vector registers
 * (and VRSAVE) are kept only once the process has used them: the kernel
 * sets `vector_used` in every shared page of the process at its first
 * FP/VMX/VSX instruction (<k42/dispatcher.h>), and until then no thread
 * has any such state to keep (one that had would have trapped first, on
 * the CPU that switches it out). A context saved without them is loaded
 * without them, or, once the flag is set, with what its save area holds,
 * which its thread never relied on. Once kept, the first switch after
 * another dispatcher took the vector units traps once to the kernel's
 * lazy load.
 *
 * While one CPU is online and the FP/vector registers need no keeping
 * (the word is then K42_VECTOR_QUAD, set by the kernel), k42_ctx_switch
 * moves the integer state as quadwords: stq/lq (problem state since ISA
 * 2.07, either endianness) move an even/odd register pair to or from a
 * 16-byte-aligned quadword, in little-endian mode the odd register at the
 * lower address. So r1 (0) and lr through r0 (8) are one pair, and each
 * r2k/r2k+1 pair of r14..r31 another, in that order; the doubleword paths
 * keep the same slots, so any path loads what any other saved. With more
 * CPUs, QEMU's multi-threaded TCG without 128-bit host atomics runs each
 * quadword access with every other vCPU stopped, so the doubleword path
 * is used (docs/performance.md).
 */
#include <k42/syscall_nums.h>
#include <k42/disp_offsets.h>

/* r14..r31, each pair (r2k, r2k+1) odd register first (see above). */
#define SAVE_GPRS(b) \
	std 15, 32(b); std 14, 40(b); std 17, 48(b); std 16, 56(b); \
	std 19, 64(b); std 18, 72(b); std 21, 80(b); std 20, 88(b); \
	std 23, 96(b); std 22, 104(b); std 25, 112(b); std 24, 120(b); \
	std 27, 128(b); std 26, 136(b); std 29, 144(b); std 28, 152(b); \
	std 31, 160(b); std 30, 168(b)
#define LOAD_GPRS(b) \
	ld 15, 32(b); ld 14, 40(b); ld 17, 48(b); ld 16, 56(b); \
	ld 19, 64(b); ld 18, 72(b); ld 21, 80(b); ld 20, 88(b); \
	ld 23, 96(b); ld 22, 104(b); ld 25, 112(b); ld 24, 120(b); \
	ld 27, 128(b); ld 26, 136(b); ld 29, 144(b); ld 28, 152(b); \
	ld 31, 160(b); ld 30, 168(b)
/* The same slots as quadwords (b 16-byte aligned, not r14..r31). */
#define STQ_GPRS(b) \
	stq 14, 32(b); stq 16, 48(b); stq 18, 64(b); stq 20, 80(b); \
	stq 22, 96(b); stq 24, 112(b); stq 26, 128(b); stq 28, 144(b); \
	stq 30, 160(b)
#define LQ_GPRS(b) \
	lq 14, 32(b); lq 16, 48(b); lq 18, 64(b); lq 20, 80(b); \
	lq 22, 96(b); lq 24, 112(b); lq 26, 128(b); lq 28, 144(b); \
	lq 30, 160(b)

#define SAVE_FPVR(b) \
	stfd 14, 176(b); stfd 15, 184(b); stfd 16, 192(b); stfd 17, 200(b); \
	stfd 18, 208(b); stfd 19, 216(b); stfd 20, 224(b); stfd 21, 232(b); \
	stfd 22, 240(b); stfd 23, 248(b); stfd 24, 256(b); stfd 25, 264(b); \
	stfd 26, 272(b); stfd 27, 280(b); stfd 28, 288(b); stfd 29, 296(b); \
	stfd 30, 304(b); stfd 31, 312(b); \
	stxv 52, 320(b); stxv 53, 336(b); stxv 54, 352(b); stxv 55, 368(b); \
	stxv 56, 384(b); stxv 57, 400(b); stxv 58, 416(b); stxv 59, 432(b); \
	stxv 60, 448(b); stxv 61, 464(b); stxv 62, 480(b); stxv 63, 496(b); \
	mfvrsave 5; std 5, 24(b)
#define LOAD_FPVR(b) \
	lfd 14, 176(b); lfd 15, 184(b); lfd 16, 192(b); lfd 17, 200(b); \
	lfd 18, 208(b); lfd 19, 216(b); lfd 20, 224(b); lfd 21, 232(b); \
	lfd 22, 240(b); lfd 23, 248(b); lfd 24, 256(b); lfd 25, 264(b); \
	lfd 26, 272(b); lfd 27, 280(b); lfd 28, 288(b); lfd 29, 296(b); \
	lfd 30, 304(b); lfd 31, 312(b); \
	lxv 52, 320(b); lxv 53, 336(b); lxv 54, 352(b); lxv 55, 368(b); \
	lxv 56, 384(b); lxv 57, 400(b); lxv 58, 416(b); lxv 59, 432(b); \
	lxv 60, 448(b); lxv 61, 464(b); lxv 62, 480(b); lxv 63, 496(b); \
	ld 5, 24(b); mtvrsave 5

#define FUNC(name) \
	.globl name; .type name, @function; name:
#define END(name) .size name, . - name

	.text
	.abiversion 2
	.machine power9

/* cr0 = does the process keep FP and vector registers (K42_VECTOR_USED
 * in vector_used, in the shared page SPRG3 holds)? Uses r6. */
#define TEST_VECTOR_USED \
	mfspr	6, 259; \
	ld	6, K42_DISP_VECTOR_USED(6); \
	andi.	6, 6, K42_VECTOR_USED

/* void k42_ctx_switch(struct k42_ctx *old, struct k42_ctx *new): the
 * word vector_used is one of three values (the kernel never sets
 * K42_VECTOR_QUAD with K42_VECTOR_USED), told apart by one signed compare
 * against K42_VECTOR_USED: below, 0, doublewords with nothing of FP or
 * vector to keep (any CPU count, first branch: the >1-CPU case pays one
 * branch); above, K42_VECTOR_QUAD, the quadword path (one CPU: the
 * second branch); equal, the FP and vector registers kept too. */
FUNC(k42_ctx_switch)
	mflr	0
	mfcr	5
	mfspr	6, 259
	ld	6, K42_DISP_VECTOR_USED(6)
	cmpdi	6, K42_VECTOR_USED
	blt	2f
	bgt	3f
	std	1, 0(3)			/* K42_VECTOR_USED */
	std	0, 8(3)
	std	5, 16(3)
	SAVE_GPRS(3)
	SAVE_FPVR(3)
	LOAD_FPVR(4)
	b	1f
2:	std	1, 0(3)			/* 0: integer state, doublewords */
	std	0, 8(3)
	std	5, 16(3)
	SAVE_GPRS(3)
1:	ld	1, 0(4)
	ld	0, 8(4)
	ld	5, 16(4)
	LOAD_GPRS(4)
	mtlr	0
	mtcrf	0x38, 5
	mr	13, 4
	blr
3:	stq	0, 0(3)			/* K42_VECTOR_QUAD: r1 at 0, lr (r0) at 8 */
	std	5, 16(3)
	STQ_GPRS(3)
	lq	0, 0(4)
	ld	5, 16(4)
	LQ_GPRS(4)
	mtlr	0
	mtcrf	0x38, 5
	mr	13, 4
	blr
END(k42_ctx_switch)

/* noreturn void k42_ctx_load(struct k42_ctx *new) */
FUNC(k42_ctx_load)
	TEST_VECTOR_USED
	beq	1f
	LOAD_FPVR(3)
1:	ld	1, 0(3)
	ld	0, 8(3)
	ld	5, 16(3)
	LOAD_GPRS(3)
	mtlr	0
	mtcrf	0x38, 5
	mr	13, 3
	li	3, 1			/* k42_ctx_save returns 1 */
	blr
END(k42_ctx_load)

/* int k42_ctx_save(struct k42_ctx *old): 0 now, 1 when loaded later */
FUNC(k42_ctx_save)
	mflr	0
	mfcr	5
	std	1, 0(3)
	std	0, 8(3)
	std	5, 16(3)
	SAVE_GPRS(3)
	TEST_VECTOR_USED
	beq	1f
	SAVE_FPVR(3)
1:	li	3, 0
	blr
END(k42_ctx_save)

/* A new thread starts here (ctx.lr), r14 = its descriptor. */
FUNC(k42_thread_trampoline)
	mr	3, 14
	bl	k42_thread_main
	nop
	trap
END(k42_thread_trampoline)

/*
 * The idle loop: runs on the upcall stack with nothing else to do. It
 * enables, and waits in the kernel with no context (disp_idle) unless
 * something is pending: the next event or call enters the dispatcher
 * afresh at an entry point, which lets a call take the PPC fast path. It
 * keeps no state on the stack, so an upcall (or an incoming call served
 * on the upcall stack) may overwrite it at any time; an upcall that
 * interrupted it recognises the saved pc in [k42_idle_loop, k42_idle_end)
 * and drops it.
 * Entered disabled, from k42_idle (runtime.c) with r3 = the dispatcher's
 * upcall stack top and r4 = its shared page; never returns.
 */
FUNC(k42_idle_loop)
	mr	1, 3
	li	0, 0
	stdu	0, -32(1)
	mr	31, 4			/* the shared page */
	li	0, 0
	std	0, 0(31)		/* disabled = 0 */
	sync
	ld	0, 8(31)		/* pending */
	cmpdi	0, 0
	bne	1f
	li	0, K42_SC_DISP_IDLE	/* (entered afresh at an entry point) */
	sc
1:	li	0, 1
	std	0, 0(31)		/* disabled = 1 */
	.globl k42_idle_end
k42_idle_end:
	bl	k42_idle_wake
	nop
	trap
END(k42_idle_loop)

/* noreturn void k42_on_stack(uint64_t top, void (*fn)(void *), void *arg):
 * fn(arg) on the stack that ends at top (a dispatcher's upcall stack). */
FUNC(k42_on_stack)
	mr	1, 3
	li	0, 0
	stdu	0, -32(1)
	mtctr	4
	mr	12, 4
	mr	3, 5
	bctrl
	trap
END(k42_on_stack)

/* void k42_vsx_save(void *area) / k42_vsx_restore(const void *area):
 * VSR0-63 at 0..1023, FPSCR at 1024, VSCR at 1040 (area 16-aligned). */
	.machine power9
FUNC(k42_vsx_save)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stxv	\n, \n*16(3)
	.endr
	.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
	stxv	\n, \n*16(3)
	.endr
	mffs	0
	stfd	0, 1024(3)
	mfvscr	0
	stxv	32, 1040(3)
	blr
END(k42_vsx_save)

FUNC(k42_vsx_restore)
	lxv	32, 1040(3)
	mtvscr	0
	lfd	0, 1024(3)
	mtfsf	0xff, 0
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	lxv	\n, \n*16(3)
	.endr
	.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
	lxv	\n, \n*16(3)
	.endr
	blr
END(k42_vsx_restore)

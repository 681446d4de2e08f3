/*
 * Virtual processors: a process's further dispatchers (kern/vp.c,
 * docs/smp.md). Index 0 is the process's own dispatcher (p->disp).
 */
#ifndef KERN_VP_H
#define KERN_VP_H

struct process;
struct dispatcher;

/* Stop every further dispatcher of p (the process is ending). */
void vp_end_all(struct process *p);
/* Free them (after quiescence, with the process). */
void vp_free_all(struct process *p);
/* Stop one dispatcher: off every queue, timer and CPU, its calls ended,
 * no page-in waits (kern/process.c). */
void disp_end(struct dispatcher *d);

#endif

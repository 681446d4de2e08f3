/*
 * A process's dispatchers in libk42 (K42's virtual processors; the kernel
 * side is disp_create, docs/smp.md). Dispatcher 0 is the process's own;
 * k42_vp_start adds one on a CPU. Each runs the process's threads with its
 * own instance of the process's scheduling policy, its own timers and its
 * own upcall stack, on its own CPU; the kernel never moves it.
 *
 * Threads stay on the dispatcher they were created on, or were last moved
 * to: a wake from another dispatcher (a mutex released there, a thread
 * joined) queues the thread on its own dispatcher and kicks it. Moving is
 * explicit: k42_thread_migrate moves the calling thread, and
 * k42_thread_create_on starts one on a chosen dispatcher.
 *
 * IPC: every dispatcher has its own PPC page and makes its calls from its
 * own CPU. One-way messages and children's notices arrive at dispatcher
 * 0; so do incoming calls, unless the server called k42_vp_serve_all,
 * which gives it a dispatcher on every CPU taking the calls made on that
 * CPU (the kernel picks it), so a call never leaves its caller's CPU.
 */
#ifndef K42_VP_H
#define K42_VP_H

#include <stdint.h>
#include <k42/layout.h>

struct k42_thread;
struct k42_thread_attr;

/* Start a dispatcher on `cpu`: its index (1 .. K42_VPS_MAX - 1), or
 * -K42_EINVAL (no such CPU), -K42_ENOSPC, -K42_ENOMEM. It runs the
 * process's policy in force and idles until given threads. */
long k42_vp_start(unsigned cpu);
/* A server: start a dispatcher on every CPU that has none of ours yet,
 * and have each (and dispatcher 0) take incoming calls, served as
 * k42_serve/k42_serve_threads chose (call that first). From dispatcher 0,
 * in a thread. Returns the number of dispatchers besides 0 now serving,
 * or a negative K42_E*. */
long k42_vp_serve_all(void);
/* Dispatchers started (including 0): indexes 0 .. k42_vp_count() - 1. */
unsigned k42_vp_count(void);
/* The dispatcher the caller runs on, and the CPU a dispatcher runs on. */
unsigned k42_vp_index(void);
unsigned k42_vp_cpu(unsigned vp);
/* A new thread on dispatcher vp (attr may be NULL); NULL if vp was not
 * started or there is no memory. */
struct k42_thread *k42_thread_create_on(unsigned vp, void *(*fn)(void *), void *arg,
					const struct k42_thread_attr *attr);
/* Move the calling thread to dispatcher vp: returns 0 once it runs there,
 * or -K42_EINVAL (vp not started; the thread stays). */
long k42_thread_migrate(unsigned vp);
/* The policy instance of dispatcher vp: its name, and its ready and
 * blocked threads (0 and NULL for a dispatcher not started). */
const char *k42_vp_policy(unsigned vp, uint64_t *ready, uint64_t *blocked);

/* For personalities built on libk42's runtime (linux-personality): the
 * caller's dispatcher's running-thread and handler-depth variables. */
struct k42_thread **k42_vp_current_slot(void);
int *k42_vp_handler_slot(void);

#endif

/*
 * What the register-level path in assembly (upcall.S: k42_entry_ipc_call
 * and k42_ipc_reply_regs) reads, as plain numbers it can include; ipc_regs.c
 * checks each against the C declarations at compile time.
 */
#ifndef K42_IPC_REGS_H
#define K42_IPC_REGS_H

/* struct k42_vp (internal.h) */
#define K42_VP_NREADY       40
#define K42_VP_CURRENT      56
#define K42_VP_IN_HANDLER   64
#define K42_VP_HANDLER_CALL 128
/* struct k42_disp_shared (<k42/dispatcher.h>) */
#define K42_DISP_PENDING     8
#define K42_DISP_SAVED_VALID 16
/* The request class's bit in the trace mask (<k42/ktrace.h>; the mask's
 * address is k42_ipc_regs_trace, ipc_regs.c). */
#define K42_TRACE_REQUEST_BIT 32

#endif

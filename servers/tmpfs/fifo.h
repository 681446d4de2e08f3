/*
 * tmpfs's named pipes (docs/files.md, "Named pipes"): the buffer and the
 * counts of a fifo node that some open file has. The server never
 * blocks: a read of an empty fifo with a writer, or a write with no
 * room, answers -K42_EAGAIN and registers the caller, who sleeps in
 * libk42 and is woken (K42_SOFTINTR_IO) at the fifo's next change.
 */
#ifndef TMPFS_FIFO_H
#define TMPFS_FIFO_H

#include <stdint.h>
#include "tree.h"

#define TFIFO_BYTES   65536u	/* what a fifo holds, as a pipe */
#define TFIFO_ATOMIC  4096u	/* PIPE_BUF: a write this small goes in whole */

/* Wake pid's I/O waiters (main.c: K42_SOFTINTR_IO; the host test: a record). */
void tfifo_notify(uint32_t pid);
/* An open of n for access mode acc (0 read, 1 write, 2 both): -K42_ENXIO
 * for a non-blocking write-only open with no reader (POSIX); else 0 and
 * *mark, the count of the other side's opens so far (for tfifo_state). */
long tfifo_open(struct tnode *n, uint32_t acc, int nonblock, uint64_t *mark);
/* The last handle of an open file with access acc went. */
void tfifo_close(struct tnode *n, uint32_t acc);
/* Bytes read (0: end of file, no writer), or -K42_EAGAIN (pid waits). */
long tfifo_read(struct tnode *n, uint8_t *buf, uint32_t count, uint32_t pid);
/* Bytes written (all of len, len <= TFIFO_ATOMIC), -K42_EPIPE with no
 * reader, or -K42_EAGAIN (pid waits). */
long tfifo_write(struct tnode *n, const uint8_t *data, uint32_t len, uint32_t pid);
/* fs.idl fifo: the state; pid (if non-zero) waits for the next change. */
void tfifo_state(struct tnode *n, uint32_t acc, uint64_t mark, uint32_t pid, uint32_t *readers,
		 uint32_t *writers, uint32_t *avail, uint32_t *room, uint32_t *since);

#endif

/*
 * kprintf: formatted kernel messages to the console (lib/fmt.h formats).
 * Lines longer than KPRINTF_MAX are truncated with a marker, never split.
 */
#ifndef KERN_PRINTK_H
#define KERN_PRINTK_H

#define KPRINTF_MAX 512

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A hook that sees every kprintf output (crash-report capture in tests). */
typedef void (*kprintf_tap_fn)(const char *s, int len);
void kprintf_set_tap(kprintf_tap_fn fn);

#endif

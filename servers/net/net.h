/*
 * The network server (docs/network.md): lwIP, raw API, in its own process,
 * over the netdev driver. One thread of control runs the stack at a
 * time: the sock.idl calls run disabled on the upcall stack (k42_serve),
 * and the main thread (received frames, lwIP's timers) disables around
 * every entry into lwIP, so an upcall never lands inside the stack.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdint.h>
#include "lwip/netif.h"

extern struct netif net_if;

/* netif.c: find the driver, bring the interface up (addr 0: DHCP), and
 * feed it what the driver received; net_pump returns once the driver
 * has nothing more (it is then armed to wake us). */
int net_if_start(uint32_t addr, uint32_t mask, uint32_t gw);
void net_pump(void);
int net_if_ready(void);
/* Send what lwIP has output since the last flush (disabled, after every
 * entry into lwIP). */
void net_if_flush(void);

/* isock.c: the sockets. */
void isock_serve(uint64_t pid, void *msg);

#endif

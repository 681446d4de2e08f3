/*
 * lwIP's configuration for the k42 network server (docs/network.md): the raw
 * API only (NO_SYS: one thread of control; the server serialises every
 * entry into the stack), IPv4 with ARP, ICMP echo, UDP, TCP and DHCP,
 * memory from malloc, checksums in software.
 */
#ifndef K42_LWIPOPTS_H
#define K42_LWIPOPTS_H

#define NO_SYS                    1
#define SYS_LIGHTWEIGHT_PROT      0
#define LWIP_SOCKET               0
#define LWIP_NETCONN              0
#define LWIP_IPV4                 1
#define LWIP_IPV6                 0
#define LWIP_ARP                  1
#define LWIP_ETHERNET             1
#define LWIP_ICMP                 1
#define LWIP_RAW                  0
#define LWIP_UDP                  1
#define LWIP_TCP                  1
#define LWIP_DHCP                 1
#define DHCP_DOES_ARP_CHECK       0
#define LWIP_DNS                  0
#define LWIP_IGMP                 0
#define LWIP_AUTOIP               0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK  1
#define LWIP_STATS                0
#define LWIP_TIMERS               1
/* Traffic to our own address loops back (netif_poll in main.c). */
#define LWIP_NETIF_LOOPBACK       1
#define SO_REUSE                  1
#define LWIP_TCP_KEEPALIVE        1
#define TCP_LISTEN_BACKLOG        1

/* Memory: the heap and the pools come from malloc. */
#define MEM_LIBC_MALLOC           1
#define MEMP_MEM_MALLOC           1
#define MEM_ALIGNMENT             8
#define MEMP_NUM_TCP_PCB          256
#define MEMP_NUM_TCP_PCB_LISTEN   32
#define MEMP_NUM_UDP_PCB          32
#define MEMP_NUM_TCP_SEG          1024
#define MEMP_NUM_SYS_TIMEOUT      16
#define PBUF_POOL_SIZE            256

/* TCP: a 64 KiB window without scaling. */
#define TCP_MSS                   1460
#define TCP_WND                   (44 * TCP_MSS)
#define TCP_SND_BUF               (44 * TCP_MSS)
#define TCP_SND_QUEUELEN          (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_OVERSIZE              TCP_MSS
#define LWIP_TCP_SACK_OUT         0

#define LWIP_CHKSUM_ALGORITHM     3
#define LWIP_NETIF_TX_SINGLE_PBUF 1

int k42_lwip_rand(void);
#define LWIP_RAND()               ((u32_t)k42_lwip_rand())

#endif

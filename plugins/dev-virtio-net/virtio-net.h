/*
 * virtio-net.h - what the files of the virtio network device share: the
 * device struct, the spec's constants (VIRTIO 1.2, 5.1) and the calls
 * one file makes into another.
 *
 *   virtio-net.c       properties, features, configuration, life cycle
 *   virtio-net-rx.c    frames from the backend into the receive queue,
 *                      the receive filter
 *   virtio-net-tx.c    frames from the transmit queue to the backend
 *   virtio-net-ctrl.c  the control queue (rx mode, MAC and VLAN
 *                      filters, announce, offloads, queue pairs)
 */
#ifndef DEV_VIRTIO_NET_H
#define DEV_VIRTIO_NET_H

#include <tessera/tessera.h>

#include <string.h>

/* Feature bits (5.1.3) */
enum {
    VNET_F_CSUM = 0,
    VNET_F_GUEST_CSUM = 1,
    VNET_F_CTRL_GUEST_OFFLOADS = 2,
    VNET_F_MTU = 3,
    VNET_F_MAC = 5,
    VNET_F_GUEST_TSO4 = 7,
    VNET_F_GUEST_TSO6 = 8,
    VNET_F_GUEST_ECN = 9,
    VNET_F_GUEST_UFO = 10,
    VNET_F_HOST_TSO4 = 11,
    VNET_F_HOST_TSO6 = 12,
    VNET_F_HOST_ECN = 13,
    VNET_F_HOST_UFO = 14,
    VNET_F_MRG_RXBUF = 15,
    VNET_F_STATUS = 16,
    VNET_F_CTRL_VQ = 17,
    VNET_F_CTRL_RX = 18,
    VNET_F_CTRL_VLAN = 19,
    VNET_F_CTRL_RX_EXTRA = 20,
    VNET_F_GUEST_ANNOUNCE = 21,
    VNET_F_MQ = 22,
    VNET_F_CTRL_MAC_ADDR = 23,
    VNET_F_SPEED_DUPLEX = 63,
};

#define VNET_BIT(f) (UINT64_C(1) << (f))

/* Configuration (5.1.4), as far as the fields of the features offered go */
enum {
    VNET_CFG_MAC = 0,               /* u8[6] */
    VNET_CFG_STATUS = 6,            /* le16 */
    VNET_CFG_MAX_PAIRS = 8,         /* le16 */
    VNET_CFG_MTU = 10,              /* le16 */
    VNET_CFG_SPEED = 12,            /* le32, Mb/s, -1 unknown */
    VNET_CFG_DUPLEX = 16,           /* u8: 0 half, 1 full, 0xff unknown */
    VNET_CFG_SIZE = 20,
};

#define VNET_S_LINK_UP  1
#define VNET_S_ANNOUNCE 2

/* The header in front of every frame (5.1.6): 12 bytes with
 * num_buffers for a modern driver or with MRG_RXBUF, 10 for a legacy
 * driver without (a transitional virtio-net-pci, U-Boot's driver). */
typedef struct VnetHdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;               /* le16, each of these */
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
} VnetHdr;
#define VNET_HDR_LEN 12
#define VNET_HDR_LEN_LEGACY 10
#define VNET_HDR_F_NEEDS_CSUM 1
#define VNET_HDR_F_DATA_VALID 2
#define VNET_HDR_GSO_NONE  0
#define VNET_HDR_GSO_ECN   0x80

/* Queues: receive 0, transmit 1, control 2 (one queue pair) */
enum { VNET_RXQ = 0, VNET_TXQ = 1, VNET_CTRLQ = 2 };

/* QEMU's table size: more addresses than this and the filter passes
 * every address of the kind (the overflow flag). */
#define VNET_MAC_TABLE_ENTRIES 64
#define VNET_VLAN_MAX 4096

/* The queue size this device's queues have (the core's largest). */
#define VNET_QUEUE_SIZE TS_VIRTQ_SIZE_MAX
/* rx_queue_size= may go up to this (QEMU's 1024); tx stays at 256, as
 * QEMU 7.2 clamps tx_queue_size for every backend but vhost-user. */
#define VNET_RX_QUEUE_MAX TS_VIRTQ_SIZE_LIMIT

/* A receive chain taken from the ring but not filled yet, kept compact
 * (the driver's buffers are small and many). */
typedef struct VnetRxBuf {
    uint16_t head;
    unsigned n_seg;
    uint64_t len;
    TsVirtqSeg *seg;
} VnetRxBuf;

typedef struct VirtioNet {
    TsVirtioDevice parent;

    /* Properties (QEMU 7.2's names) */
    char *netdev;
    char *mac_prop;
    char *duplex_prop;
    bool csum, guest_csum, gso;
    bool host_tso4, host_tso6, host_ecn, host_ufo;
    bool guest_tso4, guest_tso6, guest_ecn, guest_ufo;
    bool mrg_rxbuf, status, ctrl_vq, ctrl_rx, ctrl_vlan, ctrl_rx_extra;
    bool ctrl_mac_addr, ctrl_guest_offloads, guest_announce, mq;
    bool event_idx, indirect_desc;
    uint64_t rx_queue_size, tx_queue_size, host_mtu;
    int64_t speed;

    /* Fixed at realize */
    TsNetClient *nc;
    uint8_t perm_mac[6];            /* mac= or the default one */
    uint8_t duplex;                 /* configuration encoding */
    bool vnet_peer;                 /* the backend takes our header */
    uint64_t offered;               /* device-type features offered */

    /* Driver state: reset by vnet_reset_state() */
    uint64_t synced_features;       /* what the rest was set up for */
    bool synced;
    unsigned hdr_len;               /* the negotiated header's size */
    uint8_t mac[6];                 /* what the driver uses */
    uint16_t announce;              /* VNET_S_ANNOUNCE or 0 */
    bool promisc, allmulti, alluni, nomulti, nouni, nobcast;
    uint8_t uni[VNET_MAC_TABLE_ENTRIES][6];
    uint8_t multi[VNET_MAC_TABLE_ENTRIES][6];
    unsigned n_uni, n_multi;
    bool uni_overflow, multi_overflow;
    uint32_t vlans[VNET_VLAN_MAX / 32];
    uint16_t vlan_list[VNET_VLAN_MAX];  /* for query-rx-filter */
    uint64_t guest_offloads;        /* CTRL_GUEST_OFFLOADS: GUEST_* bits */

    /* Receive: chains taken, not yet filled */
    VnetRxBuf rx[VNET_RX_QUEUE_MAX];
    unsigned rx_first, rx_count;
    bool rx_waiting;                /* we refused a frame: flush later */
    TsBH *rx_bh;

    /* Transmit */
    bool tx_waiting;                /* a frame kept by the core */
    TsBH *tx_bh;
    uint8_t *tx_buf;                /* TS_NET_FRAME_MAX bytes */
    uint64_t tx_dropped;            /* frames the guest got wrong */

    /* Too large for the stack; one per queue, because sending a frame
     * can bring one in at once (a backend answering from its receive
     * call, a hub) while the transmit chain is still in use. */
    TsVirtqChain rx_pop;            /* taken from the receive ring */
    TsVirtqChain scratch;           /* a kept receive chain, rebuilt */
    TsVirtqChain tx_chain;
    TsVirtqChain ctrl_chain;
} VirtioNet;

/* virtio-net.c */
bool vnet_has(VirtioNet *n, unsigned feature);
/* Once per negotiation, before a queue or a frame is looked at: apply
 * what the driver accepted (peer offloads, VLAN filter default). */
void vnet_sync_features(VirtioNet *n);
/* The name messages use: the device's id or path. */
const char *vnet_name(VirtioNet *n);
/* CTRL_GUEST_OFFLOADS: the GUEST_* bits the driver wants now */
void vnet_set_guest_offloads(VirtioNet *n, uint64_t offloads);

/* virtio-net-rx.c */
bool vnet_can_receive(TsNetClient *nc);
ssize_t vnet_receive(TsNetClient *nc, const struct iovec *iov, int iovcnt);
/* Whether `frame` (len bytes, Ethernet header first) passes the filter */
bool vnet_rx_filter(VirtioNet *n, const uint8_t *frame, size_t len);
/* The driver added receive buffers: deliver what waits. */
void vnet_rx_notify(VirtioNet *n);
void vnet_rx_bh(void *opaque);
/* Forget taken chains (reset) */
void vnet_rx_drop_all(VirtioNet *n);

/* virtio-net-tx.c */
bool vnet_tx_notify(VirtioNet *n);
void vnet_tx_bh(void *opaque);
/* Forget a frame the core keeps for the backend (reset) */
void vnet_tx_reset(VirtioNet *n);

/* virtio-net-ctrl.c */
bool vnet_ctrl_notify(VirtioNet *n);
void vnet_query_rx_filter(TsNetClient *nc, TsNetRxFilter *out);
/* The receive filter's state after a reset */
void vnet_filter_reset(VirtioNet *n);

static inline uint16_t vnet_le16(const void *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return GUINT16_FROM_LE(v);
}

#endif

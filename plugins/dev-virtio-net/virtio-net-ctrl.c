/*
 * virtio-net-ctrl.c - the control queue (VIRTIO 1.2, 5.1.6.5): the
 * driver's commands for the receive mode, the MAC filter table and its
 * own address, the VLAN filter, announcements, the number of queue pairs
 * and its offloads; and the filter's state as query-rx-filter shows it.
 *
 * A command is a chain: class and command bytes, the command's data
 * (device-readable), then one ack byte (device-writable).  A chain
 * without room for those is a broken driver (the queue is given up); a
 * command with the wrong length or an unknown one is answered ERR.
 */
#include "virtio-net.h"

enum {
    CTRL_RX = 0,
    CTRL_MAC = 1,
    CTRL_VLAN = 2,
    CTRL_ANNOUNCE = 3,
    CTRL_MQ = 4,
    CTRL_GUEST_OFFLOADS = 5,
};
enum { RX_PROMISC, RX_ALLMULTI, RX_ALLUNI, RX_NOMULTI, RX_NOUNI,
       RX_NOBCAST };
enum { MAC_TABLE_SET = 0, MAC_ADDR_SET = 1 };
enum { VLAN_ADD = 0, VLAN_DEL = 1 };
enum { ANNOUNCE_ACK = 0 };
enum { MQ_VQ_PAIRS_SET = 0 };
enum { GUEST_OFFLOADS_SET = 0 };

#define CTRL_OK  0
#define CTRL_ERR 1

/* The command's data starts after class and command. */
#define DATA 2

/* A command's data, `len` bytes at `offset` into it.  A command too short
 * for what it says is answered ERR (*bad set); a queue that breaks while
 * reading is left to the core (*bad set too). */
static bool data_read(VirtioNet *n, const TsVirtqChain *c, uint64_t offset,
                      void *buf, size_t len, bool *bad)
{
    if (DATA + offset + len > c->out_len) {
        *bad = true;
        return false;
    }
    if (!ts_virtio_chain_read(&n->parent, c, DATA + offset, buf, len)) {
        *bad = true;
        return false;
    }
    return true;
}

static uint8_t ctrl_rx(VirtioNet *n, const TsVirtqChain *c, uint8_t cmd)
{
    bool bad = false;
    uint8_t on;
    if (c->out_len != DATA + 1 || !data_read(n, c, 0, &on, 1, &bad)) {
        return CTRL_ERR;
    }
    bool *mode[] = {
        [RX_PROMISC] = &n->promisc, [RX_ALLMULTI] = &n->allmulti,
        [RX_ALLUNI] = &n->alluni, [RX_NOMULTI] = &n->nomulti,
        [RX_NOUNI] = &n->nouni, [RX_NOBCAST] = &n->nobcast,
    };
    if (cmd >= G_N_ELEMENTS(mode)) {
        return CTRL_ERR;
    }
    *mode[cmd] = on != 0;
    ts_net_rx_filter_changed(n->nc);
    return CTRL_OK;
}

/* One half of MAC_TABLE_SET at `*offset`: le32 count, then the
 * addresses.  More than the table holds: the overflow flag, and every
 * address of the kind passes (QEMU does the same). */
static bool read_mac_list(VirtioNet *n, const TsVirtqChain *c,
                          uint64_t *offset, uint8_t (*table)[6],
                          unsigned *count, bool *overflow)
{
    bool bad = false;
    uint32_t entries;
    if (!data_read(n, c, *offset, &entries, 4, &bad)) {
        return false;
    }
    entries = GUINT32_FROM_LE(entries);
    *offset += 4;
    if ((uint64_t)entries * 6 > c->out_len) {
        return false;
    }
    if (entries > VNET_MAC_TABLE_ENTRIES) {
        *overflow = true;
        *count = 0;
        if (DATA + *offset + (uint64_t)entries * 6 > c->out_len) {
            return false;
        }
    } else {
        *overflow = false;
        *count = entries;
        if (entries &&
            !data_read(n, c, *offset, table, entries * 6u, &bad)) {
            return false;
        }
    }
    *offset += (uint64_t)entries * 6;
    return true;
}

static uint8_t ctrl_mac(VirtioNet *n, const TsVirtqChain *c, uint8_t cmd)
{
    bool bad = false;
    if (cmd == MAC_ADDR_SET) {
        uint8_t mac[6];
        if (c->out_len != DATA + 6 || !data_read(n, c, 0, mac, 6, &bad)) {
            return CTRL_ERR;
        }
        memcpy(n->mac, mac, 6);
        ts_net_nic_set_mac(n->nc, mac);
        ts_net_rx_filter_changed(n->nc);
        return CTRL_OK;
    }
    if (cmd != MAC_TABLE_SET) {
        return CTRL_ERR;
    }
    /* Build the new tables aside: a command that fails half way leaves
     * the filter as it was. */
    uint8_t uni[VNET_MAC_TABLE_ENTRIES][6], multi[VNET_MAC_TABLE_ENTRIES][6];
    unsigned n_uni, n_multi;
    bool uni_over, multi_over;
    uint64_t offset = 0;
    if (!read_mac_list(n, c, &offset, uni, &n_uni, &uni_over) ||
        !read_mac_list(n, c, &offset, multi, &n_multi, &multi_over)) {
        return CTRL_ERR;
    }
    memcpy(n->uni, uni, sizeof(uni));
    memcpy(n->multi, multi, sizeof(multi));
    n->n_uni = n_uni;
    n->n_multi = n_multi;
    n->uni_overflow = uni_over;
    n->multi_overflow = multi_over;
    ts_net_rx_filter_changed(n->nc);
    return CTRL_OK;
}

static uint8_t ctrl_vlan(VirtioNet *n, const TsVirtqChain *c, uint8_t cmd)
{
    bool bad = false;
    uint16_t vid;
    if (c->out_len != DATA + 2 || !data_read(n, c, 0, &vid, 2, &bad)) {
        return CTRL_ERR;
    }
    vid = GUINT16_FROM_LE(vid);
    if (vid >= VNET_VLAN_MAX) {
        return CTRL_ERR;
    }
    if (cmd == VLAN_ADD) {
        n->vlans[vid / 32] |= 1u << (vid % 32);
    } else if (cmd == VLAN_DEL) {
        n->vlans[vid / 32] &= ~(1u << (vid % 32));
    } else {
        return CTRL_ERR;
    }
    ts_net_rx_filter_changed(n->nc);
    return CTRL_OK;
}

static uint8_t ctrl_announce(VirtioNet *n, uint8_t cmd)
{
    if (cmd != ANNOUNCE_ACK || !(n->announce & VNET_S_ANNOUNCE)) {
        return CTRL_ERR;
    }
    n->announce &= ~VNET_S_ANNOUNCE;
    return CTRL_OK;
}

/* One queue pair is all this device has: 1 is the only count to set. */
static uint8_t ctrl_mq(VirtioNet *n, const TsVirtqChain *c, uint8_t cmd)
{
    bool bad = false;
    uint16_t pairs;
    if (cmd != MQ_VQ_PAIRS_SET || !vnet_has(n, VNET_F_MQ) ||
        c->out_len != DATA + 2 || !data_read(n, c, 0, &pairs, 2, &bad)) {
        return CTRL_ERR;
    }
    return GUINT16_FROM_LE(pairs) == 1 ? CTRL_OK : CTRL_ERR;
}

static uint8_t ctrl_offloads(VirtioNet *n, const TsVirtqChain *c,
                             uint8_t cmd)
{
    bool bad = false;
    uint64_t want;
    if (cmd != GUEST_OFFLOADS_SET ||
        !vnet_has(n, VNET_F_CTRL_GUEST_OFFLOADS) ||
        c->out_len != DATA + 8 || !data_read(n, c, 0, &want, 8, &bad)) {
        return CTRL_ERR;
    }
    want = GUINT64_FROM_LE(want);
    /* Only offloads the driver negotiated can be switched back on. */
    const uint64_t guest_bits =
        VNET_BIT(VNET_F_GUEST_CSUM) | VNET_BIT(VNET_F_GUEST_TSO4) |
        VNET_BIT(VNET_F_GUEST_TSO6) | VNET_BIT(VNET_F_GUEST_ECN) |
        VNET_BIT(VNET_F_GUEST_UFO);
    if (want & ~(ts_virtio_driver_features(&n->parent) & guest_bits)) {
        return CTRL_ERR;
    }
    vnet_set_guest_offloads(n, want);
    return CTRL_OK;
}

static uint8_t ctrl_command(VirtioNet *n, const TsVirtqChain *c,
                            uint8_t cls, uint8_t cmd)
{
    switch (cls) {
    case CTRL_RX:
        return ctrl_rx(n, c, cmd);
    case CTRL_MAC:
        return ctrl_mac(n, c, cmd);
    case CTRL_VLAN:
        return ctrl_vlan(n, c, cmd);
    case CTRL_ANNOUNCE:
        return ctrl_announce(n, cmd);
    case CTRL_MQ:
        return ctrl_mq(n, c, cmd);
    case CTRL_GUEST_OFFLOADS:
        return ctrl_offloads(n, c, cmd);
    }
    return CTRL_ERR;
}

bool vnet_ctrl_notify(VirtioNet *n)
{
    TsVirtioDevice *dev = &n->parent;
    TsVirtqChain *c = &n->ctrl_chain;
    bool more = false;
    for (unsigned i = 0; i < VNET_QUEUE_SIZE; i++) {
        if (ts_virtio_pop(dev, VNET_CTRLQ, c) <= 0) {
            break;
        }
        uint8_t head[DATA];
        if (c->out_len < DATA || c->in_len < 1) {
            ts_virtio_set_needs_reset(dev, VNET_CTRLQ, "virtio-net %s: "
                                      "control command %u without its "
                                      "header or ack byte", vnet_name(n),
                                      c->head);
            break;
        }
        if (!ts_virtio_chain_read(dev, c, 0, head, DATA)) {
            break;
        }
        uint8_t ack = ctrl_command(n, c, head[0], head[1]);
        if (!ts_virtio_queue_active(dev, VNET_CTRLQ) ||
            !ts_virtio_chain_write(dev, c, 0, &ack, 1) ||
            !ts_virtio_push(dev, c, 1)) {
            break;
        }
        more = i + 1 == VNET_QUEUE_SIZE;
    }
    ts_virtio_notify(dev, VNET_CTRLQ);
    return more && ts_virtio_queue_active(dev, VNET_CTRLQ);
}

/* ---- The filter's state --------------------------------------------------- */

void vnet_filter_reset(VirtioNet *n)
{
    /* A NIC receives everything until its driver says otherwise (QEMU
     * starts promiscuous too: drivers without CTRL_RX never say). */
    n->promisc = true;
    n->allmulti = n->alluni = n->nomulti = n->nouni = n->nobcast = false;
    n->n_uni = n->n_multi = 0;
    n->uni_overflow = n->multi_overflow = false;
    memset(n->vlans, 0, sizeof(n->vlans));
}

static TsNetRxMode mode_of(bool none, bool all)
{
    return none ? TS_NET_RX_NONE : all ? TS_NET_RX_ALL : TS_NET_RX_NORMAL;
}

void vnet_query_rx_filter(TsNetClient *nc, TsNetRxFilter *out)
{
    VirtioNet *n = ts_net_client_opaque(nc);
    out->promiscuous = n->promisc;
    out->multicast = mode_of(n->nomulti, n->allmulti);
    out->unicast = mode_of(n->nouni, n->alluni);
    out->broadcast_allowed = !n->nobcast;
    out->multicast_overflow = n->multi_overflow;
    out->unicast_overflow = n->uni_overflow;
    memcpy(out->main_mac, n->mac, 6);
    out->unicast_table = (const uint8_t (*)[6])n->uni;
    out->n_unicast = n->n_uni;
    out->multicast_table = (const uint8_t (*)[6])n->multi;
    out->n_multicast = n->n_multi;
    if (vnet_has(n, VNET_F_CTRL_VLAN)) {
        unsigned count = 0;
        for (unsigned vid = 0; vid < VNET_VLAN_MAX; vid++) {
            if (n->vlans[vid / 32] & (1u << (vid % 32))) {
                n->vlan_list[count++] = (uint16_t)vid;
            }
        }
        out->vlan = TS_NET_RX_NORMAL;
        out->vlan_table = n->vlan_list;
        out->n_vlan = count;
    } else {
        out->vlan = TS_NET_RX_ALL;
        out->vlan_table = NULL;
        out->n_vlan = 0;
    }
}

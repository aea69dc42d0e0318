/*
 * virtio-net.c - the network device (VIRTIO 1.2, 5.1) as a model: its
 * properties (QEMU 7.2's names and defaults), the features it offers
 * given its backend, the configuration (MAC, link status, MTU, speed),
 * the link, and its life cycle on the backend named by netdev=.  Frames
 * in and out and the control queue are the other files' (virtio-net.h).
 * One model, two device types: virtio-net-device (virtio-mmio) and
 * virtio-net-pci.
 */
#include "virtio-net.h"

#define NET_DEVICE_ID 1

bool vnet_has(VirtioNet *n, unsigned feature)
{
    return ts_virtio_driver_features(&n->parent) & VNET_BIT(feature);
}

const char *vnet_name(VirtioNet *n)
{
    return n->nc ? ts_net_client_name(n->nc) : "virtio-net";
}

/* ---- Features ---------------------------------------------------------- */

/* The offloads the guest takes from the backend, as the backend wants
 * them: negotiated GUEST_* bits, narrowed by CTRL_GUEST_OFFLOADS. */
static void apply_offloads(VirtioNet *n)
{
    if (!n->vnet_peer) {
        return;
    }
    uint64_t g = n->guest_offloads;
    TsNetOffloads o = {
        .csum = g & VNET_BIT(VNET_F_GUEST_CSUM),
        .tso4 = g & VNET_BIT(VNET_F_GUEST_TSO4),
        .tso6 = g & VNET_BIT(VNET_F_GUEST_TSO6),
        .ecn = g & VNET_BIT(VNET_F_GUEST_ECN),
        .ufo = g & VNET_BIT(VNET_F_GUEST_UFO),
    };
    ts_net_peer_set_offload(n->nc, &o);
}

/* The core has no hook for "the driver set FEATURES_OK": every path
 * that acts on negotiated features calls this first, and it does the
 * work once per negotiation. */
void vnet_sync_features(VirtioNet *n)
{
    uint64_t f = ts_virtio_driver_features(&n->parent);
    if (n->synced && f == n->synced_features) {
        return;
    }
    n->synced = true;
    n->synced_features = f;
    const uint64_t guest_bits =
        VNET_BIT(VNET_F_GUEST_CSUM) | VNET_BIT(VNET_F_GUEST_TSO4) |
        VNET_BIT(VNET_F_GUEST_TSO6) | VNET_BIT(VNET_F_GUEST_ECN) |
        VNET_BIT(VNET_F_GUEST_UFO);
    n->guest_offloads = f & guest_bits;
    /* VIRTIO_F_VERSION_1 is bit 32; a legacy driver never has it */
    unsigned hdr_len = (f & (UINT64_C(1) << 32)) ||
                       (f & VNET_BIT(VNET_F_MRG_RXBUF))
                       ? VNET_HDR_LEN : VNET_HDR_LEN_LEGACY;
    if (n->vnet_peer && hdr_len != n->hdr_len) {
        ts_net_peer_set_vnet_hdr_len(n->nc, (int)hdr_len);
    }
    n->hdr_len = hdr_len;
    apply_offloads(n);
    /* Without CTRL_VLAN the driver cannot fill the VLAN filter, so every
     * VLAN passes; with it, none does until the driver adds it. */
    memset(n->vlans, f & VNET_BIT(VNET_F_CTRL_VLAN) ? 0 : 0xff,
           sizeof(n->vlans));
}

void vnet_set_guest_offloads(VirtioNet *n, uint64_t offloads)
{
    n->guest_offloads = offloads;
    apply_offloads(n);
}

/*
 * What this instance offers.  Checksum and segmentation offloads need a
 * backend that carries our header (tap with vnet_hdr): without one the
 * guest checksums and segments itself, as with QEMU.  Bits whose
 * prerequisites are off are withheld (VIRTIO 1.2, 5.1.3.1: HOST_TSO4
 * needs CSUM, CTRL_RX needs CTRL_VQ, ...), so no property combination
 * offers a set the spec forbids.
 */
static uint64_t offered_features(VirtioNet *n)
{
    uint64_t f = VNET_BIT(VNET_F_MAC) | VNET_BIT(VNET_F_SPEED_DUPLEX);
#define OFFER(prop, bit) if (n->prop) { f |= VNET_BIT(bit); }
    OFFER(mrg_rxbuf, VNET_F_MRG_RXBUF);
    OFFER(status, VNET_F_STATUS);
    OFFER(ctrl_vq, VNET_F_CTRL_VQ);
    OFFER(mq, VNET_F_MQ);
    if (n->host_mtu) {
        f |= VNET_BIT(VNET_F_MTU);
    }
    if (n->ctrl_vq) {
        OFFER(ctrl_rx, VNET_F_CTRL_RX);
        OFFER(ctrl_vlan, VNET_F_CTRL_VLAN);
        OFFER(ctrl_mac_addr, VNET_F_CTRL_MAC_ADDR);
        OFFER(guest_announce, VNET_F_GUEST_ANNOUNCE);
        if (n->ctrl_rx) {
            OFFER(ctrl_rx_extra, VNET_F_CTRL_RX_EXTRA);
        }
    }
    if (n->vnet_peer) {
        bool ufo = ts_net_peer_has_ufo(n->nc);
        if (n->csum) {
            f |= VNET_BIT(VNET_F_CSUM);
            OFFER(host_tso4, VNET_F_HOST_TSO4);
            OFFER(host_tso6, VNET_F_HOST_TSO6);
            if (n->host_ecn && (n->host_tso4 || n->host_tso6)) {
                f |= VNET_BIT(VNET_F_HOST_ECN);
            }
            if (ufo) {
                OFFER(host_ufo, VNET_F_HOST_UFO);
            }
        }
        if (n->guest_csum) {
            f |= VNET_BIT(VNET_F_GUEST_CSUM);
            OFFER(guest_tso4, VNET_F_GUEST_TSO4);
            OFFER(guest_tso6, VNET_F_GUEST_TSO6);
            if (n->guest_ecn && (n->guest_tso4 || n->guest_tso6)) {
                f |= VNET_BIT(VNET_F_GUEST_ECN);
            }
            if (ufo) {
                OFFER(guest_ufo, VNET_F_GUEST_UFO);
            }
            if (n->ctrl_vq) {
                OFFER(ctrl_guest_offloads, VNET_F_CTRL_GUEST_OFFLOADS);
            }
        }
    }
    OFFER(event_idx, TS_VIRTIO_F_EVENT_IDX);
    OFFER(indirect_desc, TS_VIRTIO_F_INDIRECT_DESC);
#undef OFFER
    return f;
}

/* ---- Configuration ------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
    v = GUINT16_TO_LE(v);
    memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(p, &v, 4);
}

static void net_read_config(TsVirtioDevice *dev, uint8_t *cfg)
{
    VirtioNet *n = (VirtioNet *)dev;
    memset(cfg, 0, VNET_CFG_SIZE);
    memcpy(cfg + VNET_CFG_MAC, n->mac, 6);
    uint16_t status = n->announce;
    /* set_link on either end pulls the cable (QEMU takes the NIC's link
     * down with its backend's) */
    TsNetClient *peer = n->nc ? ts_net_client_peer(n->nc) : NULL;
    if ((!n->nc || ts_net_link_up(n->nc)) &&
        (!peer || ts_net_link_up(peer))) {
        status |= VNET_S_LINK_UP;
    }
    put16(cfg + VNET_CFG_STATUS, status);
    put16(cfg + VNET_CFG_MAX_PAIRS, 1);
    put16(cfg + VNET_CFG_MTU, (uint16_t)n->host_mtu);
    put32(cfg + VNET_CFG_SPEED, (uint32_t)n->speed);
    cfg[VNET_CFG_DUPLEX] = n->duplex;
}

/* A modern driver changes the MAC through the control queue; the field
 * is writable for a legacy driver (no VERSION_1) that did not take
 * CTRL_MAC_ADDR, as QEMU has it.  Nothing else is writable. */
static void net_write_config(TsVirtioDevice *dev, unsigned offset,
                             uint32_t value, unsigned size)
{
    VirtioNet *n = (VirtioNet *)dev;
    uint64_t f = ts_virtio_driver_features(dev);
    if (!(f & (UINT64_C(1) << 32)) && !(f & VNET_BIT(VNET_F_CTRL_MAC_ADDR)) &&
        offset < 6 && size <= 6 - offset) {
        for (unsigned i = 0; i < size; i++) {
            n->mac[offset + i] = (uint8_t)(value >> (8 * i));
        }
        ts_net_nic_set_mac(n->nc, n->mac);
        return;
    }
    if (ts_log_enabled(TS_LOG_GUEST_ERROR)) {
        ts_log(TS_LOG_GUEST_ERROR, "virtio-net %s: %u-byte write of 0x%x "
               "to read-only configuration offset %u; ignored\n",
               vnet_name(n), size, value, offset);
    }
}

/* ---- The backend's calls ------------------------------------------------- */

static void net_link_status_changed(TsNetClient *nc)
{
    VirtioNet *n = ts_net_client_opaque(nc);
    /* The guest reads the new status in the configuration; without
     * VIRTIO_NET_F_STATUS it has no way to hear of it. */
    if (n->status) {
        ts_virtio_config_changed(&n->parent);
    }
}

static const TsNetClientOps nic_ops = {
    .can_receive = vnet_can_receive,
    .receive = vnet_receive,
    .link_status_changed = net_link_status_changed,
    .query_rx_filter = vnet_query_rx_filter,
};

/* ---- Life cycle ---------------------------------------------------------- */

static bool check_properties(VirtioNet *n, GError **errp)
{
    const char *type = ts_object_type_name(ts_virtio_object(&n->parent));
    struct { const char *name; uint64_t v; } qs[] = {
        { "rx_queue_size", n->rx_queue_size },
        { "tx_queue_size", n->tx_queue_size },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(qs); i++) {
        /* QEMU takes powers of two from 256 to 1024 and says so for
         * the rest. */
        uint64_t v = qs[i].v;
        if (v < 256 || v > 1024 || (v & (v - 1))) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Invalid %s (= %" PRIu64 "), must be a power of 2 "
                        "between 256 and 1024%s", qs[i].name, v,
                        i == 0 ? "." : "");
            return false;
        }
    }
    /* As QEMU 7.2: the transmit queue stays at 256 entries whatever
     * tx_queue_size says (only vhost-user may have more). */
    n->tx_queue_size = MIN(n->tx_queue_size, VNET_QUEUE_SIZE);
    if (n->speed < -1) {
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_INVALID,
                            "'speed' must be between 0 and INT_MAX");
        return false;
    }
    if (!n->duplex_prop) {
        n->duplex = 0xff;
    } else if (!strcmp(n->duplex_prop, "half")) {
        n->duplex = 0;
    } else if (!strcmp(n->duplex_prop, "full")) {
        n->duplex = 1;
    } else {
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_INVALID,
                            "'duplex' must be 'half' or 'full'");
        return false;
    }
    if (n->mac_prop && *n->mac_prop) {
        g_autofree char *prop = g_strdup_printf("%s.mac", type);
        if (!ts_net_parse_mac(n->mac_prop, prop, n->perm_mac, errp)) {
            return false;
        }
    } else {
        ts_net_default_mac(n->perm_mac);
    }
    return true;
}

static bool net_realize(TsVirtioDevice *dev, GError **errp)
{
    VirtioNet *n = (VirtioNet *)dev;
    if (!check_properties(n, errp)) {
        return false;
    }
    const char *type = ts_object_type_name(ts_virtio_object(dev));
    n->nc = ts_net_nic_attach(n->netdev, ts_virtio_object(dev), type,
                              n->perm_mac, &nic_ops, n, errp);
    if (!n->nc) {
        return false;
    }
    /* A backend that carries a virtio-net header gets ours, as is: the
     * guest's offloads then reach the host kernel (tap). */
    n->vnet_peer = ts_net_peer_has_vnet_hdr(n->nc);
    if (n->vnet_peer) {
        ts_net_peer_using_vnet_hdr(n->nc, true);
        ts_net_peer_set_vnet_hdr_len(n->nc, VNET_HDR_LEN);
    }
    n->hdr_len = VNET_HDR_LEN;
    n->offered = offered_features(n);
    ts_virtio_set_features(dev, n->offered);
    if (!ts_virtio_set_num_queues(dev, n->ctrl_vq ? 3 : 2, errp)) {
        ts_net_nic_detach(n->nc);
        n->nc = NULL;
        return false;
    }
    /* The receive queue as large as rx_queue_size= asks (checked). */
    ts_virtio_set_queue_max(dev, VNET_RXQ, (unsigned)n->rx_queue_size);
    n->tx_buf = g_malloc(TS_NET_FRAME_MAX);
    n->tx_bh = ts_bh_new("virtio-net tx", vnet_tx_bh, n);
    n->rx_bh = ts_bh_new("virtio-net rx", vnet_rx_bh, n);
    memcpy(n->mac, n->perm_mac, 6);
    vnet_filter_reset(n);
    return true;
}

static void net_unrealize(TsVirtioDevice *dev)
{
    VirtioNet *n = (VirtioNet *)dev;
    vnet_rx_drop_all(n);
    if (n->nc) {
        ts_net_nic_detach(n->nc);
        n->nc = NULL;
    }
    if (n->tx_bh) {
        ts_bh_free(n->tx_bh);
        ts_bh_free(n->rx_bh);
        n->tx_bh = n->rx_bh = NULL;
    }
    g_free(n->tx_buf);
    n->tx_buf = NULL;
}

static void net_reset(TsVirtioDevice *dev)
{
    VirtioNet *n = (VirtioNet *)dev;
    if (!n->nc) {
        return;                         /* machine reset before realize */
    }
    vnet_rx_drop_all(n);
    vnet_tx_reset(n);
    /* Frames kept for us were meant for buffers that are gone. */
    ts_net_purge(n->nc);
    n->synced = false;
    n->guest_offloads = 0;
    apply_offloads(n);
    /* A driver that set another address leaves with it (QEMU does the
     * same): the next one starts from the device's own. */
    if (memcmp(n->mac, n->perm_mac, 6)) {
        memcpy(n->mac, n->perm_mac, 6);
        ts_net_nic_set_mac(n->nc, n->mac);
    }
    n->announce = 0;
    vnet_filter_reset(n);
}

static bool net_queue_notify(TsVirtioDevice *dev, unsigned q)
{
    VirtioNet *n = (VirtioNet *)dev;
    vnet_sync_features(n);
    switch (q) {
    case VNET_RXQ:
        vnet_rx_notify(n);
        return false;
    case VNET_TXQ:
        return vnet_tx_notify(n);
    case VNET_CTRLQ:
        return vnet_ctrl_notify(n);
    }
    return false;
}

static const TsProperty net_props[] = {
    TS_PROP_STRING("netdev", VirtioNet, netdev, NULL,
                   "ID of a netdev to use as a backend"),
    TS_PROP_STRING("mac", VirtioNet, mac_prop, NULL,
                   "Ethernet 6-byte MAC Address, example: "
                   "52:54:00:12:34:56"),
    TS_PROP_BOOL("csum", VirtioNet, csum, true,
                 "take partial checksums from the guest (needs a backend "
                 "with a virtio-net header)"),
    TS_PROP_BOOL("guest_csum", VirtioNet, guest_csum, true,
                 "hand partial checksums to the guest"),
    TS_PROP_BOOL("gso", VirtioNet, gso, true,
                 "legacy VIRTIO_NET_F_GSO; a modern device never offers "
                 "it"),
    TS_PROP_BOOL("host_tso4", VirtioNet, host_tso4, true,
                 "take TCPv4 segmentation from the guest"),
    TS_PROP_BOOL("host_tso6", VirtioNet, host_tso6, true,
                 "take TCPv6 segmentation from the guest"),
    TS_PROP_BOOL("host_ecn", VirtioNet, host_ecn, true,
                 "take TSO with ECN from the guest"),
    TS_PROP_BOOL("host_ufo", VirtioNet, host_ufo, true,
                 "take UDP fragmentation from the guest (if the backend "
                 "can)"),
    TS_PROP_BOOL("guest_tso4", VirtioNet, guest_tso4, true,
                 "hand TCPv4 segments to the guest unsegmented"),
    TS_PROP_BOOL("guest_tso6", VirtioNet, guest_tso6, true,
                 "hand TCPv6 segments to the guest unsegmented"),
    TS_PROP_BOOL("guest_ecn", VirtioNet, guest_ecn, true,
                 "hand TSO with ECN to the guest"),
    TS_PROP_BOOL("guest_ufo", VirtioNet, guest_ufo, true,
                 "hand unfragmented UDP to the guest (if the backend can)"),
    TS_PROP_BOOL("mrg_rxbuf", VirtioNet, mrg_rxbuf, true,
                 "merge receive buffers (VIRTIO_NET_F_MRG_RXBUF)"),
    TS_PROP_BOOL("status", VirtioNet, status, true,
                 "report the link status (VIRTIO_NET_F_STATUS)"),
    TS_PROP_BOOL("ctrl_vq", VirtioNet, ctrl_vq, true,
                 "control queue (VIRTIO_NET_F_CTRL_VQ)"),
    TS_PROP_BOOL("ctrl_rx", VirtioNet, ctrl_rx, true,
                 "promiscuous and all-multicast modes (VIRTIO_NET_F_CTRL_RX)"),
    TS_PROP_BOOL("ctrl_vlan", VirtioNet, ctrl_vlan, true,
                 "VLAN filter (VIRTIO_NET_F_CTRL_VLAN)"),
    TS_PROP_BOOL("ctrl_rx_extra", VirtioNet, ctrl_rx_extra, true,
                 "all-unicast, no-multicast, no-unicast, no-broadcast "
                 "modes"),
    TS_PROP_BOOL("ctrl_mac_addr", VirtioNet, ctrl_mac_addr, true,
                 "let the driver set the MAC (VIRTIO_NET_F_CTRL_MAC_ADDR)"),
    TS_PROP_BOOL("ctrl_guest_offloads", VirtioNet, ctrl_guest_offloads, true,
                 "let the driver change its offloads at run time"),
    TS_PROP_BOOL("guest_announce", VirtioNet, guest_announce, true,
                 "the driver announces itself when asked "
                 "(VIRTIO_NET_F_GUEST_ANNOUNCE)"),
    TS_PROP_BOOL("mq", VirtioNet, mq, false,
                 "multiqueue (VIRTIO_NET_F_MQ), with one queue pair"),
    TS_PROP_BOOL("event_idx", VirtioNet, event_idx, true,
                 "offer VIRTIO_F_EVENT_IDX"),
    TS_PROP_BOOL("indirect_desc", VirtioNet, indirect_desc, true,
                 "offer VIRTIO_F_INDIRECT_DESC"),
    { .name = "rx_queue_size", .kind = TS_PROP_UINT,
      .offset = offsetof(VirtioNet, rx_queue_size), .def.u = VNET_QUEUE_SIZE,
      .min = 0, .max = UINT16_MAX,
      .description = "receive queue size (256)" },
    { .name = "tx_queue_size", .kind = TS_PROP_UINT,
      .offset = offsetof(VirtioNet, tx_queue_size), .def.u = VNET_QUEUE_SIZE,
      .min = 0, .max = UINT16_MAX,
      .description = "transmit queue size (256)" },
    { .name = "host_mtu", .kind = TS_PROP_UINT,
      .offset = offsetof(VirtioNet, host_mtu), .def.u = 0,
      .min = 0, .max = UINT16_MAX,
      .description = "MTU the guest should use (VIRTIO_NET_F_MTU; 0: "
                     "none given)" },
    TS_PROP_INT("speed", VirtioNet, speed, -1, INT32_MIN, INT32_MAX,
                "link speed in Mb/s the guest sees (-1: unknown)"),
    TS_PROP_STRING("duplex", VirtioNet, duplex_prop, NULL,
                   "half or full (unset: unknown)"),
    TS_PROP_END,
};

static const TsVirtioDeviceClass net_class = {
    .name = "virtio-net",
    .device_id = NET_DEVICE_ID,
    /* Each instance says what it offers (offered_features). */
    .features = 0,
    .num_queues = 3,
    .queue_size = VNET_QUEUE_SIZE,
    .config_size = VNET_CFG_SIZE,
    .driver_hint = "CONFIG_VIRTIO_NET",
    .instance_size = sizeof(VirtioNet),
    .properties = net_props,
    .realize = net_realize,
    .unrealize = net_unrealize,
    .reset = net_reset,
    .queue_notify = net_queue_notify,
    .read_config = net_read_config,
    .write_config = net_write_config,
};

static bool dev_virtio_net_init(GError **errp)
{
    return ts_virtio_register_mmio(&net_class, "virtio-net-device",
                                   "virtio network device (virtio-mmio)",
                                   errp) &&
           ts_virtio_register_pci(&net_class, "virtio-net-pci",
                                  "virtio network device (PCI)", errp);
}

TS_PLUGIN("dev-virtio-net", "virtio network device", dev_virtio_net_init);

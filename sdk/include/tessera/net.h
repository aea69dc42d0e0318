/*
 * tessera/net.h - networking: Ethernet frames between NIC front ends (a
 * virtio-net device model) and netdev backends (user, tap, socket, ...).
 *
 * Every end is a client (TsNetClient).  A client has at most one peer: a
 * NIC is the peer of one backend (`-netdev user,id=n0 -device
 * virtio-net-pci,netdev=n0`); several clients meet on a hub, where each
 * has a hub port as its peer and what one port sends every other port
 * receives (the legacy `-net nic -net user` wiring and `-netdev hubport`).
 *
 * Backends are plugins (net-user, net-tap, net-socket): each registers a
 * TsNetdevDriver, which becomes the type "<name>-netdev"; `-netdev
 * TYPE,id=X,...` and QMP netdev_add create an instance, set the driver's
 * options in its struct and call open.  A NIC device attaches to a
 * backend by id with ts_net_nic_attach() (its `netdev=` property).
 *
 * Flow control, one rule for every client: ts_net_send() hands a frame to
 * the peer.  If the peer cannot take it now (its can_receive says no, or
 * its receive returns 0), the core keeps the frame and returns 0; the
 * sender must then stop sending until its sent callback runs, which
 * happens once the peer called ts_net_flush() and the kept frame went
 * through.  A backend stops reading its host fd meanwhile, and a NIC
 * stops taking buffers from the guest's transmit queue: nothing is
 * buffered without bound and nothing is dropped for being slow.  A
 * sender that cannot stop (the user-mode stack generating ACKs) passes a
 * NULL callback: the core then keeps a bounded number of frames for the
 * peer and drops beyond it (counted).
 *
 * Threading: everything here runs with the big lock held (main loop
 * callbacks and device register accesses already hold it).
 */
#ifndef TESSERA_NET_H
#define TESSERA_NET_H

#include <sys/uio.h>
#include <sys/types.h>
#include <tessera/object.h>

TS_BEGIN_DECLS

typedef struct TsNetClient TsNetClient;
typedef struct TsNetRxFilter TsNetRxFilter;

/* The largest frame a client is given or may send (a 64 KiB TSO frame
 * plus a virtio-net header and an Ethernet/VLAN header). */
#define TS_NET_FRAME_MAX (65536 + 64)

/* Frames the core keeps for a paused peer from senders that passed no
 * sent callback, before it drops (QEMU's queue is of the same order). */
#define TS_NET_QUEUE_MAX 10000

typedef enum TsNetClientKind {
    TS_NET_CLIENT_NIC,          /* a guest's network card */
    TS_NET_CLIENT_NETDEV,       /* a backend: user, tap, socket, ... */
    TS_NET_CLIENT_HUBPORT,      /* a port of a hub (the core's) */
} TsNetClientKind;

/* Offloads the NIC asks a backend with a virtio-net header to accept
 * from it (tap: TUNSETOFFLOAD).  Bits as the guest negotiated them. */
typedef struct TsNetOffloads {
    bool csum;                  /* partial checksums (VIRTIO_NET_F_GUEST_CSUM) */
    bool tso4, tso6, ecn, ufo;  /* segmentation the peer may hand us */
    void *reserved[2];
} TsNetOffloads;

/*
 * What a client does, given when it is made (static const).  Every hook
 * is optional.
 */
typedef struct TsNetClientOps {
    /* Whether a frame can be delivered now.  NULL: always.  After
     * answering false the client must call ts_net_flush() when it can
     * receive again, or nothing more arrives. */
    bool (*can_receive)(TsNetClient *nc);
    /*
     * A frame from the peer, as a vector (with a virtio-net header first
     * when both ends agreed on one, see below).  Return the bytes taken
     * (or dropped on purpose: a filter said no, the frame was malformed),
     * 0 when it cannot be taken now (the core keeps the frame and pauses
     * the sender; call ts_net_flush() later), or -errno for an error
     * (the frame is dropped and counted).  NULL: frames are dropped.
     */
    ssize_t (*receive)(TsNetClient *nc, const struct iovec *iov, int iovcnt);
    /* set_link changed this client's link state; read it with
     * ts_net_link_up().  A NIC tells the guest (virtio-net's status). */
    void (*link_status_changed)(TsNetClient *nc);

    /* Backends that can carry a virtio-net header with each frame
     * (tap with IFF_VNET_HDR).  has_vnet_hdr: whether this one can;
     * set_vnet_hdr_len: the NIC's header size (10 or 12), from now on
     * every frame both ways starts with it; set_offload: what the NIC
     * accepts; using_vnet_hdr: false stops the header again. */
    bool (*has_vnet_hdr)(TsNetClient *nc);
    bool (*has_ufo)(TsNetClient *nc);
    void (*set_vnet_hdr_len)(TsNetClient *nc, int len);
    void (*set_offload)(TsNetClient *nc, const TsNetOffloads *offloads);
    void (*using_vnet_hdr)(TsNetClient *nc, bool enable);

    /* NICs: fill QEMU's RxFilterInfo for query-rx-filter (see
     * TsNetRxFilter).  NULL: query-rx-filter answers that the client is
     * not a NIC with filters, as QEMU does. */
    void (*query_rx_filter)(TsNetClient *nc, TsNetRxFilter *out);

    /* The client is being deleted (netdev_del, device unplug, exit): the
     * peer is already gone; release what the client owns.  The core
     * frees the client after this. */
    void (*cleanup)(TsNetClient *nc);
    void *reserved[8];
} TsNetClientOps;

/* query-rx-filter's answer for one NIC (QEMU's RxFilterInfo); the core
 * owns nothing in it: tables point into the NIC's state and are read
 * before the hook's caller returns. */
typedef enum TsNetRxMode {
    TS_NET_RX_NORMAL,           /* "normal": filter by the table */
    TS_NET_RX_NONE,             /* "none": accept none of the kind */
    TS_NET_RX_ALL,              /* "all": accept all of the kind */
} TsNetRxMode;

struct TsNetRxFilter {
    bool promiscuous;
    TsNetRxMode multicast, unicast, vlan;
    bool broadcast_allowed;
    bool multicast_overflow, unicast_overflow;
    uint8_t main_mac[6];
    const uint8_t (*unicast_table)[6];
    unsigned n_unicast;
    const uint8_t (*multicast_table)[6];
    unsigned n_multicast;
    const uint16_t *vlan_table;     /* ids allowed, when vlan is NORMAL */
    unsigned n_vlan;
    void *reserved[4];
};

/* ---- clients ----------------------------------------------------- */

/* The client's opaque pointer (the backend's TsNetdev, or what the NIC
 * passed to ts_net_nic_attach). */
void *ts_net_client_opaque(const TsNetClient *nc);
/* Its name as `info network` shows it: the netdev id, or the NIC
 * device's id (or "<type>.<n>" for an anonymous device). */
const char *ts_net_client_name(const TsNetClient *nc);
TsNetClientKind ts_net_client_kind(const TsNetClient *nc);
/* The peer, or NULL (a NIC without netdev=, a backend nobody uses). */
TsNetClient *ts_net_client_peer(const TsNetClient *nc);

/*
 * The text after "name: " in `info network`, e.g.
 * "index=0,type=user,net=10.0.2.0,restrict=off".  The core writes
 * "index=N,type=nic,model=...,macaddr=..." for NICs itself; a backend
 * sets its own from open.
 */
void ts_net_client_set_info(TsNetClient *nc, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/* Whether the client's link is up (`set_link name on|off`; up at
 * start).  A frame sent from or to a client whose link is down is
 * dropped as if sent (counted), as a cable pulled out would. */
bool ts_net_link_up(const TsNetClient *nc);

/* ---- sending and receiving -------------------------------------- */

/* Called when a frame ts_net_send() kept (returned 0 for) has gone
 * through: the sender may send again. */
typedef void (*TsNetSentFn)(TsNetClient *sender, ssize_t len);

/*
 * Send one frame (at most TS_NET_FRAME_MAX bytes, counting the vector)
 * from `nc` to its peer.  Returns the bytes sent, also when the frame was
 * dropped (no peer, a link down, the peer refused it: counted, not an
 * error to the sender); 0 when the frame was kept because the peer cannot
 * take it now: with `sent` set, stop sending until it is called; with
 * `sent` NULL, go on (the core keeps at most TS_NET_QUEUE_MAX frames and
 * drops after that).  A frame larger than TS_NET_FRAME_MAX is dropped.
 */
ssize_t ts_net_send(TsNetClient *nc, const struct iovec *iov, int iovcnt,
                    TsNetSentFn sent);
/* The same for a frame in one buffer. */
ssize_t ts_net_send_buf(TsNetClient *nc, const void *buf, size_t len,
                        TsNetSentFn sent);

/* `nc` can receive again after its can_receive said no or its receive
 * returned 0: the frames kept for it are delivered now (while it keeps
 * taking them) and paused senders are told to go on.  Cheap when nothing
 * is waiting. */
void ts_net_flush(TsNetClient *nc);

/* Forget the frames kept for `nc` (a NIC being reset: the guest's
 * buffers are gone), telling their senders they went through. */
void ts_net_purge(TsNetClient *nc);

/* Frames and bytes counted on a client (info network's statistics and
 * the tests' evidence that a flood was dropped, not queued). */
typedef struct TsNetStats {
    uint64_t tx_frames, tx_bytes;   /* sent by this client */
    uint64_t rx_frames, rx_bytes;   /* delivered to it */
    uint64_t dropped;               /* frames to it that were dropped */
    void *reserved[4];
} TsNetStats;
void ts_net_client_stats(const TsNetClient *nc, TsNetStats *out);

/* ---- a backend with a virtio-net header -------------------------- */

/* The NIC asks its peer (NULL peer: false / nothing happens). */
bool ts_net_peer_has_vnet_hdr(TsNetClient *nic);
bool ts_net_peer_has_ufo(TsNetClient *nic);
void ts_net_peer_set_vnet_hdr_len(TsNetClient *nic, int len);
void ts_net_peer_set_offload(TsNetClient *nic, const TsNetOffloads *o);
void ts_net_peer_using_vnet_hdr(TsNetClient *nic, bool enable);

/* ---- NICs -------------------------------------------------------- */

/*
 * Make the NIC client of device `dev` and join it to the backend with id
 * `netdev` (the device's netdev= property; NULL or "": no peer, which
 * QEMU allows with a warning at start "... has no peer").  `model` is the
 * device type for info network ("virtio-net-pci").  Errors as QEMU
 * words them: "Property 'virtio-net-pci.netdev' can't find value 'x'",
 * "... can't take value 'x', it's in use" (a backend has one NIC).
 */
TsNetClient *ts_net_nic_attach(const char *netdev, TsObject *dev,
                               const char *model, const uint8_t mac[6],
                               const TsNetClientOps *ops, void *opaque,
                               GError **errp);
/* Detach and free the NIC client (device unplug): kept frames are
 * purged; the backend stays and may get another NIC. */
void ts_net_nic_detach(TsNetClient *nic);

/*
 * The NIC's mac= property.  ts_net_parse_mac: "52:54:00:12:34:56" (also
 * with '-') into mac[6]; false + errp in QEMU's words for the property
 * `prop` ("Property 'virtio-net-pci.mac' doesn't take value 'x'").
 * NULL or "" means "pick one": ts_net_default_mac() gives QEMU's
 * 52:54:00:12:34:56, :57, ... in the order NICs are made, skipping
 * addresses a NIC already uses.
 */
bool ts_net_parse_mac(const char *text, const char *prop, uint8_t mac[6],
                      GError **errp);
void ts_net_default_mac(uint8_t mac[6]);
/* The NIC's guest-visible address changed (the driver wrote a new one):
 * info network shows it. */
void ts_net_nic_set_mac(TsNetClient *nic, const uint8_t mac[6]);

/* The NIC's receive filter changed (the guest set rx mode or a MAC
 * table): emits QEMU's NIC_RX_FILTER_CHANGED event, once until a
 * query-rx-filter for this NIC re-arms it, as QEMU does. */
void ts_net_rx_filter_changed(TsNetClient *nic);

/* ---- backends ---------------------------------------------------- */

/* The head of every backend instance struct.  Fields are the core's. */
typedef struct TsNetdev {
    TsObject parent;
    TsNetClient *client;        /* made by the core before open */
    void *core;                 /* private */
    void *reserved[4];
} TsNetdev;

/*
 * A backend's model, static const in the plugin, registered from its init
 * with ts_netdev_driver_register() as type "<name>-netdev".  The instance
 * is a struct of instance_size bytes with TsNetdev first; the options
 * land in its fields before open.
 */
typedef struct TsNetdevDriver {
    const char *name;           /* -netdev TYPE: "user", "tap", "socket" */
    const char *description;    /* one line */
    size_t instance_size;
    /* The -netdev options besides id= and type= (TS_PROP_END terminated,
     * offsets into the instance), or NULL.  `-netdev TYPE,help` lists
     * them. */
    const TsProperty *options;
    /* Options that may be given several times (user's hostfwd=,
     * guestfwd=, dnssearch=): NULL-terminated names.  Their values are
     * not stored in fields: read them with ts_netdev_list_option().  In
     * QMP netdev_add they are QEMU's lists ([{"str": ...}] or strings). */
    const char *const *list_options;
    /* The client's behaviour (its opaque is the TsNetdev). */
    const TsNetClientOps *ops;

    /* Options are set and the client exists: check them, open host
     * resources, start receiving.  false + errp: the core calls close
     * (which must cope with a half-done open) and deletes the instance.
     * The core prefixes nothing: say what QEMU says. */
    bool (*open)(TsNetdev *nd, GError **errp);
    /* Release everything (netdev_del, exit).  The client is detached
     * from its peer already; no send after this. */
    void (*close)(TsNetdev *nd);

    /* HMP hostfwd_add / hostfwd_remove for this backend (user only);
     * `rule` is the command's argument, as the hostfwd= option takes it
     * (remove: "[tcp|udp]:[hostaddr]:hostport").  NULL: the core answers
     * that the netdev is not a user network, as QEMU does. */
    bool (*hostfwd_add)(TsNetdev *nd, const char *rule, GError **errp);
    bool (*hostfwd_remove)(TsNetdev *nd, const char *rule, GError **errp);
    void *reserved[8];
} TsNetdevDriver;

bool ts_netdev_driver_register(const TsNetdevDriver *drv, GError **errp);

/* Every value given for a list option, in order; NULL-terminated, owned
 * by the instance (valid until close returns).  Never NULL. */
const char *const *ts_netdev_list_option(TsNetdev *nd, const char *name);

/* The id= of the backend. */
const char *ts_netdev_id(const TsNetdev *nd);

TS_END_DECLS

#endif

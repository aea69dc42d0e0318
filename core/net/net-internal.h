/*
 * core/net/net-internal.h - what the files of core/net share: the client
 * struct behind <tessera/net.h>'s TsNetClient, the frames kept for a
 * paused client, hubs, and the netdev instances' private part.
 */
#ifndef TESSERA_CORE_NET_INTERNAL_H
#define TESSERA_CORE_NET_INTERNAL_H

#include <tessera/net.h>
#include <tessera/types.h>

#include <glib.h>
#include <stdio.h>

typedef struct NetHub NetHub;

/* A frame kept for a client that could not take it (net-queue.c). */
typedef struct NetFrame {
    TsNetClient *sender;
    TsNetSentFn sent;           /* NULL: the sender did not stop */
    size_t len;
    uint8_t data[];
} NetFrame;

struct TsNetClient {
    TsNetClientKind kind;
    const TsNetClientOps *ops;
    void *opaque;
    char *name;
    char *model;                /* NIC: device type; others: type name */
    char *info;                 /* info network's text after "name: " */
    TsNetClient *peer;
    bool link_down;
    TsNetStats stats;

    /* Flow control (net-queue.c): frames kept for this client, in
     * order; how many of them came from senders that did not stop
     * (bounded by TS_NET_QUEUE_MAX); whether its receive said 0 (it
     * takes nothing until it flushes); whether a delivery to it is
     * running (a send from inside its receive must queue behind). */
    GQueue kept;
    unsigned kept_unstoppable;
    bool receive_paused;
    bool delivering;
    bool flushing;

    /* NIC (net-nic.c) */
    TsObject *dev;
    uint8_t mac[6];
    uint8_t claimed_mac[6];     /* the slot it holds in net-mac.c's table */
    bool rx_filter_event_off;   /* NIC_RX_FILTER_CHANGED sent, not re-armed */

    /* Backend (net-netdev.c) */
    TsNetdev *netdev;

    /* Hub port (net-hub.c) */
    NetHub *hub;
    unsigned port_index;
};

/* ---- net-client.c ------------------------------------------------- */

/* A new client, not yet anyone's peer. */
TsNetClient *net_client_new(TsNetClientKind kind, const TsNetClientOps *ops,
                            void *opaque, const char *name,
                            const char *model);
/* Join two clients without a peer. */
void net_client_set_peer(TsNetClient *a, TsNetClient *b);
/* Leave the peer: frames kept both ways are forgotten (the senders that
 * stopped are told to go on). */
void net_client_unpeer(TsNetClient *nc);
/* Unpeer, run the ops' cleanup and free. */
void net_client_free(TsNetClient *nc);
/* Every client alive, in creation order (info network, set_link). */
GPtrArray *net_clients(void);
TsNetClient *net_client_find(const char *name);
/* set_link: false + errp ("Device 'x' not found") if no client has the
 * name.  A NIC and its backend go down together, as in QEMU. */
bool net_set_link(const char *name, bool up, GError **errp);

/* ---- net-queue.c -------------------------------------------------- */

/* Drop what is kept for `nc` from `sender` (the sender is going away:
 * nobody is told). */
void net_queue_forget_sender(TsNetClient *nc, TsNetClient *sender);
/* Drop every frame kept for nc, calling the stopped senders back. */
void net_queue_purge(TsNetClient *nc);

/* ---- net-mac.c ---------------------------------------------------- */

/* Record that a NIC uses `mac` (a default one ts_net_default_mac()
 * handed out is already recorded: it is claimed, not counted twice). */
void net_mac_claim(const uint8_t mac[6]);
void net_mac_release(const uint8_t mac[6]);
/* Forget every address (tests). */
void net_mac_reset(void);
/* "52:54:00:12:34:56" (g_free it). */
char *net_mac_to_string(const uint8_t mac[6]);

/* ---- net-hub.c ---------------------------------------------------- */

/* The hub with that id, made on first use. */
NetHub *net_hub_get(int id);
/* A new port on hub `id`, named `name` (NULL: "hub<id>port<n>"); its
 * netdev is `nd` (the hubport backend) or NULL for a legacy port. */
TsNetClient *net_hub_add_port(int id, const char *name, TsNetdev *nd);
/* Flush every port of the hub behind `port` (its peer flushed). */
void net_hub_flush(TsNetClient *port);
int net_hub_id(const NetHub *hub);
/* Hubs, newest first, and their ports in order (info network). */
void net_hub_foreach(void (*fn)(NetHub *hub, void *opaque), void *opaque);
GPtrArray *net_hub_ports(NetHub *hub);
/* Warn, as QEMU does at start, about ports without peers and hubs
 * where only one side is connected. */
void net_hub_check_clients(void);
/* Remove every hub (tests, exit). */
void net_hub_reset(void);

/* ---- net-netdev.c ------------------------------------------------- */

typedef struct NetdevCore {
    const TsNetdevDriver *drv;
    GHashTable *lists;          /* option name -> GPtrArray of char* */
    bool opened;
} NetdevCore;

static inline NetdevCore *netdev_core(const TsNetdev *nd)
{
    return nd->core;
}

#define TS_TYPE_NETDEV "netdev"
#define TS_NETDEV_SUFFIX "-netdev"

const TsNetdevDriver *netdev_driver_of_class(TsObjectClass *klass);
/* Whether a backend type is known (registered, or a sidecar says a
 * plugin provides it). */
bool netdev_type_known(const char *type);
/* The netdev with that id, or NULL. */
TsNetdev *netdev_find(const char *id);

/*
 * Create and open a backend from flat key=value pairs (values as text,
 * list options as every value in order).  `opts` is a GPtrArray of
 * "key", "value", "key", "value", ... Errors in QEMU's words.
 */
TsNetdev *netdev_create(GPtrArray *opts, GError **errp);
/* Set while -nic/-net create backends under generated "#net" ids. */
extern bool netdev_generated_ids;
/* netdev_del: close and free. */
bool netdev_delete_by_id(const char *id, GError **errp);
void netdev_delete(TsNetdev *nd);
/* Every netdev, in creation order. */
GPtrArray *netdevs(void);
/* At exit: close every backend. */
void netdev_close_all(void);

/* Print `-netdev help` and `-netdev TYPE,help`. */
void netdev_print_types(FILE *out);
bool netdev_print_options(FILE *out, const char *type, GError **errp);

/* ---- net-nic-options.c -------------------------------------------- */

/* A -netdev was given: no default network. */
void net_note_network_option(void);
/* The network is QEMU's default one (no warnings about it). */
extern bool net_defaults_active;
/* "requested NIC ... was not created" for each such NIC. */
void net_warn_not_created(void);
void net_nic_options_reset(void);

#endif

/*
 * core/net/net-hub.c - hubs: what one port receives, every other port
 * sends on to its peer.  The legacy `-net` options put everything on hub
 * 0; `-netdev hubport,id=X,hubid=N[,netdev=Y]` is the core's own backend
 * for a port (with netdev=, the port's peer is backend Y).
 *
 * Flow control as QEMU's hub does it: a port takes a frame while at
 * least one other port can pass it on; the frame goes to every other
 * port's peer as from a sender that cannot stop (the bounded queue), so
 * one slow member neither stalls the others nor grows without bound.
 */
#include "net-internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

struct NetHub {
    int id;
    GPtrArray *ports;           /* TsNetClient (kind HUBPORT), in order */
    unsigned next_port;         /* for "hub<id>port<n>" names */
};

static GPtrArray *hubs;         /* NetHub, in creation order */

int net_hub_id(const NetHub *hub)
{
    return hub->id;
}

GPtrArray *net_hub_ports(NetHub *hub)
{
    return hub->ports;
}

NetHub *net_hub_get(int id)
{
    if (!hubs) {
        hubs = g_ptr_array_new();
    }
    for (guint i = 0; i < hubs->len; i++) {
        NetHub *h = g_ptr_array_index(hubs, i);
        if (h->id == id) {
            return h;
        }
    }
    NetHub *h = g_new0(NetHub, 1);
    h->id = id;
    h->ports = g_ptr_array_new();
    g_ptr_array_add(hubs, h);
    return h;
}

/* Newest hub first, as QEMU lists them (info network, warnings). */
void net_hub_foreach(void (*fn)(NetHub *hub, void *opaque), void *opaque)
{
    if (!hubs) {
        return;
    }
    g_autoptr(GPtrArray) copy = g_ptr_array_copy(hubs, NULL, NULL);
    for (guint i = copy->len; i-- > 0;) {
        fn(g_ptr_array_index(copy, i), opaque);
    }
}

/* Whether a frame from `port` into the hub would go anywhere now. */
static bool port_can_pass(TsNetClient *port)
{
    TsNetClient *peer = port->peer;
    if (!peer || peer->link_down) {
        return true;            /* dropped at once: never a reason to wait */
    }
    if (peer->kept.length || peer->delivering || peer->receive_paused) {
        return false;
    }
    return !peer->ops->can_receive || peer->ops->can_receive(peer);
}

static bool hub_port_can_receive(TsNetClient *nc)
{
    GPtrArray *ports = nc->hub->ports;
    for (guint i = 0; i < ports->len; i++) {
        TsNetClient *p = g_ptr_array_index(ports, i);
        if (p != nc && port_can_pass(p)) {
            return true;
        }
    }
    return false;
}

static ssize_t hub_port_receive(TsNetClient *nc, const struct iovec *iov,
                                int iovcnt)
{
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    /* A copy of the list: a peer's receive may remove a port. */
    g_autoptr(GPtrArray) ports = g_ptr_array_copy(nc->hub->ports, NULL,
                                                  NULL);
    for (guint i = 0; i < ports->len; i++) {
        TsNetClient *p = g_ptr_array_index(ports, i);
        if (p != nc) {
            ts_net_send(p, iov, iovcnt, NULL);
        }
    }
    return len ? (ssize_t)len : 1;
}

static void hub_port_cleanup(TsNetClient *nc)
{
    if (nc->hub) {
        g_ptr_array_remove(nc->hub->ports, nc);
        nc->hub = NULL;
    }
}

const TsNetClientOps net_hub_port_ops = {
    .can_receive = hub_port_can_receive,
    .receive = hub_port_receive,
    .cleanup = hub_port_cleanup,
};

static void hub_join(TsNetClient *port, int id)
{
    NetHub *hub = net_hub_get(id);
    port->hub = hub;
    port->port_index = hub->next_port++;
    g_ptr_array_add(hub->ports, port);
}

TsNetClient *net_hub_add_port(int id, const char *name, TsNetdev *nd)
{
    NetHub *hub = net_hub_get(id);
    g_autofree char *auto_name = g_strdup_printf("hub%dport%u", id,
                                                 hub->next_port);
    TsNetClient *port = net_client_new(TS_NET_CLIENT_HUBPORT,
                                       &net_hub_port_ops, nd,
                                       name ? name : auto_name, "hubport");
    hub_join(port, id);
    return port;
}

void net_hub_flush(TsNetClient *port)
{
    if (!port->hub) {
        return;
    }
    g_autoptr(GPtrArray) ports = g_ptr_array_copy(port->hub->ports, NULL,
                                                  NULL);
    for (guint i = 0; i < ports->len; i++) {
        TsNetClient *p = g_ptr_array_index(ports, i);
        if (p != port && p->kept.length) {
            ts_net_flush(p);
        }
    }
}

static void check_hub(NetHub *hub, void *opaque)
{
    bool has_nic = false, has_host = false;
    const char *prog = g_get_prgname() ? g_get_prgname() : "tessera";
    for (guint i = hub->ports->len; i-- > 0;) {
        TsNetClient *port = g_ptr_array_index(hub->ports, i);
        if (!port->peer) {
            fprintf(stderr, "%s: warning: hub port %s has no peer\n", prog,
                    port->name);
        } else if (port->peer->kind == TS_NET_CLIENT_NIC) {
            has_nic = true;
        } else if (port->peer->kind == TS_NET_CLIENT_NETDEV) {
            has_host = true;
        }
    }
    if (has_host && !has_nic) {
        fprintf(stderr, "%s: warning: hub %d with no nics\n", prog, hub->id);
    }
    if (has_nic && !has_host) {
        fprintf(stderr, "%s: warning: hub %d is not connected to host "
                "network\n", prog, hub->id);
    }
}

void net_hub_check_clients(void)
{
    net_hub_foreach(check_hub, NULL);
}

void net_hub_reset(void)
{
    if (!hubs) {
        return;
    }
    for (guint i = 0; i < hubs->len; i++) {
        NetHub *h = g_ptr_array_index(hubs, i);
        for (guint j = 0; j < h->ports->len; j++) {
            ((TsNetClient *)g_ptr_array_index(h->ports, j))->hub = NULL;
        }
        g_ptr_array_unref(h->ports);
        g_free(h);
    }
    g_clear_pointer(&hubs, g_ptr_array_unref);
}

/* ---- -netdev hubport ---------------------------------------------- */

/* hubid is text so that "missing" and "not a number" get QEMU's words
 * and the help shows no made-up default. */
typedef struct HubportNetdev {
    TsNetdev parent;
    char *hubid;
    char *netdev;
} HubportNetdev;

static const TsProperty hubport_options[] = {
    TS_PROP_STRING("hubid", HubportNetdev, hubid, NULL,
                   "the hub to join (an integer)"),
    TS_PROP_STRING("netdev", HubportNetdev, netdev, NULL,
                   "the backend to connect to this port"),
    TS_PROP_END
};

static bool hubport_open(TsNetdev *nd, GError **errp)
{
    HubportNetdev *h = (HubportNetdev *)nd;
    if (!h->hubid) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'hubid' is missing");
        return false;
    }
    char *end;
    errno = 0;
    long long id = strtoll(h->hubid, &end, 0);
    if (!*h->hubid || *end || errno || id < INT_MIN || id > INT_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'hubid' expects an int64 value");
        return false;
    }
    TsNetClient *peer = NULL;
    if (h->netdev) {
        peer = net_client_find(h->netdev);
        if (!peer || peer->kind == TS_NET_CLIENT_NIC) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "netdev '%s' not found", h->netdev);
            return false;
        }
        /* QEMU aborts here; saying so is kinder. */
        if (peer->peer) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "netdev '%s' is in use", h->netdev);
            return false;
        }
    }
    hub_join(nd->client, (int)id);
    if (peer) {
        net_client_set_peer(nd->client, peer);
    }
    ts_net_client_set_info(nd->client, "index=0,type=hubport");
    return true;
}

static void hubport_close(TsNetdev *nd)
{
    hub_port_cleanup(nd->client);
}

const TsNetdevDriver net_hubport_driver = {
    .name = "hubport",
    .description = "a port of a hub (hubid=)",
    .instance_size = sizeof(HubportNetdev),
    .options = hubport_options,
    .ops = &net_hub_port_ops,
    .open = hubport_open,
    .close = hubport_close,
};

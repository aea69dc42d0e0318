/*
 * core/net/net-nic.c - NIC front ends: a device's client joined to the
 * backend its netdev= names, its address, and the NIC_RX_FILTER_CHANGED
 * event.
 */
#include "net-internal.h"
#include "monitor/qmp.h"

#include <string.h>

static void update_nic_info(TsNetClient *nic)
{
    g_autofree char *mac = net_mac_to_string(nic->mac);
    ts_net_client_set_info(nic, "index=0,type=nic,model=%s,macaddr=%s",
                           nic->model, mac);
}

/* The device's id, or QEMU's "<model>.<n>" for an anonymous one, n
 * counting the clients of that model made so far. */
static char *nic_name(TsObject *dev, const char *model)
{
    if (dev && dev->name && dev->parent && dev->parent->name &&
        g_str_equal(dev->parent->name, "peripheral")) {
        return g_strdup(dev->name);
    }
    unsigned n = 0;
    GPtrArray *all = net_clients();
    for (guint i = 0; i < all->len; i++) {
        TsNetClient *nc = g_ptr_array_index(all, i);
        if (nc->kind == TS_NET_CLIENT_NIC && g_strcmp0(nc->model, model) == 0) {
            n++;
        }
    }
    return g_strdup_printf("%s.%u", model, n);
}

TS_EXPORT TsNetClient *ts_net_nic_attach(const char *netdev, TsObject *dev,
                                         const char *model,
                                         const uint8_t mac[6],
                                         const TsNetClientOps *ops,
                                         void *opaque, GError **errp)
{
    TsNetClient *backend = NULL;
    if (netdev && *netdev) {
        backend = net_client_find(netdev);
        if (backend && backend->kind == TS_NET_CLIENT_NIC) {
            backend = NULL;
        }
        if (!backend) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "Property '%s.netdev' can't find value '%s'",
                        model, netdev);
            return NULL;
        }
        if (backend->peer) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Property '%s.netdev' can't take value '%s', it's "
                        "in use", model, netdev);
            return NULL;
        }
    }
    g_autofree char *name = nic_name(dev, model);
    TsNetClient *nic = net_client_new(TS_NET_CLIENT_NIC, ops, opaque, name,
                                      model);
    nic->dev = dev;
    memcpy(nic->mac, mac, 6);
    memcpy(nic->claimed_mac, mac, 6);
    net_mac_claim(mac);
    update_nic_info(nic);
    if (backend) {
        net_client_set_peer(nic, backend);
    }
    return nic;
}

TS_EXPORT void ts_net_nic_detach(TsNetClient *nic)
{
    if (!nic) {
        return;
    }
    net_mac_release(nic->claimed_mac);
    net_client_free(nic);
}

TS_EXPORT void ts_net_nic_set_mac(TsNetClient *nic, const uint8_t mac[6])
{
    /* The default-address table keeps the address the NIC was made
     * with, as QEMU's does: the guest's choice is not a reservation. */
    memcpy(nic->mac, mac, 6);
    update_nic_info(nic);
}

TS_EXPORT void ts_net_rx_filter_changed(TsNetClient *nic)
{
    if (nic->rx_filter_event_off) {
        return;
    }
    nic->rx_filter_event_off = true;
    JsonObject *data = json_object_new();
    if (nic->dev && nic->dev->parent && nic->dev->parent->name &&
        g_str_equal(nic->dev->parent->name, "peripheral")) {
        json_object_set_string_member(data, "name", nic->name);
    }
    g_autofree char *path = nic->dev ? ts_object_path(nic->dev)
                                     : g_strdup("");
    json_object_set_string_member(data, "path", path);
    qmp_emit_event("NIC_RX_FILTER_CHANGED", data);
    json_object_unref(data);
}

/*
 * core/net/net-qmp.c - the network QMP commands in QEMU 7.2's shapes:
 * netdev_add, netdev_del, set_link and query-rx-filter (which re-arms
 * the NIC's NIC_RX_FILTER_CHANGED event, as QEMU's does).
 */
#include "net-internal.h"
#include "net-options.h"
#include "monitor/qmp.h"

static bool cmd_netdev_add(JsonObject *args, JsonNode **ret, GError **errp)
{
    /* QMP's wording lacks the command line's " for netdev". */
    JsonNode *id = json_object_get_member(args, "id");
    if (id && JSON_NODE_HOLDS_VALUE(id) &&
        json_node_get_value_type(id) == G_TYPE_STRING &&
        netdev_find(json_node_get_string(id))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "Duplicate ID '%s'",
                    json_node_get_string(id));
        return false;
    }
    g_autoptr(GPtrArray) pairs = net_opts_from_json(args, errp);
    return pairs && netdev_create(pairs, errp);
}

static bool cmd_netdev_del(JsonObject *args, JsonNode **ret, GError **errp)
{
    const char *id = json_object_get_string_member(args, "id");
    if (!netdev_find(id)) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_DEVICE_NOT_FOUND,
                    "Device '%s' not found", id);
        return false;
    }
    return netdev_delete_by_id(id, errp);
}

static bool cmd_set_link(JsonObject *args, JsonNode **ret, GError **errp)
{
    const char *name = json_object_get_string_member(args, "name");
    if (!net_client_find(name)) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_DEVICE_NOT_FOUND,
                    "Device '%s' not found", name);
        return false;
    }
    return net_set_link(name, json_object_get_boolean_member(args, "up"),
                        errp);
}

static const char *rx_mode_name(TsNetRxMode m)
{
    return m == TS_NET_RX_NONE ? "none" : m == TS_NET_RX_ALL ? "all"
                                                             : "normal";
}

static JsonArray *mac_table(const uint8_t (*t)[6], unsigned n)
{
    JsonArray *a = json_array_new();
    for (unsigned i = 0; t && i < n; i++) {
        g_autofree char *mac = net_mac_to_string(t[i]);
        json_array_add_string_element(a, mac);
    }
    return a;
}

static JsonObject *rx_filter_info(TsNetClient *nc)
{
    TsNetRxFilter f = { 0 };
    nc->ops->query_rx_filter(nc, &f);
    nc->rx_filter_event_off = false;    /* the next change is told again */
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "name", nc->name);
    json_object_set_boolean_member(o, "promiscuous", f.promiscuous);
    json_object_set_string_member(o, "multicast",
                                  rx_mode_name(f.multicast));
    json_object_set_string_member(o, "unicast", rx_mode_name(f.unicast));
    json_object_set_string_member(o, "vlan", rx_mode_name(f.vlan));
    json_object_set_boolean_member(o, "broadcast-allowed",
                                   f.broadcast_allowed);
    json_object_set_boolean_member(o, "multicast-overflow",
                                   f.multicast_overflow);
    json_object_set_boolean_member(o, "unicast-overflow",
                                   f.unicast_overflow);
    g_autofree char *mac = net_mac_to_string(f.main_mac);
    json_object_set_string_member(o, "main-mac", mac);
    JsonArray *vlans = json_array_new();
    for (unsigned i = 0; f.vlan_table && i < f.n_vlan; i++) {
        json_array_add_int_element(vlans, f.vlan_table[i]);
    }
    json_object_set_array_member(o, "vlan-table", vlans);
    json_object_set_array_member(o, "unicast-table",
                                 mac_table(f.unicast_table, f.n_unicast));
    json_object_set_array_member(o, "multicast-table",
                                 mac_table(f.multicast_table,
                                           f.n_multicast));
    return o;
}

static bool cmd_query_rx_filter(JsonObject *args, JsonNode **ret,
                                GError **errp)
{
    const char *name = json_object_has_member(args, "name")
                           ? json_object_get_string_member(args, "name")
                           : NULL;
    g_autoptr(JsonArray) list = json_array_new();
    GPtrArray *all = net_clients();
    for (guint i = 0; i < all->len; i++) {
        TsNetClient *nc = g_ptr_array_index(all, i);
        if (name && !g_str_equal(nc->name, name)) {
            continue;
        }
        if (nc->kind != TS_NET_CLIENT_NIC) {
            if (name) {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "net client(%s) isn't a NIC", name);
                return false;
            }
            continue;
        }
        if (nc->ops->query_rx_filter) {
            json_array_add_object_element(list, rx_filter_info(nc));
        } else if (name) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "net client(%s) doesn't support rx-filter "
                        "querying", name);
            return false;
        }
        if (name) {
            break;
        }
    }
    if (name && json_array_get_length(list) == 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "invalid net client name: %s", name);
        return false;
    }
    *ret = qmp_array_node(g_steal_pointer(&list));
    return true;
}

static void net_qmp_commands(void)
{
    static const QmpArg del_args[] = {
        { "id", QMP_ARG_STRING, false }, { NULL }
    };
    static const QmpArg link_args[] = {
        { "name", QMP_ARG_STRING, false }, { "up", QMP_ARG_BOOL, false },
        { NULL }
    };
    static const QmpArg rx_args[] = {
        { "name", QMP_ARG_STRING, true }, { NULL }
    };
    qmp_register_command_args("netdev_add", cmd_netdev_add,
                              QMP_CMD_EXTRA_ARGS, NULL);
    qmp_register_command_args("netdev_del", cmd_netdev_del, 0, del_args);
    qmp_register_command_args("set_link", cmd_set_link, 0, link_args);
    qmp_register_command_args("query-rx-filter", cmd_query_rx_filter, 0,
                              rx_args);
}
QMP_COMMANDS(net_qmp_commands)

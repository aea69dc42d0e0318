/*
 * core/net/net-hmp.c - the network HMP commands in QEMU 7.2's shapes:
 * info network, set_link, netdev_add, netdev_del, hostfwd_add and
 * hostfwd_remove (these two handed to the backend's hooks).
 */
#include "net-internal.h"
#include "net-options.h"
#include "monitor/hmp.h"

#include <string.h>

/* "name: index=0,type=...", as QEMU prints a client. */
static void print_client(HmpCall *c, TsNetClient *nc)
{
    hmp_printf(c, "%s: %s\n", nc->name, nc->info ? nc->info : "");
}

static void print_hub(NetHub *hub, void *opaque)
{
    HmpCall *c = opaque;
    GPtrArray *ports = net_hub_ports(hub);
    hmp_printf(c, "hub %d\n", net_hub_id(hub));
    /* Newest port first, as QEMU lists them. */
    for (guint i = ports->len; i-- > 0;) {
        TsNetClient *port = g_ptr_array_index(ports, i);
        hmp_printf(c, " \\ %s", port->name);
        if (port->peer) {
            hmp_printf(c, ": ");
            print_client(c, port->peer);
        } else {
            hmp_printf(c, "\n");
        }
    }
}

static void info_network(HmpCall *c, const char *args)
{
    net_hub_foreach(print_hub, c);
    GPtrArray *all = net_clients();
    for (guint i = 0; i < all->len; i++) {
        TsNetClient *nc = g_ptr_array_index(all, i);
        TsNetClient *peer = nc->peer;
        if (nc->kind == TS_NET_CLIENT_HUBPORT ||
            (peer && peer->kind == TS_NET_CLIENT_HUBPORT)) {
            continue;           /* shown with its hub */
        }
        /* A backend with a NIC is shown under the NIC. */
        if (!peer || nc->kind == TS_NET_CLIENT_NIC) {
            print_client(c, nc);
        }
        if (peer && nc->kind == TS_NET_CLIENT_NIC) {
            hmp_printf(c, " \\ ");
            print_client(c, peer);
        }
    }
}

static const HmpCommand net_info_commands[] = {
    { "network", "", "show the network state", info_network },
    { NULL }
};
HMP_INFO_COMMANDS(net_info_commands)

static void cmd_set_link(HmpCall *c, const char *args)
{
    g_auto(GStrv) w = g_strsplit_set(args, " \t", -1);
    const char *name = NULL, *state = NULL;
    for (guint i = 0; w[i]; i++) {
        if (!*w[i]) {
            continue;
        }
        if (!name) {
            name = w[i];
        } else if (!state) {
            state = w[i];
        }
    }
    if (!name || !state || (!g_str_equal(state, "on") &&
                            !g_str_equal(state, "off"))) {
        hmp_printf(c, "%s\nTry \"help set_link\" for more information\n",
                   name && state ? "Expected 'on' or 'off'"
                                 : "Parameter 'up' is missing");
        return;
    }
    g_autoptr(GError) err = NULL;
    if (!net_set_link(name, g_str_equal(state, "on"), &err)) {
        hmp_print_error(c, err);
    }
}

static void cmd_netdev_add(HmpCall *c, const char *args)
{
    g_autofree char *text = g_strstrip(g_strdup(args));
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) pairs = net_opts_parse(text, "type", &err);
    if (pairs) {
        netdev_create(pairs, &err);
    }
    if (err) {
        hmp_print_error(c, err);
    }
}

static void cmd_netdev_del(HmpCall *c, const char *args)
{
    g_autofree char *id = g_strstrip(g_strdup(args));
    g_autoptr(GError) err = NULL;
    if (!netdev_delete_by_id(id, &err)) {
        hmp_print_error(c, err);
    }
}

/*
 * hostfwd_add [netdev_id] rule: QEMU's lookup first.  Without an id the
 * first backend with the hook (the first user network) is meant.
 */
static TsNetdev *hostfwd_target(HmpCall *c, const char *args,
                                const char **rule, char ***words)
{
    *words = g_strsplit_set(args, " \t", -1);
    const char *w[2] = { NULL, NULL };
    unsigned n = 0;
    for (guint i = 0; (*words)[i]; i++) {
        if (*(*words)[i] && n < 2) {
            w[n++] = (*words)[i];
        }
    }
    if (n == 0) {
        hmp_printf(c, "Parameter 'arg1' is missing\n");
        return NULL;
    }
    if (n == 1) {
        *rule = w[0];
        GPtrArray *all = netdevs();
        for (guint i = 0; i < all->len; i++) {
            TsNetdev *nd = g_ptr_array_index(all, i);
            if (netdev_core(nd)->drv->hostfwd_add) {
                return nd;
            }
        }
        hmp_printf(c, "user mode network stack not in use\n");
        return NULL;
    }
    *rule = w[1];
    TsNetdev *nd = netdev_find(w[0]);
    if (!nd) {
        hmp_printf(c, "unrecognized netdev id '%s'\n", w[0]);
        return NULL;
    }
    if (!netdev_core(nd)->drv->hostfwd_add) {
        hmp_printf(c, "invalid device specified\n");
        return NULL;
    }
    return nd;
}

static void cmd_hostfwd(HmpCall *c, const char *args, bool add)
{
    g_auto(GStrv) words = NULL;
    const char *rule = NULL;
    TsNetdev *nd = hostfwd_target(c, args, &rule, &words);
    if (!nd) {
        return;
    }
    const TsNetdevDriver *drv = netdev_core(nd)->drv;
    bool (*hook)(TsNetdev *, const char *, GError **) =
        add ? drv->hostfwd_add : drv->hostfwd_remove;
    g_autoptr(GError) err = NULL;
    if (!hook) {
        hmp_printf(c, "invalid device specified\n");
    } else if (!hook(nd, rule, &err)) {
        /* QEMU prints the reason alone, without "Error: ". */
        hmp_printf(c, "%s\n", err ? err->message : "invalid format");
    } else if (!add) {
        hmp_printf(c, "host forwarding rule for %s removed\n", rule);
    }
}

static void cmd_hostfwd_add(HmpCall *c, const char *args)
{
    cmd_hostfwd(c, args, true);
}

static void cmd_hostfwd_remove(HmpCall *c, const char *args)
{
    cmd_hostfwd(c, args, false);
}

static const HmpCommand net_hmp_commands[] = {
    { "set_link", "name on|off", "change the link status of a network "
      "adapter", cmd_set_link },
    { "netdev_add", "[user|tap|socket|stream|dgram|hubport|...],id=str"
      "[,prop=value][,...]", "add host network device", cmd_netdev_add },
    { "netdev_del", "id", "remove host network device", cmd_netdev_del },
    { "hostfwd_add", "[netdev_id] [tcp|udp]:[hostaddr]:hostport-"
      "[guestaddr]:guestport", "redirect TCP or UDP connections from "
      "host to guest (requires -net user)", cmd_hostfwd_add },
    { "hostfwd_remove", "[netdev_id] [tcp|udp]:[hostaddr]:hostport",
      "remove host-to-guest TCP or UDP redirection", cmd_hostfwd_remove },
    { NULL }
};
HMP_COMMANDS(net_hmp_commands)

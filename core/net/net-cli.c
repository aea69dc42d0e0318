/*
 * core/net/net-cli.c - -netdev: checked when parsed, acted on once the
 * whole command line is known (a -netdev may name a plugin found through
 * a later -plugin-path), before the board and its devices, which attach
 * to the backends by id.
 */
#include "net-options.h"
#include "net-internal.h"
#include "cli/opts.h"

#include <tessera/types.h>

static GPtrArray *netdev_args;  /* -netdev arguments, in order */

bool net_netdev_option(const char *arg, GError **errp)
{
    g_autoptr(GPtrArray) pairs = net_opts_parse_any(arg, "type", errp);
    if (!pairs) {
        return false;
    }
    if (!netdev_args) {
        netdev_args = g_ptr_array_new_with_free_func(g_free);
    }
    g_ptr_array_add(netdev_args, g_strdup(arg));
    net_note_network_option();
    return true;
}

bool net_netdev_set(const char *id, const char *key, const char *value,
                    GError **errp)
{
    for (guint i = 0; netdev_args && i < netdev_args->len; i++) {
        char **text = (char **)&g_ptr_array_index(netdev_args, i);
        g_autoptr(GPtrArray) pairs = net_opts_parse_any(*text, "type", NULL);
        const char *nid = NULL;
        for (guint k = 0; pairs && k + 1 < pairs->len; k += 2) {
            if (g_str_equal(g_ptr_array_index(pairs, k), "id")) {
                nid = g_ptr_array_index(pairs, k + 1);
            }
        }
        if (!nid || !g_str_equal(nid, id)) {
            continue;
        }
        /* The option rewritten as key=value text (a JSON -netdev too)
         * with the new pair last: a list option (hostfwd) gains an
         * entry, another key takes the new value, as QEMU's -set. */
        GString *edited = g_string_new(NULL);
        for (guint k = 0; k + 1 < pairs->len; k += 2) {
            opts_append_pair(edited, g_ptr_array_index(pairs, k),
                             g_ptr_array_index(pairs, k + 1));
        }
        opts_append_pair(edited, key, value);
        g_autoptr(GPtrArray) check = net_opts_parse_any(edited->str, "type",
                                                        errp);
        if (!check) {
            g_string_free(edited, TRUE);
            return false;
        }
        g_free(*text);
        *text = g_string_free(edited, FALSE);
        return true;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                "there is no netdev \"%s\" defined", id);
    return false;
}

const GPtrArray *net_netdev_queued(void)
{
    return netdev_args;
}

bool net_answer_help(FILE *out, const char *option, const char *arg,
                     GError **errp)
{
    g_autoptr(GPtrArray) pairs = net_opts_parse(arg, "type", NULL);
    const char *type = NULL;
    for (guint i = 0; pairs && i + 1 < pairs->len; i += 2) {
        if (g_str_equal(g_ptr_array_index(pairs, i), "type")) {
            type = g_ptr_array_index(pairs, i + 1);
        }
    }
    const char *model = NULL;
    for (guint i = 0; pairs && i + 1 < pairs->len; i += 2) {
        if (g_str_equal(g_ptr_array_index(pairs, i), "model")) {
            model = g_ptr_array_index(pairs, i + 1);
        }
    }
    if (model && (g_str_equal(model, "help") || g_str_equal(model, "?"))) {
        net_print_nic_models(out);
        return true;
    }
    if (!type || g_str_equal(type, "help") || g_str_equal(type, "?")) {
        netdev_print_types(out);
        return true;
    }
    if (!netdev_print_options(out, type, errp)) {
        g_prefix_error(errp, "%s %s: ", option, arg);
        return false;
    }
    return true;
}

bool net_options_open(GError **errp)
{
    for (guint i = 0; netdev_args && i < netdev_args->len; i++) {
        const char *arg = g_ptr_array_index(netdev_args, i);
        g_autoptr(GPtrArray) pairs = net_opts_parse_any(arg, "type", errp);
        if (!pairs || !netdev_create(pairs, errp)) {
            g_prefix_error(errp, "-netdev %s: ", arg);
            return false;
        }
    }
    g_clear_pointer(&netdev_args, g_ptr_array_unref);
    return true;
}

void net_check_clients(void)
{
    if (net_defaults_active) {
        return;
    }
    net_hub_check_clients();
    const char *prog = g_get_prgname() ? g_get_prgname() : "tessera";
    GPtrArray *all = net_clients();
    for (guint i = 0; i < all->len; i++) {
        TsNetClient *nc = g_ptr_array_index(all, i);
        if (!nc->peer) {
            fprintf(stderr, "%s: warning: %s %s has no peer\n", prog,
                    nc->kind == TS_NET_CLIENT_NIC ? "nic" : "netdev",
                    nc->name);
        }
    }
    net_warn_not_created();
}

void net_close_all(void)
{
    netdev_close_all();
    /* NICs belong to their devices, which are not torn down at exit;
     * hub ports of the legacy options are the core's. */
    GPtrArray *all = net_clients();
    for (guint i = all->len; i-- > 0;) {
        TsNetClient *nc = g_ptr_array_index(all, i);
        if (nc->kind == TS_NET_CLIENT_HUBPORT && !nc->netdev) {
            net_client_free(nc);
        }
    }
    net_hub_reset();
    g_clear_pointer(&netdev_args, g_ptr_array_unref);
    net_nic_options_reset();
}

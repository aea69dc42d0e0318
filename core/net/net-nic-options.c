/*
 * core/net/net-nic-options.c - -nic (a backend and its NIC in one
 * option) and the legacy -net (backends and NICs joined by hub 0).
 *
 * What QEMU 7.2's riscv virt board does, and so what we do: it has no
 * on-board NIC, so a NIC requested without a model (-nic user, -net nic)
 * is not created ("requested NIC ... was not created (not supported by
 * this machine?)") while its backend is (QEMU's default network when no
 * option is given is left out: see net_nic_options_open).  Where QEMU 7.2 also refuses an explicit model= that is
 * a NIC device (virtio-net-pci, virtio-net-device), we create that
 * device with the backend as its netdev=: the manual says model= picks
 * the NIC, and later QEMUs do so on this board too.
 */
#include "net-options.h"
#include "net-internal.h"
#include "cli/opts.h"
#include "device/device-create.h"
#include "plugin/plugins.h"

#include <tessera/types.h>

/* The NIC device types model= may name, as -nic model=help lists them
 * (those whose plugin is installed). */
static const char *const nic_models[] = {
    "virtio-net-device", "virtio-net-pci", NULL,
};

typedef enum NicOptionKind { OPT_NIC, OPT_NET } NicOptionKind;

typedef struct NicOption {
    NicOptionKind kind;
    char *arg;
} NicOption;

static GPtrArray *nic_args;     /* NicOption, in command-line order */
static bool network_given;      /* any -netdev, -nic or -net (even none) */

/* A NIC to make once the board exists, or to warn about. */
typedef struct PendingNic {
    char *label;                /* "anonymous" or the -net's name */
    char *model;                /* NULL: unspecified */
    char *netdev;               /* the peer's client name */
    char *mac;                  /* NULL: default */
} PendingNic;

static GPtrArray *pending_nics;
static GPtrArray *not_created;  /* warnings for net_check_clients */
static unsigned anon_ids;
bool net_defaults_active;     /* QEMU warns about none of its defaults */

static void nic_option_free(void *p)
{
    NicOption *o = p;
    g_free(o->arg);
    g_free(o);
}

static void pending_nic_free(void *p)
{
    PendingNic *n = p;
    g_free(n->label);
    g_free(n->model);
    g_free(n->netdev);
    g_free(n->mac);
    g_free(n);
}

void net_note_network_option(void)
{
    network_given = true;
}

static bool queue(NicOptionKind kind, const char *arg, GError **errp)
{
    g_autoptr(GPtrArray) pairs = net_opts_parse(arg, "type", errp);
    if (!pairs) {
        return false;
    }
    if (!nic_args) {
        nic_args = g_ptr_array_new_with_free_func(nic_option_free);
    }
    NicOption *o = g_new0(NicOption, 1);
    o->kind = kind;
    o->arg = g_strdup(arg);
    g_ptr_array_add(nic_args, o);
    network_given = true;
    return true;
}

bool net_nic_option(const char *arg, GError **errp)
{
    return queue(OPT_NIC, arg, errp);
}

bool net_net_option(const char *arg, GError **errp)
{
    return queue(OPT_NET, arg, errp);
}

static bool model_known(const char *model)
{
    for (const char *const *m = nic_models; *m; m++) {
        if (g_str_equal(*m, model)) {
            return plugin_index_find(PK_DEVICE, model, NULL) ||
                   ts_type_exists(model);
        }
    }
    return false;
}

void net_print_nic_models(FILE *out)
{
    fprintf(out, "Supported NIC models:\n");
    for (const char *const *m = nic_models; *m; m++) {
        if (model_known(*m)) {
            fprintf(out, "%s\n", *m);
        }
    }
}

/* Take key's last value out of pairs (g_free it), or NULL. */
static char *take(GPtrArray *pairs, const char *key)
{
    char *v = NULL;
    for (guint i = 0; i + 1 < pairs->len;) {
        if (g_str_equal(g_ptr_array_index(pairs, i), key)) {
            g_free(v);
            v = g_strdup(g_ptr_array_index(pairs, i + 1));
            g_ptr_array_remove_range(pairs, i, 2);
        } else {
            i += 2;
        }
    }
    return v;
}

static void set(GPtrArray *pairs, const char *key, const char *value)
{
    g_free(take(pairs, key));
    g_ptr_array_add(pairs, g_strdup(key));
    g_ptr_array_add(pairs, g_strdup(value));
}

static char *anon_id(void)
{
    /* QEMU's generated ids: "#net", a counter, two random digits (so
     * nobody relies on them). */
    return g_strdup_printf("#net%u%02d", anon_ids++,
                           g_random_int_range(0, 100));
}

static void add_pending(const char *label, const char *model,
                        const char *netdev, const char *mac)
{
    if (!pending_nics) {
        pending_nics = g_ptr_array_new_with_free_func(pending_nic_free);
    }
    PendingNic *n = g_new0(PendingNic, 1);
    n->label = g_strdup(label);
    n->model = g_strdup(model);
    n->netdev = g_strdup(netdev);
    n->mac = g_strdup(mac);
    g_ptr_array_add(pending_nics, n);
}

static bool check_mac(const char *mac, GError **errp)
{
    uint8_t m[6];
    /* The property name QEMU's own check would give. */
    if (mac && !ts_net_parse_mac(mac, "mac", m, NULL)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "invalid syntax for ethernet address");
        return false;
    }
    return true;
}

/* -nic [type][,model=][,mac=][,id=][,backend options] */
static bool open_nic(const char *arg, GError **errp)
{
    g_autoptr(GPtrArray) pairs = net_opts_parse(arg, "type", errp);
    if (!pairs) {
        return false;
    }
    g_autofree char *type = take(pairs, "type");
    if (type && g_str_equal(type, "none")) {
        return true;
    }
    g_autofree char *model = take(pairs, "model");
    g_autofree char *mac = take(pairs, "mac");
    if (!check_mac(mac, errp)) {
        return false;
    }
    g_autofree char *id = take(pairs, "id");
    if (!id) {
        id = anon_id();
    }
    set(pairs, "type", type ? type : "user");
    set(pairs, "id", id);
    netdev_generated_ids = true;
    TsNetdev *nd = netdev_create(pairs, errp);
    netdev_generated_ids = false;
    if (!nd) {
        return false;
    }
    add_pending("anonymous", model, id, mac);
    return true;
}

/* -net nic[,netdev=][,macaddr=][,model=][,name=], -net TYPE[,name=],
 * -net none. */
static bool open_net(const char *arg, GError **errp)
{
    g_autoptr(GPtrArray) pairs = net_opts_parse(arg, "type", errp);
    if (!pairs) {
        return false;
    }
    g_autofree char *type = take(pairs, "type");
    if (!type) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'type' is missing");
        return false;
    }
    if (g_str_equal(type, "none")) {
        return true;
    }
    /* The backend's name: name=, else the option's id=, as QEMU. */
    g_autofree char *name = take(pairs, "name");
    g_autofree char *given_id = take(pairs, "id");
    g_autofree char *label = name ? g_strdup(name)
                             : given_id ? g_strdup(given_id) : anon_id();
    if (g_str_equal(type, "nic")) {
        g_autofree char *netdev = take(pairs, "netdev");
        g_autofree char *model = take(pairs, "model");
        g_autofree char *mac = take(pairs, "macaddr");
        g_free(take(pairs, "addr"));
        g_free(take(pairs, "vectors"));
        if (pairs->len) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Invalid parameter '%s'",
                        (char *)g_ptr_array_index(pairs, 0));
            return false;
        }
        if (!check_mac(mac, errp)) {
            return false;
        }
        if (netdev && !net_client_find(netdev)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "netdev '%s' not found", netdev);
            return false;
        }
        if (!netdev) {
            TsNetClient *port = net_hub_add_port(0, NULL, NULL);
            add_pending(label, model, port->name, mac);
        } else {
            add_pending(label, model, netdev, mac);
        }
        return true;
    }
    if (g_str_equal(type, "hubport")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "network backend 'hubport' is only supported with "
                    "-netdev/-nic");
        return false;
    }
    set(pairs, "type", type);
    set(pairs, "id", label);
    netdev_generated_ids = true;
    TsNetdev *nd = netdev_create(pairs, errp);
    netdev_generated_ids = false;
    if (!nd) {
        return false;
    }
    TsNetClient *port = net_hub_add_port(0, NULL, NULL);
    net_client_set_peer(port, nd->client);
    return true;
}

bool net_nic_options_open(GError **errp)
{
    for (guint i = 0; nic_args && i < nic_args->len; i++) {
        NicOption *o = g_ptr_array_index(nic_args, i);
        bool ok = o->kind == OPT_NIC ? open_nic(o->arg, errp)
                                     : open_net(o->arg, errp);
        if (!ok) {
            g_prefix_error(errp, "%s %s: ",
                           o->kind == OPT_NIC ? "-nic" : "-net", o->arg);
            return false;
        }
    }
    g_clear_pointer(&nic_args, g_ptr_array_unref);
    /*
     * QEMU adds -net nic -net user when no network option is given.  No
     * board here creates a NIC from -net nic without a model (QEMU's
     * riscv virt does not either), so that user network would have no
     * NIC: unreachable by the guest, it would only load net-user and
     * libslirp into every run.  Tessera leaves it out; `info network`
     * is empty where QEMU lists the orphaned hub.
     */
    return true;
}

bool net_create_nics(GError **errp)
{
    for (guint i = 0; pending_nics && i < pending_nics->len; i++) {
        PendingNic *n = g_ptr_array_index(pending_nics, i);
        if (!n->model || !model_known(n->model)) {
            if (!not_created) {
                not_created = g_ptr_array_new_with_free_func(g_free);
            }
            g_ptr_array_add(not_created, g_strdup_printf(
                "requested NIC (%s, model %s) was not created (not "
                "supported by this machine?)", n->label,
                n->model ? n->model : "unspecified"));
            continue;
        }
        /* Ids and models are identifiers and MACs have no commas. */
        g_autofree char *text = g_strdup_printf("%s,netdev=%s%s%s",
                                                n->model, n->netdev,
                                                n->mac ? ",mac=" : "",
                                                n->mac ? n->mac : "");
        g_autoptr(TsOpts) opts = opts_parse(text, "driver", errp);
        if (!opts || !device_create(opts, errp)) {
            return false;
        }
    }
    g_clear_pointer(&pending_nics, g_ptr_array_unref);
    return true;
}

void net_warn_not_created(void)
{
    const char *prog = g_get_prgname() ? g_get_prgname() : "tessera";
    for (guint i = 0; not_created && i < not_created->len; i++) {
        fprintf(stderr, "%s: warning: %s\n", prog,
                (char *)g_ptr_array_index(not_created, i));
    }
    g_clear_pointer(&not_created, g_ptr_array_unref);
}

void net_nic_options_reset(void)
{
    g_clear_pointer(&nic_args, g_ptr_array_unref);
    g_clear_pointer(&pending_nics, g_ptr_array_unref);
    g_clear_pointer(&not_created, g_ptr_array_unref);
    network_given = false;
    net_defaults_active = false;
}

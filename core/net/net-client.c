/*
 * core/net/net-client.c - clients: making, joining and freeing them, what
 * info network reads of them (name, info text, statistics) and their link
 * state.
 */
#include "net-internal.h"

#include <stdarg.h>

/* Every client alive, in creation order, as info network lists them. */
static GPtrArray *clients;

GPtrArray *net_clients(void)
{
    if (!clients) {
        clients = g_ptr_array_new();
    }
    return clients;
}

TsNetClient *net_client_new(TsNetClientKind kind, const TsNetClientOps *ops,
                            void *opaque, const char *name,
                            const char *model)
{
    static const TsNetClientOps no_ops;
    TsNetClient *nc = g_new0(TsNetClient, 1);
    nc->kind = kind;
    nc->ops = ops ? ops : &no_ops;
    nc->opaque = opaque;
    nc->name = g_strdup(name);
    nc->model = g_strdup(model);
    g_queue_init(&nc->kept);
    g_ptr_array_add(net_clients(), nc);
    return nc;
}

TsNetClient *net_client_find(const char *name)
{
    GPtrArray *all = net_clients();
    for (guint i = 0; i < all->len; i++) {
        TsNetClient *nc = g_ptr_array_index(all, i);
        if (g_str_equal(nc->name, name)) {
            return nc;
        }
    }
    return NULL;
}

void net_client_set_peer(TsNetClient *a, TsNetClient *b)
{
    g_assert(!a->peer && !b->peer && a != b);
    a->peer = b;
    b->peer = a;
}

void net_client_unpeer(TsNetClient *nc)
{
    TsNetClient *peer = nc->peer;
    if (!peer) {
        return;
    }
    /* Frames nc sent that wait at the peer go nowhere now; frames the
     * peer sent that wait at nc will never be taken: its senders must
     * not stay paused for them. */
    net_queue_forget_sender(peer, nc);
    net_queue_purge(nc);
    peer->peer = NULL;
    nc->peer = NULL;
}

void net_client_free(TsNetClient *nc)
{
    if (!nc) {
        return;
    }
    net_client_unpeer(nc);
    net_queue_purge(nc);
    g_ptr_array_remove(net_clients(), nc);
    if (nc->ops->cleanup) {
        nc->ops->cleanup(nc);
    }
    g_free(nc->name);
    g_free(nc->model);
    g_free(nc->info);
    g_free(nc);
}

TS_EXPORT void *ts_net_client_opaque(const TsNetClient *nc)
{
    return nc->opaque;
}

TS_EXPORT const char *ts_net_client_name(const TsNetClient *nc)
{
    return nc->name;
}

TS_EXPORT TsNetClientKind ts_net_client_kind(const TsNetClient *nc)
{
    return nc->kind;
}

TS_EXPORT TsNetClient *ts_net_client_peer(const TsNetClient *nc)
{
    return nc->peer;
}

TS_EXPORT void ts_net_client_set_info(TsNetClient *nc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_free(nc->info);
    nc->info = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

TS_EXPORT bool ts_net_link_up(const TsNetClient *nc)
{
    return !nc->link_down;
}

TS_EXPORT void ts_net_client_stats(const TsNetClient *nc, TsNetStats *out)
{
    *out = nc->stats;
}

static void set_link_one(TsNetClient *nc, bool up)
{
    if (nc->link_down == !up) {
        return;
    }
    nc->link_down = !up;
    if (nc->ops->link_status_changed) {
        nc->ops->link_status_changed(nc);
    }
}

bool net_set_link(const char *name, bool up, GError **errp)
{
    TsNetClient *nc = net_client_find(name);
    if (!nc) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Device '%s' not found", name);
        return false;
    }
    set_link_one(nc, up);
    /* As QEMU: a backend takes its NIC down with it (the guest must see
     * the cable go); a NIC's backend or a hub port keeps its own link
     * (the other ports of a hub still talk), but is told. */
    TsNetClient *peer = nc->peer;
    if (peer && peer->kind == TS_NET_CLIENT_NIC) {
        set_link_one(peer, up);
    } else if (peer && peer->ops->link_status_changed) {
        peer->ops->link_status_changed(peer);
    }
    return true;
}

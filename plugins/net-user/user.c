/*
 * plugins/net-user/user.c - the "user" netdev: a guest network with a
 * host at 10.0.2.2, a DNS relay at 10.0.2.3 and a DHCP server, whose TCP
 * and UDP connections become the host's own sockets (libslirp).  Needs no
 * privilege; what it costs is a copy of every byte through slirp's stack.
 */
#include "user.h"

#include <string.h>
#include <unistd.h>

/* Where QEMU looks for the Samba server smb= would start. */
#define SMBD_PATH "/usr/sbin/smbd"

/* A frame in pieces (a NIC's descriptor chain) made one buffer, which
 * slirp_input wants. */
static const uint8_t *gather(UserNet *u, const struct iovec *iov, int iovcnt,
                             size_t *len)
{
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        total += iov[i].iov_len;
    }
    *len = total;
    if (iovcnt == 1) {
        return iov[0].iov_base;
    }
    if (total > TS_NET_FRAME_MAX) {
        return NULL;
    }
    if (!u->rx_buf) {
        u->rx_buf = g_malloc(TS_NET_FRAME_MAX);
    }
    size_t off = 0;
    for (int i = 0; i < iovcnt; i++) {
        memcpy(u->rx_buf + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    return u->rx_buf;
}

static ssize_t user_receive(TsNetClient *nc, const struct iovec *iov,
                            int iovcnt)
{
    UserNet *u = ts_net_client_opaque(nc);
    size_t len;
    const uint8_t *frame = gather(u, iov, iovcnt, &len);
    if (!u->slirp || !frame) {
        return len;         /* dropped: nothing to deliver it to */
    }
    user_poll_enter(u->poll);
    slirp_input(u->slirp, frame, len);
    user_poll_leave(u->poll);
    return len;
}

static const TsNetClientOps user_client_ops = {
    .receive = user_receive,
};

/* smb= starts a Samba server on the host for the guest; Tessera does not
 * (yet): say why, in QEMU's words when smbd is not even there. */
static bool check_smb(UserNet *u, GError **errp)
{
    struct in_addr addr;
    if (u->smbserver && !inet_aton(u->smbserver, &addr)) {
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_INVALID,
                            "Failed to parse SMB address");
        return false;
    }
    if (!u->smb) {
        return true;
    }
    if (access(SMBD_PATH, X_OK) != 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Could not find '%s', please install it", SMBD_PATH);
    } else {
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                            "smb= is not supported: Tessera's user network "
                            "starts no SMB server");
    }
    return false;
}

static bool add_rules(UserNet *u, const char *option,
                      bool (*add)(UserNet *, const char *, GError **),
                      GError **errp)
{
    for (const char *const *r = ts_netdev_list_option(&u->parent, option);
         *r; r++) {
        if (!add(u, *r, errp)) {
            return false;
        }
    }
    return true;
}

static bool user_open(TsNetdev *nd, GError **errp)
{
    UserNet *u = (UserNet *)nd;
    SlirpConfig cfg;

    const char *const *search = ts_netdev_list_option(nd, "dnssearch");
    if (search[0]) {
        u->dnssearch = g_strdupv((char **)search);
    }
    if (!user_config(u, &cfg, errp) || !check_smb(u, errp)) {
        return false;
    }
    u->poll = user_poll_new(u);
    u->kick = ts_bh_new("net-user-guestfwd", user_guestfwd_kick, u);
    u->slirp = slirp_new(&cfg, &user_slirp_callbacks, u);
    if (!u->slirp) {
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_FAILED,
                            "user network: libslirp refused the "
                            "configuration");
        return false;
    }
    if (!add_rules(u, "hostfwd", user_hostfwd_add, errp) ||
        !add_rules(u, "guestfwd", user_guestfwd_add, errp)) {
        return false;
    }
    char net[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &cfg.vnetwork, net, sizeof(net));
    ts_net_client_set_info(nd->client, "index=0,type=user,net=%s,restrict=%s",
                           net, u->restricted ? "on" : "off");
    user_poll_sync(u->poll);
    return true;
}

static void user_close(TsNetdev *nd)
{
    UserNet *u = (UserNet *)nd;
    user_guestfwd_free_all(u);
    if (u->slirp) {
        Slirp *s = u->slirp;
        u->slirp = NULL;    /* no sync from slirp's own teardown */
        slirp_cleanup(s);
    }
    user_poll_free(u->poll);
    u->poll = NULL;
    ts_bh_free(u->kick);
    u->kick = NULL;
    g_clear_pointer(&u->dnssearch, g_strfreev);
    g_clear_pointer(&u->rx_buf, g_free);
}

static bool user_hook_add(TsNetdev *nd, const char *rule, GError **errp)
{
    return user_hostfwd_add((UserNet *)nd, rule, errp);
}

static bool user_hook_remove(TsNetdev *nd, const char *rule, GError **errp)
{
    return user_hostfwd_remove((UserNet *)nd, rule, errp);
}

static const TsNetdevDriver user_driver = {
    .name = "user",
    .description = "user-mode network stack (libslirp): no privileges "
                   "needed",
    .instance_size = sizeof(UserNet),
    .options = user_options,
    .list_options = user_list_options,
    .ops = &user_client_ops,
    .open = user_open,
    .close = user_close,
    .hostfwd_add = user_hook_add,
    .hostfwd_remove = user_hook_remove,
};

static bool net_user_init(GError **errp)
{
    return ts_netdev_driver_register(&user_driver, errp);
}

TS_PLUGIN("net-user", "user-mode networking (libslirp)", net_user_init);

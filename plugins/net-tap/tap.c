/*
 * plugins/net-tap/tap.c - the "tap" netdev: the guest's NIC appears on
 * the host as a TAP interface, to be bridged or routed like any other.
 * Options and messages are QEMU 7.2's; vhost-net and multiqueue are not
 * there and are refused in one line.
 */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* QEMU's defaults, which Debian's qemu-system-common ships: the ifup
 * script adds the interface to the bridge of the default route. */
#define DEFAULT_IFUP "/etc/qemu-ifup"
#define DEFAULT_IFDOWN "/etc/qemu-ifdown"
#define DEFAULT_HELPER "/usr/lib/qemu/qemu-bridge-helper"
#define DEFAULT_BRIDGE "br0"

static const TsProperty tap_options[] = {
    TS_PROP_STRING("ifname", TapNet, ifname, NULL,
                   "interface name (default: the kernel's next tapN)"),
    TS_PROP_STRING("fd", TapNet, fd_opt, NULL,
                   "an open tap file descriptor to use"),
    TS_PROP_STRING("fds", TapNet, fds, NULL,
                   "open tap file descriptors, fd1:fd2:... (one queue)"),
    TS_PROP_STRING("script", TapNet, script, NULL,
                   "run after the interface is made, with its name "
                   "(default " DEFAULT_IFUP ", 'no' for none)"),
    TS_PROP_STRING("downscript", TapNet, downscript, NULL,
                   "run when it is closed (default " DEFAULT_IFDOWN
                   ", 'no' for none)"),
    TS_PROP_STRING("br", TapNet, br, NULL,
                   "bridge the helper adds the interface to "
                   "(default " DEFAULT_BRIDGE ")"),
    TS_PROP_STRING("helper", TapNet, helper, NULL,
                   "program that makes the interface and passes it over "
                   "(e.g. " DEFAULT_HELPER ")"),
    TS_PROP_SIZE("sndbuf", TapNet, sndbuf, 0,
                 "the interface's send buffer limit (0: none)"),
    TS_PROP_STRING("vnet_hdr", TapNet, vnet_hdr_opt, NULL,
                   "carry a virtio-net header with each frame (default: "
                   "when the kernel can)"),
    TS_PROP_BOOL("vhost", TapNet, vhost, false,
                 "vhost-net (not supported: must stay off)"),
    TS_PROP_STRING("vhostfd", TapNet, vhostfd, NULL,
                   "vhost-net fd (not supported)"),
    TS_PROP_STRING("vhostfds", TapNet, vhostfds, NULL,
                   "vhost-net fds (not supported)"),
    TS_PROP_BOOL("vhostforce", TapNet, vhostforce, false,
                 "force vhost-net (not supported)"),
    TS_PROP_INT("queues", TapNet, queues, 0, 0, 0,
                "number of queues (only 1 is supported)"),
    TS_PROP_INT("poll-us", TapNet, poll_us, 0, 0, 0,
                "busy polling time for vhost-net (ignored without it)"),
    TS_PROP_END
};

static bool fail(GError **errp, const char *msg)
{
    g_set_error_literal(errp, TS_ERROR, TS_ERROR_INVALID, msg);
    return false;
}

/* QEMU's spellings of a boolean; -1 when `text` is none of them. */
static int parse_bool(const char *text)
{
    static const char *const yes[] = { "on", "yes", "true", "y", NULL };
    static const char *const no[] = { "off", "no", "false", "n", NULL };
    if (g_strv_contains(yes, text)) {
        return 1;
    }
    return g_strv_contains(no, text) ? 0 : -1;
}

/* "no" or "" means no script. */
static const char *script_or_none(const char *given, const char *def)
{
    const char *s = given ? given : def;
    return !*s || !strcmp(s, "no") ? NULL : s;
}

/* An fd handed over: the user made the interface, we only use it. */
static bool open_fd(TapNet *t, const char *text, GError **errp)
{
    if (strchr(text, ':')) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "fds=%s: multiqueue tap is not supported, give one fd",
                    text);
        return false;
    }
    if (!tap_take_fd(t, text, errp)) {
        return false;
    }
    tap_probe_features(t);
    ts_net_client_set_info(t->parent.client, "index=0,type=tap,fd=%d",
                           t->fd);
    return true;
}

static bool tap_open(TsNetdev *nd, GError **errp)
{
    TapNet *t = (TapNet *)nd;
    int vnet_hdr = -1;

    t->fd = -1;
    if (t->vhost || t->vhostforce || t->vhostfd || t->vhostfds) {
        return fail(errp, "vhost-net is not supported by Tessera: leave "
                    "vhost= off (frames go through the emulator)");
    }
    if (t->queues > 1) {
        return fail(errp, "multiqueue tap (queues= above 1) is not "
                    "supported");
    }
    if (t->vnet_hdr_opt && (vnet_hdr = parse_bool(t->vnet_hdr_opt)) < 0) {
        return fail(errp, "Parameter 'vnet_hdr' expects 'on' or 'off'");
    }

    if (t->fd_opt || t->fds) {
        if (t->fd_opt && (t->ifname || t->script || t->downscript ||
                          t->vnet_hdr_opt || t->helper || t->queues ||
                          t->fds || t->vhostfds)) {
            return fail(errp, "ifname=, script=, downscript=, vnet_hdr=, "
                        "helper=, queues=, fds=, and vhostfds= are "
                        "invalid with fd=");
        }
        if (t->fds && (t->ifname || t->script || t->downscript ||
                       t->vnet_hdr_opt || t->helper || t->vhostfd)) {
            return fail(errp, "ifname=, script=, downscript=, vnet_hdr=, "
                        "helper=, queues=, and vhostfd= are invalid with "
                        "fds=");
        }
        if (!open_fd(t, t->fd_opt ? t->fd_opt : t->fds, errp)) {
            return false;
        }
    } else if (t->helper) {
        if (t->ifname || t->script || t->downscript || t->vnet_hdr_opt) {
            return fail(errp, "ifname=, script=, downscript=, and "
                        "vnet_hdr= are invalid with helper=");
        }
        if (!tap_open_helper(t, t->helper, t->br ? t->br : DEFAULT_BRIDGE,
                             errp)) {
            return false;
        }
        tap_probe_features(t);
        ts_net_client_set_info(nd->client, "index=0,type=tap,helper=%s",
                               t->helper);
    } else {
        const char *up = script_or_none(t->script, DEFAULT_IFUP);
        const char *down = script_or_none(t->downscript, DEFAULT_IFDOWN);
        if (!tap_open_tun(t, t->ifname, vnet_hdr != 0, vnet_hdr == 1,
                          errp)) {
            return false;
        }
        tap_probe_features(t);
        if (up && !tap_run_script(up, t->dev, errp)) {
            return false;
        }
        t->run_downscript = down != NULL;
        ts_net_client_set_info(nd->client,
                               "index=0,type=tap,ifname=%s,script=%s,"
                               "downscript=%s", t->dev, up ? up : "no",
                               down ? down : "no");
    }

    int sndbuf = t->sndbuf && t->sndbuf < INT_MAX ? (int)t->sndbuf : INT_MAX;
    if (ioctl(t->fd, TUNSETSNDBUF, &sndbuf) < 0 && t->sndbuf) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "TUNSETSNDBUF ioctl failed: %s", g_strerror(errno));
        return false;
    }
    int flags = fcntl(t->fd, F_GETFL);
    if (flags < 0 || fcntl(t->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "could not make the tap fd non-blocking: %s",
                    g_strerror(errno));
        return false;
    }
    tap_start(t);
    return true;
}

static void tap_close(TsNetdev *nd)
{
    TapNet *t = (TapNet *)nd;
    tap_stop(t);
    if (t->fd >= 0) {
        close(t->fd);
        t->fd = -1;
    }
    if (t->run_downscript) {
        GError *err = NULL;
        const char *down = script_or_none(t->downscript, DEFAULT_IFDOWN);
        if (!tap_run_script(down, t->dev, &err)) {
            fprintf(stderr, "tessera: %s\n", err->message);
            g_error_free(err);
        }
        t->run_downscript = false;
    }
}

static const TsNetdevDriver tap_driver = {
    .name = "tap",
    .description = "host TAP interface (/dev/net/tun)",
    .instance_size = sizeof(TapNet),
    .options = tap_options,
    .ops = &tap_client_ops,
    .open = tap_open,
    .close = tap_close,
};

static bool net_tap_init(GError **errp)
{
    return ts_netdev_driver_register(&tap_driver, errp);
}

TS_PLUGIN("net-tap", "host TAP network interfaces", net_tap_init);

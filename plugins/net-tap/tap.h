/*
 * plugins/net-tap/tap.h - the tap netdev (-netdev tap): frames to and
 * from a host TAP interface, what its files share:
 *
 *   tap.c        the driver: options, open, close, info network
 *   tap-setup.c  getting the interface: /dev/net/tun, fd=/fds=, the
 *                bridge helper, the ifup/ifdown scripts
 *   tap-io.c     frames both ways with flow control, and the virtio-net
 *                header the kernel can carry with each frame
 */
#ifndef PLUGINS_NET_TAP_H
#define PLUGINS_NET_TAP_H

#include <tessera/tessera.h>

#include <net/if.h>

typedef struct TapNet {
    TsNetdev parent;
    /* options (QEMU 7.2's names) */
    char *ifname, *fd_opt, *fds, *script, *downscript, *br, *helper;
    char *vnet_hdr_opt;         /* on/off, or NULL: on when the host can */
    uint64_t sndbuf;
    bool vhost, vhostforce;
    char *vhostfd, *vhostfds;
    int64_t queues;
    int64_t poll_us;
    /* state */
    int fd;
    char dev[IFNAMSIZ];         /* the interface's name (for the scripts) */
    bool run_downscript;
    bool has_vnet_hdr;          /* opened with IFF_VNET_HDR */
    bool has_ufo;
    bool using_vnet_hdr;        /* the NIC takes and gives the header */
    int host_hdr_len;           /* the header's size on the fd: 10 or 12 */
    TsFdWatch *read_watch, *write_watch;
    bool read_paused;           /* the peer kept a frame: wait for it */
    uint8_t *buf;
} TapNet;

/* tap-setup.c */
/* Open /dev/net/tun as `ifname` (or the kernel's next tapN); the name it
 * got lands in t->dev. */
bool tap_open_tun(TapNet *t, const char *ifname, bool vnet_hdr,
                  bool vnet_hdr_required, GError **errp);
/* Run an ifup/ifdown script with the interface name; false + errp in
 * QEMU's words when it fails. */
bool tap_run_script(const char *script, const char *dev, GError **errp);
/* Get the fd from a bridge helper (helper=, br=). */
bool tap_open_helper(TapNet *t, const char *helper, const char *br,
                     GError **errp);
/* Check an fd the user handed over (fd=, fds=) and take it. */
bool tap_take_fd(TapNet *t, const char *text, GError **errp);
/* Whether a tap fd has IFF_VNET_HDR, and UFO offload. */
void tap_probe_features(TapNet *t);

/* tap-io.c */
extern const TsNetClientOps tap_client_ops;
void tap_start(TapNet *t);
void tap_stop(TapNet *t);

#endif

/*
 * plugins/net-tap/tap-setup.c - getting a TAP interface: made by us on
 * /dev/net/tun (needs CAP_NET_ADMIN), handed over (fd=, fds=, as libvirt
 * does), or made by a setuid bridge helper that passes the fd back over a
 * socket (helper=, br=).  Then the ifup script, as QEMU runs it.
 */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TUN_PATH "/dev/net/tun"

bool tap_open_tun(TapNet *t, const char *ifname, bool vnet_hdr,
                  bool vnet_hdr_required, GError **errp)
{
    int fd = open(TUN_PATH, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "could not open %s: %s", TUN_PATH, g_strerror(errno));
        return false;
    }
    struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
    unsigned features = 0;
    if (ioctl(fd, TUNGETFEATURES, &features) < 0) {
        features = 0;   /* a kernel too old to say: no header */
    }
    if (features & IFF_VNET_HDR) {
        if (vnet_hdr) {
            ifr.ifr_flags |= IFF_VNET_HDR;
        }
    } else if (vnet_hdr_required) {
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                            "vnet_hdr=1 requested, but no kernel support "
                            "for IFF_VNET_HDR available");
        close(fd);
        return false;
    }
    /* The kernel names it tapN unless told; a long name is cut as
     * QEMU cuts it. */
    g_strlcpy(ifr.ifr_name, ifname && *ifname ? ifname : "tap%d",
              sizeof(ifr.ifr_name));
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "could not configure %s (%s): %s", TUN_PATH,
                    ifr.ifr_name, g_strerror(errno));
        close(fd);
        return false;
    }
    g_strlcpy(t->dev, ifr.ifr_name, sizeof(t->dev));
    t->fd = fd;
    return true;
}

void tap_probe_features(TapNet *t)
{
    struct ifreq ifr;
    bool is_tap = ioctl(t->fd, TUNGETIFF, &ifr) == 0;
    t->has_vnet_hdr = is_tap && (ifr.ifr_flags & IFF_VNET_HDR);
    if (is_tap && !t->dev[0]) {
        g_strlcpy(t->dev, ifr.ifr_name, sizeof(t->dev));
    }
    /* UFO: the kernel takes the flag only if it can; put things back
     * to "no offloads" after asking. */
    t->has_ufo = ioctl(t->fd, TUNSETOFFLOAD,
                       TUN_F_CSUM | TUN_F_UFO) == 0;
    ioctl(t->fd, TUNSETOFFLOAD, 0);
    t->host_hdr_len = 10;       /* the kernel's default header size */
}

bool tap_take_fd(TapNet *t, const char *text, GError **errp)
{
    char *end;
    long fd = strtol(text, &end, 10);
    if (end == text || *end || fd < 0 || fd > INT_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid file descriptor number '%s'", text);
        return false;
    }
    if (fcntl(fd, F_GETFD) < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "%s: Can't use file descriptor %ld: %s",
                    ts_netdev_id(&t->parent), fd, g_strerror(errno));
        return false;
    }
    t->fd = fd;
    return true;
}

static void child_close_fds(int keep)
{
    /* The script or helper gets stdin/out/err and (helper) its socket,
     * not our disks and sockets. */
    int max = sysconf(_SC_OPEN_MAX);
    for (int fd = 3; fd < max && fd < 65536; fd++) {
        if (fd != keep) {
            close(fd);
        }
    }
}

bool tap_run_script(const char *script, const char *dev, GError **errp)
{
    pid_t pid = fork();
    if (pid < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "could not launch network script %s: %s", script,
                    g_strerror(errno));
        return false;
    }
    if (pid == 0) {
        child_close_fds(-1);
        execl(script, script, dev, (char *)NULL);
        _exit(1);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            status = -1;
            break;
        }
    }
    if (status != 0) {
        /* QEMU prints the raw wait status (256 for "exit 1"). */
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "network script %s failed with status %d", script,
                    status);
        return false;
    }
    return true;
}

/* Receive the fd the helper sends over `sock` (SCM_RIGHTS). */
static int recv_fd(int sock)
{
    char byte;
    struct iovec iov = { &byte, 1 };
    union {
        struct cmsghdr hdr;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control.buf, .msg_controllen = sizeof(control.buf),
    };
    ssize_t n;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        return -1;
    }
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len != CMSG_LEN(sizeof(int))) {
        return -1;
    }
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(fd));
    return fd;
}

bool tap_open_helper(TapNet *t, const char *helper, const char *br,
                     GError **errp)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "failed to create socketpair: %s", g_strerror(errno));
        return false;
    }
    pid_t pid = fork();
    if (pid < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "failed to fork bridge helper: %s", g_strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return false;
    }
    if (pid == 0) {
        char fd_arg[32], br_arg[IFNAMSIZ + 8];
        child_close_fds(sv[1]);
        fcntl(sv[1], F_SETFD, 0);
        snprintf(fd_arg, sizeof(fd_arg), "--fd=%d", sv[1]);
        snprintf(br_arg, sizeof(br_arg), "--br=%s", br);
        /* A helper with arguments of its own goes through the shell. */
        if (strpbrk(helper, " \t")) {
            char *cmd = g_strdup_printf("%s --use-vnet %s %s", helper,
                                        fd_arg, br_arg);
            execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        } else {
            execl(helper, helper, "--use-vnet", fd_arg, br_arg,
                  (char *)NULL);
        }
        _exit(1);
    }
    close(sv[1]);
    int fd = recv_fd(sv[0]);
    close(sv[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (fd < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_FAILED,
                            "bridge helper failed");
        return false;
    }
    t->fd = fd;
    return true;
}

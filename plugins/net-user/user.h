/*
 * plugins/net-user/user.h - the user-mode network backend (-netdev user)
 * on Debian's libslirp, what its files share:
 *
 *   user.c         the driver: open, close, frames both ways
 *   user-options.c the options (also in user-missing.c's build)
 *   user-missing.c the driver of a build without libslirp
 *   user-config.c  the options turned into a SlirpConfig, checked the
 *                  way QEMU checks them (same messages)
 *   user-fwd.c     hostfwd= / guestfwd= rules and the HMP hooks
 *   user-poll.c    slirp's sockets and timers on Tessera's main loop
 */
#ifndef PLUGINS_NET_USER_H
#define PLUGINS_NET_USER_H

#include <tessera/tessera.h>

#ifdef HAVE_SLIRP
#include <slirp/libslirp.h>
#endif

typedef struct UserPoll UserPoll;

typedef struct UserNet {
    TsNetdev parent;
    /* options (QEMU 7.2's names) */
    bool ipv4, ipv6, restricted;
    char *net, *host, *dhcpstart, *dns;
    char *ipv6_net, *ipv6_host, *ipv6_dns, *ipv6_prefix;
    int64_t ipv6_prefixlen;     /* -1: not given */
    char *hostname, *domainname;
    char *tftp, *tftp_server_name, *bootfile;
    char *smb, *smbserver;
    /* state */
    struct Slirp *slirp;
    UserPoll *poll;
    uint8_t *rx_buf;            /* a scattered frame made contiguous */
    char **dnssearch;           /* NULL-terminated, for SlirpConfig */
    GSList *guestfwds;          /* guestfwd= to chardevs (user-fwd.c) */
    TsBH *kick;                 /* user_guestfwd_kick, after slirp ran */
} UserNet;

/* user-options.c */
extern const TsProperty user_options[];
extern const char *const user_list_options[];

#ifdef HAVE_SLIRP
/* user-config.c: fill `cfg` (version 4) from the options.  Strings in
 * cfg point into `u`.  false + errp in QEMU's words. */
bool user_config(UserNet *u, SlirpConfig *cfg, GError **errp);

/* user-fwd.c */
bool user_hostfwd_add(UserNet *u, const char *rule, GError **errp);
bool user_hostfwd_remove(UserNet *u, const char *rule, GError **errp);
bool user_guestfwd_add(UserNet *u, const char *rule, GError **errp);
void user_guestfwd_kick(void *opaque);
void user_guestfwd_free_all(UserNet *u);

/* user-poll.c: slirp's callbacks that reach the main loop, and the
 * resynchronisation of fd watches after slirp ran. */
extern const SlirpCb user_slirp_callbacks;
UserPoll *user_poll_new(UserNet *u);
void user_poll_free(UserPoll *p);
/* slirp may have opened, closed or changed sockets: watch what it wants
 * now and arm its timeout. */
void user_poll_sync(UserPoll *p);
/* Call around every entry into slirp from outside user-poll.c, so a
 * nested entry (a frame sent back from within slirp) syncs only once,
 * at the outermost level. */
void user_poll_enter(UserPoll *p);
void user_poll_leave(UserPoll *p);
#endif

#endif

/*
 * plugins/net-user/user-fwd.c - port forwarding rules: hostfwd= (a host
 * port reaching a guest port, also added and removed at run time by HMP
 * hostfwd_add/hostfwd_remove) and guestfwd= (a guest address:port whose
 * connections run a host command or reach a chardev).  The grammar and every message are
 * QEMU 7.2's, since users' scripts carry these rules over.
 */
#include "user.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* Cut `*p` at the first `sep`: the part before it, NUL-terminated, is
 * returned and *p moves past the separator; NULL when there is none. */
static char *cut(char **p, char sep)
{
    char *s = strchr(*p, sep);
    if (!s) {
        return NULL;
    }
    char *head = *p;
    *s = '\0';
    *p = s + 1;
    return head;
}

/* A port number lo..65535, the whole string. */
static bool parse_port(const char *text, int lo, int *port)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < lo || v > 65535) {
        return false;
    }
    *port = v;
    return true;
}

/* "" means any address (host side) or the DHCP start (guest side). */
static bool parse_addr(const char *text, struct in_addr *addr)
{
    if (!*text) {
        addr->s_addr = INADDR_ANY;
        return true;
    }
    return inet_aton(text, addr);
}

/* tcp, udp or "" (tcp). */
static bool parse_proto(const char *text, bool *udp)
{
    if (!*text || !strcmp(text, "tcp")) {
        *udp = false;
    } else if (!strcmp(text, "udp")) {
        *udp = true;
    } else {
        return false;
    }
    return true;
}

bool user_hostfwd_add(UserNet *u, const char *rule, GError **errp)
{
    g_autofree char *buf = g_strdup(rule);
    char *p = buf, *field;
    const char *why;
    bool udp;
    struct in_addr host_addr, guest_addr;
    int host_port, guest_port;

    if (!(field = cut(&p, ':'))) {
        why = "No : separators";
    } else if (!parse_proto(field, &udp)) {
        why = "Bad protocol name";
    } else if (!(field = cut(&p, ':'))) {
        why = "Missing : separator";
    } else if (!parse_addr(field, &host_addr)) {
        why = "Bad host address";
    } else if (!(field = cut(&p, '-'))) {
        why = "Bad host port separator";
    } else if (!parse_port(field, 0, &host_port)) {
        why = "Bad host port";
    } else if (!(field = cut(&p, ':'))) {
        why = "Missing guest address";
    } else if (!parse_addr(field, &guest_addr)) {
        why = "Bad guest address";
    } else if (!parse_port(p, 1, &guest_port)) {
        why = "Bad guest port";
    } else {
        user_poll_enter(u->poll);
        int r = slirp_add_hostfwd(u->slirp, udp, host_addr, host_port,
                                  guest_addr, guest_port);
        user_poll_leave(u->poll);
        if (r < 0) {
            /* The usual cause: the port is taken (bind failed). */
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "Could not set up host forwarding rule '%s'", rule);
            return false;
        }
        return true;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Invalid host forwarding rule '%s' (%s)", rule, why);
    return false;
}

bool user_hostfwd_remove(UserNet *u, const char *rule, GError **errp)
{
    g_autofree char *buf = g_strdup(rule);
    char *p = buf, *field;
    bool udp;
    struct in_addr host_addr;
    int host_port;

    if (!(field = cut(&p, ':')) || !parse_proto(field, &udp) ||
        !(field = cut(&p, ':')) || !parse_addr(field, &host_addr) ||
        !parse_port(p, 0, &host_port)) {
        g_set_error_literal(errp, TS_ERROR, TS_ERROR_INVALID,
                            "invalid format");
        return false;
    }
    user_poll_enter(u->poll);
    int r = slirp_remove_hostfwd(u->slirp, udp, host_addr, host_port);
    user_poll_leave(u->poll);
    if (r < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "host forwarding rule for %s not found", rule);
        return false;
    }
    return true;
}

/* A guestfwd= to a chardev: bytes both ways between the guest's
 * connection (inside slirp) and the chardev's peer. */
typedef struct GuestFwd {
    UserNet *u;
    TsChardev *chr;
    struct in_addr server;
    int port;
} GuestFwd;

static ssize_t fwd_to_chardev(const void *buf, size_t len, void *opaque)
{
    GuestFwd *f = opaque;
    return ts_chardev_write(f->chr, buf, len);
}

static size_t fwd_can_receive(void *opaque)
{
    GuestFwd *f = opaque;
    return f->u->slirp ? slirp_socket_can_recv(f->u->slirp, f->server,
                                               f->port) : 0;
}

static void fwd_receive(void *opaque, const uint8_t *buf, size_t len)
{
    GuestFwd *f = opaque;
    user_poll_enter(f->u->poll);
    slirp_socket_recv(f->u->slirp, f->server, f->port, buf, len);
    user_poll_leave(f->u->poll);
}

static const TsChardevHandlers fwd_handlers = {
    .can_receive = fwd_can_receive,
    .receive = fwd_receive,
};

static bool guestfwd_chardev(UserNet *u, const char *rule, const char *id,
                             struct in_addr server, int port, GError **errp)
{
    TsChardev *chr = ts_chardev_find(id);
    if (!chr) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Could not open guest forwarding device '%s': no "
                    "chardev '%s'", rule, id);
        return false;
    }
    GuestFwd *f = g_new0(GuestFwd, 1);
    f->u = u;
    f->chr = chr;
    f->port = port;
    user_poll_enter(u->poll);
    int r = slirp_add_guestfwd(u->slirp, fwd_to_chardev, f, &server, port);
    user_poll_leave(u->poll);
    f->server = server;         /* slirp filled in the default address */
    if (r < 0) {
        g_free(f);
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Conflicting/invalid host:port in guest forwarding "
                    "rule '%s'", rule);
        return false;
    }
    if (!ts_chardev_attach(chr, &fwd_handlers, f, errp)) {
        slirp_remove_guestfwd(u->slirp, server, port);
        g_free(f);
        return false;
    }
    u->guestfwds = g_slist_prepend(u->guestfwds, f);
    return true;
}

/* slirp can take more from the guestfwd chardevs. */
void user_guestfwd_kick(void *opaque)
{
    UserNet *u = opaque;
    for (GSList *l = u->guestfwds; l; l = l->next) {
        GuestFwd *f = l->data;
        ts_chardev_accept_input(f->chr);
    }
}

void user_guestfwd_free_all(UserNet *u)
{
    for (GSList *l = u->guestfwds; l; l = l->next) {
        GuestFwd *f = l->data;
        ts_chardev_detach(f->chr, f);
        g_free(f);
    }
    g_clear_pointer(&u->guestfwds, g_slist_free);
}

/*
 * guestfwd=[tcp]:[server]:port-TARGET: a guest's connection to
 * server:port (10.0.2.4 by default) goes to TARGET, either cmd:COMMAND
 * (libslirp runs it per connection, its stdin and stdout joined to the
 * connection) or chardev:ID (an existing -chardev).  QEMU also takes a
 * new chardev's spec there; Tessera says it does not.
 */
bool user_guestfwd_add(UserNet *u, const char *rule, GError **errp)
{
    g_autofree char *buf = g_strdup(rule);
    char *p = buf, *field;
    bool udp = false;
    struct in_addr server;
    int port;

    if (!(field = cut(&p, ':')) || !parse_proto(field, &udp) || udp ||
        !(field = cut(&p, ':')) || !parse_addr(field, &server) ||
        !(field = cut(&p, '-')) || !parse_port(field, 1, &port)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid guest forwarding rule '%s'", rule);
        return false;
    }
    if (g_str_has_prefix(p, "chardev:")) {
        return guestfwd_chardev(u, rule, p + 8, server, port, errp);
    }
    if (!g_str_has_prefix(p, "cmd:")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "guest forwarding rule '%s': the target must be "
                    "'cmd:COMMAND' or 'chardev:ID' (of a -chardev), not "
                    "'%s'", rule, p);
        return false;
    }
    user_poll_enter(u->poll);
    int r = slirp_add_exec(u->slirp, p + 4, &server, port);
    user_poll_leave(u->poll);
    if (r < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Conflicting/invalid host:port in guest forwarding "
                    "rule '%s'", rule);
        return false;
    }
    return true;
}

/*
 * plugins/net-user/user-fwd.c - port forwarding rules: hostfwd= (a host
 * port reaching a guest port, also added and removed at run time by HMP
 * hostfwd_add/hostfwd_remove) and guestfwd= (a guest address:port whose
 * connections run a host command).  The grammar and every message are
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

/*
 * guestfwd=[tcp]:[server]:port-cmd:command: every connection the guest
 * makes to server:port runs `command` with its stdin and stdout joined to
 * the connection (libslirp forks it).  QEMU also takes a chardev there;
 * Tessera takes the command form only and says so.
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
    if (!g_str_has_prefix(p, "cmd:")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "guest forwarding rule '%s': only 'cmd:COMMAND' is "
                    "supported as the target, not '%s'", rule, p);
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

/*
 * chardev-legacy.c - QEMU's short backend spellings of -serial, -monitor
 * and -parallel ("stdio", "tcp::4444,server=on", "mon:stdio", ...),
 * turned into -chardev option text so there is only one way to create a
 * backend.
 */
#include "chardev-internal.h"

#include <string.h>

/* Option text needs ",," for a literal comma. */
static void append_escaped(GString *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == ',') {
            g_string_append_c(out, ',');
        }
        g_string_append_c(out, *p);
    }
}

/* "host:port[,opts]": the host may be empty or an [ipv6] literal. */
static bool split_host_port(const char *spec, GString *out, GError **errp)
{
    const char *comma = strchr(spec, ',');
    g_autofree char *addr = comma ? g_strndup(spec, comma - spec)
                                  : g_strdup(spec);
    const char *colon = strrchr(addr, ':');
    if (!colon || !colon[1]) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s': expected host:port", spec);
        return false;
    }
    g_autofree char *host = g_strndup(addr, colon - addr);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        char *inner = g_strndup(host + 1, strlen(host) - 2);
        g_free(host);
        host = inner;
    }
    g_string_append(out, ",host=");
    append_escaped(out, host);
    g_string_append(out, ",port=");
    append_escaped(out, colon + 1);
    if (comma) {
        g_string_append(out, comma);
    }
    return true;
}

/* udp:[rhost]:rport[@[lhost]:lport] */
static bool convert_udp(const char *spec, GString *out, GError **errp)
{
    const char *at = strchr(spec, '@');
    g_autofree char *remote = at ? g_strndup(spec, at - spec) : g_strdup(spec);
    const char *rcolon = strrchr(remote, ':');
    if (!rcolon || !rcolon[1]) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "udp:%s: expected [host]:port[@[localaddr]:localport]",
                    spec);
        return false;
    }
    g_autofree char *rhost = g_strndup(remote, rcolon - remote);
    g_string_append(out, "udp");
    if (*rhost) {
        g_string_append(out, ",host=");
        append_escaped(out, rhost);
    }
    g_string_append(out, ",port=");
    append_escaped(out, rcolon + 1);
    if (at) {
        const char *lcolon = strrchr(at + 1, ':');
        if (!lcolon || !lcolon[1]) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "udp:%s: expected [localaddr]:localport after '@'",
                        spec);
            return false;
        }
        g_autofree char *lhost = g_strndup(at + 1, lcolon - (at + 1));
        if (*lhost) {
            g_string_append(out, ",localaddr=");
            append_escaped(out, lhost);
        }
        g_string_append(out, ",localport=");
        append_escaped(out, lcolon + 1);
    }
    return true;
}

char *chardev_legacy_to_opts(const char *id, const char *spec,
                             bool *mux_out, GError **errp)
{
    g_autoptr(GString) out = g_string_new(NULL);
    bool mux = false;
    const char *rest;

    if (g_str_has_prefix(spec, "mon:")) {
        mux = true;
        spec += 4;
    }
    if (g_str_equal(spec, "null") || g_str_equal(spec, "stdio") ||
        g_str_equal(spec, "pty") || g_str_equal(spec, "ringbuf")) {
        g_string_append(out, spec);
    } else if ((rest = g_str_has_prefix(spec, "file:") ? spec + 5 : NULL)) {
        g_string_append(out, "file,path=");
        append_escaped(out, rest);
    } else if ((rest = g_str_has_prefix(spec, "pipe:") ? spec + 5 : NULL)) {
        g_string_append(out, "pipe,path=");
        append_escaped(out, rest);
    } else if (g_str_has_prefix(spec, "/dev/")) {
        g_string_append(out, "serial,path=");
        append_escaped(out, spec);
    } else if (g_str_has_prefix(spec, "tcp:")) {
        g_string_append(out, "socket");
        if (!split_host_port(spec + 4, out, errp)) {
            return NULL;
        }
    } else if (g_str_has_prefix(spec, "telnet:")) {
        g_string_append(out, "socket");
        if (!split_host_port(spec + 7, out, errp)) {
            return NULL;
        }
        g_string_append(out, ",telnet=on");
    } else if (g_str_has_prefix(spec, "unix:")) {
        /* The path ends at the first comma; options follow. */
        g_string_append(out, "socket,path=");
        g_string_append(out, spec + 5);
    } else if (g_str_has_prefix(spec, "udp:")) {
        if (!convert_udp(spec + 4, out, errp)) {
            return NULL;
        }
    } else if (g_str_equal(spec, "none") || g_str_has_prefix(spec, "chardev:")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s' does not create a backend", spec);
        return NULL;
    } else if (g_str_equal(spec, "vc") || g_str_has_prefix(spec, "vc:") ||
               g_str_equal(spec, "msmouse") || g_str_equal(spec, "braille") ||
               g_str_equal(spec, "wctablet") || g_str_has_prefix(spec, "spice")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "character device '%s' is not supported yet", spec);
        return NULL;
    } else {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s' is not a valid char driver name", spec);
        return NULL;
    }
    g_string_append_printf(out, ",id=%s", id);
    if (mux && g_str_equal(spec, "stdio")) {
        /* With the monitor on the same terminal, Ctrl-c belongs to the
         * guest: quitting is Ctrl-a x. */
        g_string_append(out, ",signal=off");
    }
    if (mux) {
        g_string_append(out, ",mux=on");
    }
    if (mux_out) {
        *mux_out = mux;
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/*
 * plugins/blk-nbd/nbd-uri.c - the filenames QEMU's nbd driver takes,
 * turned into the driver's options:
 *
 *   nbd://HOST[:PORT][/EXPORT]        (also nbd+tcp://)
 *   nbd+unix://[/EXPORT]?socket=PATH
 *   nbd:HOST[:PORT][:exportname=EXPORT]      the legacy syntax
 *   nbd:unix:PATH[:exportname=EXPORT]
 *
 * The port defaults to 10809; an empty export is the server's default.
 */
#include "nbd-conn.h"
#include "nbd-proto.h"

#include <tessera/tessera.h>

#include <string.h>

static void put(GHashTable *opts, const char *key, const char *value)
{
    g_hash_table_replace(opts, g_strdup(key), g_strdup(value));
}

static bool no_url(const char *filename, GError **errp)
{
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "No valid URL specified: '%s' (nbd://HOST[:PORT]/EXPORT or "
                "nbd+unix:///EXPORT?socket=PATH)", filename);
    return false;
}

static bool parse_url(const char *filename, GHashTable *opts, GError **errp)
{
    g_autoptr(GUri) uri = g_uri_parse(filename, G_URI_FLAGS_ENCODED_QUERY,
                                      NULL);
    if (!uri) {
        return no_url(filename, errp);
    }
    const char *scheme = g_uri_get_scheme(uri);
    bool is_unix = g_ascii_strcasecmp(scheme, "nbd+unix") == 0;
    if (!is_unix && g_ascii_strcasecmp(scheme, "nbd") != 0 &&
        g_ascii_strcasecmp(scheme, "nbd+tcp") != 0) {
        return no_url(filename, errp);
    }
    if (g_uri_get_userinfo(uri) || g_uri_get_fragment(uri)) {
        return no_url(filename, errp);
    }
    const char *path = g_uri_get_path(uri);
    const char *export = path[0] == '/' ? path + 1 : path;
    const char *host = g_uri_get_host(uri);
    const char *query = g_uri_get_query(uri);
    if (is_unix) {
        /* The socket is the one query parameter; no host. */
        g_autoptr(GHashTable) params = query
            ? g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, NULL)
            : NULL;
        const char *sock = params ? g_hash_table_lookup(params, "socket")
                                  : NULL;
        if ((host && *host) || g_uri_get_port(uri) != -1 || !sock ||
            !*sock || g_hash_table_size(params) != 1) {
            return no_url(filename, errp);
        }
        put(opts, "server.type", "unix");
        put(opts, "server.path", sock);
    } else {
        if (!host || !*host || query) {
            return no_url(filename, errp);
        }
        g_autofree char *port = g_uri_get_port(uri) == -1
            ? g_strdup(NBD_DEFAULT_PORT)
            : g_strdup_printf("%d", g_uri_get_port(uri));
        put(opts, "server.type", "inet");
        put(opts, "server.host", host);
        put(opts, "server.port", port);
    }
    if (*export) {
        put(opts, "export", export);
    }
    return true;
}

/* nbd:HOST[:PORT] / nbd:unix:PATH, with an optional :exportname=X. */
static bool parse_legacy(const char *filename, GHashTable *opts,
                         GError **errp)
{
    if (!g_str_has_prefix(filename, "nbd:")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "File name string for NBD must start with 'nbd:'");
        return false;
    }
    g_autofree char *spec = g_strdup(filename + 4);
    char *en = strstr(spec, ":exportname=");
    if (en) {
        *en = '\0';
        put(opts, "export", en + strlen(":exportname="));
    }
    if (g_str_has_prefix(spec, "unix:")) {
        if (!spec[5]) {
            goto bad;
        }
        put(opts, "server.type", "unix");
        put(opts, "server.path", spec + 5);
        return true;
    }
    /* HOST[:PORT], HOST possibly [v6]. */
    char *host = spec, *port = NULL;
    if (*host == '[') {
        char *close = strchr(host, ']');
        if (!close || (close[1] && close[1] != ':')) {
            goto bad;
        }
        *close = '\0';
        host++;
        port = close[1] ? close + 2 : NULL;
    } else {
        char *colon = strchr(host, ':');
        if (colon) {
            *colon = '\0';
            port = colon + 1;
        }
    }
    if (!*host || (port && (!*port || strchr(port, ':')))) {
        goto bad;
    }
    put(opts, "server.type", "inet");
    put(opts, "server.host", host);
    put(opts, "server.port", port ? port : NBD_DEFAULT_PORT);
    return true;

bad:
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Malformed NBD address '%s' (nbd:HOST[:PORT] or "
                "nbd:unix:PATH, optionally :exportname=NAME)", filename);
    return false;
}

bool nbd_parse_filename(const char *filename, GHashTable *opts,
                        GError **errp)
{
    if (strstr(filename, "://")) {
        return parse_url(filename, opts, errp);
    }
    return parse_legacy(filename, opts, errp);
}

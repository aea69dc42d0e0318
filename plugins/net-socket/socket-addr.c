/*
 * plugins/net-socket/socket-addr.c - "[host]:port" as QEMU's socket
 * backend reads it (IPv4; a name is resolved), with its messages.
 */
#include "socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

bool socket_parse_host_port(struct sockaddr_in *sa, const char *text,
                            GError **errp)
{
    const char *colon = strchr(text, ':');
    if (!colon) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "host address '%s' doesn't contain ':' separating host "
                    "from port", text);
        return false;
    }
    g_autofree char *host = g_strndup(text, colon - text);
    const char *port = colon + 1;
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    if (!*host) {
        sa->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (!inet_aton(host, &sa->sin_addr)) {
        struct addrinfo hints = { .ai_family = AF_INET }, *res = NULL;
        if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "can't resolve host address '%s'", host);
            return false;
        }
        sa->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
        freeaddrinfo(res);
    }
    char *end;
    errno = 0;
    long p = strtol(port, &end, 10);
    if (!*port || *end || errno || p < INT32_MIN || p > INT32_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "port number '%s' is invalid", port);
        return false;
    }
    sa->sin_port = htons((uint16_t)p);   /* QEMU truncates too */
    return true;
}

char *socket_addr_string(const struct sockaddr_in *sa)
{
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
    return g_strdup_printf("%s:%d", ip, ntohs(sa->sin_port));
}

/*
 * plugins/net-user/user-config.c - -netdev user's address options turned
 * into libslirp's configuration, with QEMU 7.2's defaults (10.0.2.0/24,
 * host .2, DNS .3, DHCP from .15; fec0::/64 with ::2 and ::3) and its
 * checks, in the same order and words, since scripts match on them.
 */
#include "user.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static bool fail(GError **errp, const char *msg)
{
    g_set_error_literal(errp, TS_ERROR, TS_ERROR_INVALID, msg);
    return false;
}

/* The mask a bare address gets: its historical class, with the private
 * and benchmark ranges at their own sizes (what users of a plain
 * "net=10.0.2.0" have always got). */
static uint32_t classful_mask(uint32_t addr)
{
    if (!(addr & 0x80000000)) {
        return 0xff000000;                      /* class A */
    } else if ((addr & 0xfff00000) == 0xac100000) {
        return 0xfff00000;                      /* 172.16.0.0/12 */
    } else if ((addr & 0xc0000000) == 0x80000000) {
        return 0xffff0000;                      /* class B */
    } else if ((addr & 0xffff0000) == 0xc0a80000) {
        return 0xffff0000;                      /* 192.168.0.0/16 */
    } else if ((addr & 0xffff0000) == 0xc6120000) {
        return 0xfffe0000;                      /* 198.18.0.0/15 */
    } else if ((addr & 0xe0000000) == 0xe0000000) {
        return 0xffffff00;                      /* class D/E */
    }
    return 0xfffffff0;
}

/* net=ADDR[/MASK], MASK a prefix length or a dotted mask. */
static bool parse_net(const char *text, struct in_addr *net,
                      struct in_addr *mask, GError **errp)
{
    g_autofree char *addr = g_strdup(text);
    char *slash = strchr(addr, '/');
    if (slash) {
        *slash++ = '\0';
    }
    if (!inet_aton(addr, net)) {
        return fail(errp, "Failed to parse netmask");
    }
    if (!slash) {
        mask->s_addr = htonl(classful_mask(ntohl(net->s_addr)));
    } else {
        char *end;
        long bits = strtol(slash, &end, 10);
        if (*end != '\0' || end == slash) {
            if (!inet_aton(slash, mask)) {
                return fail(errp, "Failed to parse netmask (trailing chars)");
            }
        } else if (bits < 4 || bits > 32) {
            return fail(errp, "Invalid netmask provided (must be in range 4-32)");
        } else {
            mask->s_addr = htonl(0xffffffffu << (32 - bits));
        }
    }
    net->s_addr &= mask->s_addr;
    return true;
}

/* The address `low` inside the network (QEMU's defaults add 0x0200 so a
 * /8 still gets 10.0.2.x). */
static struct in_addr in_net(struct in_addr net, struct in_addr mask,
                             uint32_t low)
{
    struct in_addr a = { net.s_addr | (htonl(low) & ~mask.s_addr) };
    return a;
}

static bool config_ipv4(UserNet *u, SlirpConfig *cfg, GError **errp)
{
    struct in_addr net, mask;
    if (u->net) {
        if (!parse_net(u->net, &net, &mask, errp)) {
            return false;
        }
    } else {
        inet_aton("10.0.2.0", &net);
        inet_aton("255.255.255.0", &mask);
    }
    struct in_addr host = in_net(net, mask, 0x0202);
    if (u->host) {
        if (!inet_aton(u->host, &host)) {
            return fail(errp, "Failed to parse host");
        }
        if ((host.s_addr & mask.s_addr) != net.s_addr) {
            return fail(errp, "Host doesn't belong to network");
        }
    }
    struct in_addr dns = in_net(net, mask, 0x0203);
    if (u->dns && !inet_aton(u->dns, &dns)) {
        return fail(errp, "Failed to parse DNS");
    }
    if (dns.s_addr == host.s_addr) {
        return fail(errp, "DNS must be different from host");
    }
    struct in_addr dhcp = in_net(net, mask, 0x020f);
    if (u->dhcpstart) {
        if (!inet_aton(u->dhcpstart, &dhcp)) {
            return fail(errp, "Failed to parse DHCP start address");
        }
        if ((dhcp.s_addr & mask.s_addr) != net.s_addr) {
            return fail(errp, "DHCP doesn't belong to network");
        }
    }
    if (dhcp.s_addr == host.s_addr || dhcp.s_addr == dns.s_addr) {
        return fail(errp, "DHCP must be different from host and DNS");
    }
    cfg->vnetwork = net;
    cfg->vnetmask = mask;
    cfg->vhost = host;
    cfg->vnameserver = dns;
    cfg->vdhcp_start = dhcp;
    return true;
}

/* ipv6-net=PREFIX[/LEN], or the older ipv6-prefix= and ipv6-prefixlen=. */
static bool config_ipv6(UserNet *u, SlirpConfig *cfg, GError **errp)
{
    const char *prefix = u->ipv6_prefix ? u->ipv6_prefix : "fec0::";
    int64_t len = u->ipv6_prefixlen >= 0 ? u->ipv6_prefixlen : 64;
    g_autofree char *net = NULL;
    if (u->ipv6_net) {
        net = g_strdup(u->ipv6_net);
        char *slash = strchr(net, '/');
        prefix = net;
        if (slash) {
            char *end;
            *slash++ = '\0';
            len = strtol(slash, &end, 10);
            if (*end != '\0' || end == slash) {
                return fail(errp,
                            "Parameter 'ipv6-prefixlen' expects a number");
            }
        }
    }
    if (!inet_pton(AF_INET6, prefix, &cfg->vprefix_addr6)) {
        return fail(errp, "Failed to parse IPv6 prefix");
    }
    if (len < 0 || len > 126) {
        return fail(errp, "Invalid IPv6 prefix provided "
                    "(IPv6 prefix length must be between 0 and 126)");
    }
    cfg->vprefix_len = len;

    /* The host is ::2 and the DNS ::3 of the prefix unless given. */
    cfg->vhost6 = cfg->vprefix_addr6;
    cfg->vhost6.s6_addr[15] |= 2;
    if (u->ipv6_host) {
        if (!inet_pton(AF_INET6, u->ipv6_host, &cfg->vhost6)) {
            return fail(errp, "Failed to parse IPv6 host");
        }
        for (int bit = 0; bit < len; bit++) {
            uint8_t m = 0x80 >> (bit % 8);
            if ((cfg->vhost6.s6_addr[bit / 8] ^
                 cfg->vprefix_addr6.s6_addr[bit / 8]) & m) {
                return fail(errp, "IPv6 Host doesn't belong to network");
            }
        }
    }
    cfg->vnameserver6 = cfg->vprefix_addr6;
    cfg->vnameserver6.s6_addr[15] |= 3;
    if (u->ipv6_dns && !inet_pton(AF_INET6, u->ipv6_dns, &cfg->vnameserver6)) {
        return fail(errp, "Failed to parse IPv6 DNS");
    }
    return true;
}

bool user_config(UserNet *u, SlirpConfig *cfg, GError **errp)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->version = 4;
    if (!u->ipv4 && (u->net || u->host || u->dns)) {
        return fail(errp, "IPv4 disabled but netmask/host/dns provided");
    }
    if (!u->ipv6 && (u->ipv6_net || u->ipv6_prefix || u->ipv6_host ||
                     u->ipv6_dns)) {
        return fail(errp, "IPv6 disabled but prefix/host6/dns6 provided");
    }
    if (!u->ipv4 && !u->ipv6) {
        return fail(errp, "IPv4 and IPv6 disabled");
    }
    if (!config_ipv4(u, cfg, errp) || !config_ipv6(u, cfg, errp)) {
        return false;
    }
    cfg->restricted = u->restricted;
    cfg->in_enabled = u->ipv4;
    cfg->in6_enabled = u->ipv6;
    cfg->vhostname = u->hostname;
    cfg->tftp_server_name = u->tftp_server_name;
    cfg->tftp_path = u->tftp;
    cfg->bootfile = u->bootfile;
    cfg->vdnssearch = (const char **)u->dnssearch;
    cfg->vdomainname = u->domainname;
    return true;
}

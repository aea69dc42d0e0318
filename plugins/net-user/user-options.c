/*
 * plugins/net-user/user-options.c - -netdev user's options, QEMU 7.2's
 * names and defaults (`-netdev user,help` lists them).  Shared by the
 * libslirp build and the one without it, so that a command line written
 * for the full plugin is refused for the missing library, not for an
 * unknown option.
 */
#include "user.h"

const TsProperty user_options[] = {
    TS_PROP_BOOL("ipv4", UserNet, ipv4, true, "IPv4 on the guest network"),
    TS_PROP_STRING("net", UserNet, net, NULL,
                   "guest network addr[/mask] (default 10.0.2.0/24)"),
    TS_PROP_STRING("host", UserNet, host, NULL,
                   "the host's address on it (default x.x.2.2)"),
    TS_PROP_BOOL("ipv6", UserNet, ipv6, true, "IPv6 on the guest network"),
    TS_PROP_STRING("ipv6-net", UserNet, ipv6_net, NULL,
                   "IPv6 prefix[/len] (default fec0::/64)"),
    TS_PROP_STRING("ipv6-host", UserNet, ipv6_host, NULL,
                   "the host's IPv6 address (default prefix::2)"),
    TS_PROP_STRING("ipv6-prefix", UserNet, ipv6_prefix, NULL,
                   "IPv6 prefix (older spelling of ipv6-net)"),
    TS_PROP_INT("ipv6-prefixlen", UserNet, ipv6_prefixlen, -1, 0, 0,
                "IPv6 prefix length (older spelling of ipv6-net)"),
    TS_PROP_BOOL("restrict", UserNet, restricted, false,
                 "isolate the guest from the host and the outside"),
    TS_PROP_STRING("hostname", UserNet, hostname, NULL,
                   "host name the DHCP server gives the guest"),
    TS_PROP_STRING("dhcpstart", UserNet, dhcpstart, NULL,
                   "first address the DHCP server hands out (default x.x.2.15)"),
    TS_PROP_STRING("dns", UserNet, dns, NULL,
                   "the DNS relay's address (default x.x.2.3)"),
    TS_PROP_STRING("ipv6-dns", UserNet, ipv6_dns, NULL,
                   "the DNS relay's IPv6 address (default prefix::3)"),
    TS_PROP_STRING("domainname", UserNet, domainname, NULL,
                   "DNS domain the DHCP server gives the guest"),
    TS_PROP_STRING("tftp", UserNet, tftp, NULL,
                   "host directory the TFTP server reads from"),
    TS_PROP_STRING("tftp-server-name", UserNet, tftp_server_name, NULL,
                   "TFTP server name given in DHCP option 66"),
    TS_PROP_STRING("bootfile", UserNet, bootfile, NULL,
                   "boot file name given in DHCP replies"),
    TS_PROP_STRING("smb", UserNet, smb, NULL,
                   "host directory shared over SMB (needs smbd)"),
    TS_PROP_STRING("smbserver", UserNet, smbserver, NULL,
                   "the SMB server's guest address"),
    TS_PROP_END
};

const char *const user_list_options[] = {
    "hostfwd", "guestfwd", "dnssearch", NULL
};

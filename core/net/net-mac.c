/*
 * core/net/net-mac.c - NIC addresses: parsing the mac= property, and
 * QEMU's default assignment, 52:54:00:12:34:56 upwards, skipping
 * addresses in that range a NIC already uses (the lowest free one, so a
 * NIC unplugged gives its address back to the next one).
 */
#include "net-internal.h"

#include <stdio.h>
#include <string.h>

/* QEMU's prefix: locally administered, "QEMU's" OUI as guests know it. */
static const uint8_t default_prefix[5] = { 0x52, 0x54, 0x00, 0x12, 0x34 };
#define DEFAULT_FIRST 0x56

/* How many NICs use 52:54:00:12:34:xx, by xx; and how many of those
 * were handed out by ts_net_default_mac() and not yet claimed by a NIC
 * (a device picks its address before it attaches). */
static unsigned in_use[256];
static unsigned handed_out[256];

static bool in_default_range(const uint8_t mac[6])
{
    return memcmp(mac, default_prefix, sizeof(default_prefix)) == 0;
}

TS_EXPORT void ts_net_default_mac(uint8_t mac[6])
{
    unsigned last = DEFAULT_FIRST;
    while (last < 0xff && in_use[last]) {
        last++;
    }
    /* Past the range QEMU hands out the last address again; so do we
     * (two hundred NICs with default addresses is not a real set-up). */
    memcpy(mac, default_prefix, sizeof(default_prefix));
    mac[5] = last;
    in_use[last]++;
    handed_out[last]++;
}

void net_mac_claim(const uint8_t mac[6])
{
    if (!in_default_range(mac)) {
        return;
    }
    if (handed_out[mac[5]]) {
        handed_out[mac[5]]--;
    } else {
        in_use[mac[5]]++;
    }
}

void net_mac_release(const uint8_t mac[6])
{
    if (in_default_range(mac) && in_use[mac[5]]) {
        in_use[mac[5]]--;
    }
}

void net_mac_reset(void)
{
    memset(in_use, 0, sizeof(in_use));
    memset(handed_out, 0, sizeof(handed_out));
}

char *net_mac_to_string(const uint8_t mac[6])
{
    return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
                           mac[2], mac[3], mac[4], mac[5]);
}

static int hex_digit(char c)
{
    return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

/* Six groups of two hex digits, split by ':' or '-' (one kind). */
static bool parse_mac(const char *s, uint8_t mac[6])
{
    if (strlen(s) != 17) {
        return false;
    }
    char sep = s[2];
    if (sep != ':' && sep != '-') {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        const char *p = s + 3 * i;
        int hi = hex_digit(p[0]), lo = hex_digit(p[1]);
        if (hi < 0 || lo < 0 || (i < 5 && p[2] != sep)) {
            return false;
        }
        mac[i] = hi << 4 | lo;
    }
    return true;
}

TS_EXPORT bool ts_net_parse_mac(const char *text, const char *prop,
                                uint8_t mac[6], GError **errp)
{
    if (!text || !*text) {
        ts_net_default_mac(mac);
        return true;
    }
    if (!parse_mac(text, mac)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Property '%s' doesn't take value '%s'", prop, text);
        return false;
    }
    return true;
}

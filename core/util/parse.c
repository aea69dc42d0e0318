/*
 * core/util/parse.c - parsing numbers, sizes and booleans the way QEMU's
 * command line does, with messages that name what was being parsed.
 */
#include <tessera/object.h>
#include "parse.h"

#include <string.h>


bool ts_parse_bool(const char *what, const char *text, bool *out,
                             GError **errp)
{
    static const char *const yes[] = { "on", "yes", "true", "y", NULL };
    static const char *const no[] = { "off", "no", "false", "n", NULL };
    for (int i = 0; yes[i]; i++) {
        if (text && g_str_equal(text, yes[i])) {
            *out = true;
            return true;
        }
        if (text && g_str_equal(text, no[i])) {
            *out = false;
            return true;
        }
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Parameter '%s' expects 'on' or 'off'", what);
    return false;
}

/*
 * Decimal or 0x hex, an optional sign for signed values, and nothing else:
 * no blanks, no trailing junk.  Leading zeros are decimal ("010" is ten):
 * strtoll's octal would silently turn "-smp 010" into 8 and refuse "08".
 * The magnitude is accumulated as unsigned so INT64_MIN parses exactly.
 */
static bool parse_integer(const char *what, const char *text, bool is_signed,
                          int64_t *s_out, uint64_t *u_out, GError **errp)
{
    const char *p = text;
    bool negative = false, digits = false, overflow = false;
    uint64_t mag = 0;
    if (p && is_signed && (*p == '-' || *p == '+')) {
        negative = *p++ == '-';
    }
    unsigned base = 10;
    if (p && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    for (; p && (base == 16 ? g_ascii_isxdigit(*p) : g_ascii_isdigit(*p));
         p++) {
        digits = true;
        overflow = overflow ||
                   __builtin_mul_overflow(mag, base, &mag) ||
                   __builtin_add_overflow(mag, g_ascii_xdigit_value(*p),
                                          &mag);
    }
    if (!digits || *p) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter '%s' expects %s", what,
                    is_signed ? "an integer" : "a non-negative integer");
        return false;
    }
    uint64_t limit = !is_signed ? UINT64_MAX
                     : negative ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
    if (overflow || mag > limit) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter '%s' is out of range: %s", what,
                    is_signed ? "integers must fit in 64 bits (signed)"
                              : "integers must be below 2^64");
        return false;
    }
    if (is_signed) {
        /* Two's complement negation of the magnitude, without signed
         * overflow for INT64_MIN. */
        *s_out = negative ? (int64_t)(0 - mag) : (int64_t)mag;
    } else {
        *u_out = mag;
    }
    return true;
}

bool ts_parse_int(const char *what, const char *text,
                            int64_t *out, GError **errp)
{
    int64_t v;
    if (!parse_integer(what, text, true, &v, NULL, errp)) {
        return false;
    }
    *out = v;
    return true;
}

bool ts_parse_uint(const char *what, const char *text,
                             uint64_t *out, GError **errp)
{
    uint64_t v;
    if (!parse_integer(what, text, false, NULL, &v, errp)) {
        return false;
    }
    *out = v;
    return true;
}

static int suffix_shift(char c)
{
    switch (g_ascii_toupper(c)) {
    case 'B': return 0;
    case 'K': return 10;
    case 'M': return 20;
    case 'G': return 30;
    case 'T': return 40;
    case 'P': return 50;
    case 'E': return 60;
    default: return -1;
    }
}

/*
 * "1.5G", "0x1000", "64k", "512": the integer part must fit 64 bits after
 * scaling; a fraction is allowed for decimal numbers with a suffix and is
 * rounded down to whole bytes.  Hex numbers take no fraction.
 */
bool ts_parse_size(const char *what, const char *text,
                             uint64_t *out, GError **errp)
{
    const char *p = text;
    uint64_t whole = 0;
    bool hex = false, digits = false;
    if (!p) {
        goto bad;
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        hex = true;
        p += 2;
    }
    for (; hex ? g_ascii_isxdigit(*p) : g_ascii_isdigit(*p); p++) {
        unsigned d = g_ascii_xdigit_value(*p);
        if (__builtin_mul_overflow(whole, hex ? 16 : 10, &whole) ||
            __builtin_add_overflow(whole, d, &whole)) {
            goto range;
        }
        digits = true;
    }
    const char *frac = NULL;
    size_t frac_len = 0;
    if (!hex && *p == '.') {
        frac = ++p;
        while (g_ascii_isdigit(*p)) {
            p++;
        }
        frac_len = p - frac;
        digits = digits || frac_len;
    }
    if (!digits) {
        goto bad;
    }
    int shift = 0;
    if (*p) {
        shift = suffix_shift(*p);
        if (shift < 0 || p[1]) {
            goto bad;
        }
    }
    if (frac_len && shift == 0) {
        goto bad;                       /* "1.5" bytes makes no sense */
    }
    if (shift && whole > (UINT64_MAX >> shift)) {
        goto range;
    }
    uint64_t value = whole << shift;
    if (frac_len) {
        /* Up to 18 fractional digits are exact in 64-bit arithmetic. */
        uint64_t num = 0, den = 1;
        for (size_t i = 0; i < frac_len && i < 18; i++) {
            num = num * 10 + (frac[i] - '0');
            den *= 10;
        }
        unsigned __int128 part = ((unsigned __int128)num << shift) / den;
        if (part > UINT64_MAX - value) {
            goto range;
        }
        value += (uint64_t)part;
    }
    *out = value;
    return true;
range:
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Parameter '%s' is too large: sizes must be below 2^64",
                what);
    return false;
bad:
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Parameter '%s' expects a size: a non-negative number with "
                "an optional suffix B, K, M, G, T, P or E", what);
    return false;
}

bool ts_id_well_formed(const char *id)
{
    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (const char *p = id + 1; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("-._", *p)) {
            return false;
        }
    }
    return true;
}

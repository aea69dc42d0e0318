/*
 * core/loader/loader-ihex.c - Intel HEX files (what microcontroller toolchains
 * and `objcopy -O ihex` write).
 *
 * Each line is a record ":LLAAAATT<data>CC" in hex: LL data bytes at
 * offset AAAA, of type TT, and a checksum CC that makes all the record's
 * bytes sum to zero.  Types: 00 data, 01 end of file, 02 extended segment
 * address (base = value * 16, offsets wrap within 64 KiB as on an 8086),
 * 03 start segment address (CS:IP), 04 extended linear address (base =
 * value << 16), 05 start linear address.  Every checksum is verified, and
 * a file without its end record is refused as truncated.
 *
 * Consecutive data records are merged into one run, so a typical file
 * becomes a handful of chunks rather than one per 16-byte line.
 */
#include "loader-internal.h"

enum { REC_DATA, REC_EOF, REC_EXT_SEGMENT, REC_START_SEGMENT,
       REC_EXT_LINEAR, REC_START_LINEAR };

typedef struct IhexState {
    LoadPlan *plan;
    uint64_t base;              /* from records 02 or 04 */
    bool segmented;             /* base came from a 02 record */
    GByteArray *run;            /* data bytes not yet made a chunk */
    uint64_t run_addr;
    unsigned run_line;          /* the line the run started on */
} IhexState;

bool ihex_recognise(const uint8_t *buf, size_t len)
{
    /* A colon and a record's worth of hex digits: no binary image or
     * text file starts like that by chance. */
    if (len < 11 || buf[0] != ':') {
        return false;
    }
    for (int i = 1; i < 11; i++) {
        if (!g_ascii_isxdigit(buf[i])) {
            return false;
        }
    }
    return true;
}

/* Turn the pending run into a chunk the plan owns. */
static void flush_run(IhexState *st)
{
    if (!st->run->len) {
        return;
    }
    guint len = st->run->len;
    GBytes *bytes = g_byte_array_free_to_bytes(st->run);
    st->run = g_byte_array_new();
    load_plan_keep(st->plan, bytes);
    char what[32];
    g_snprintf(what, sizeof(what), "data from line %u", st->run_line);
    load_plan_add(st->plan, st->run_addr, g_bytes_get_data(bytes, NULL),
                  len, what);
    g_bytes_unref(bytes);
}

static void add_byte(IhexState *st, uint64_t addr, uint8_t byte,
                     unsigned line)
{
    if (st->run->len && addr != st->run_addr + st->run->len) {
        flush_run(st);
    }
    if (!st->run->len) {
        st->run_addr = addr;
        st->run_line = line;
    }
    g_byte_array_append(st->run, &byte, 1);
}

/* Decode a line's hex pairs into rec; false + errp on bad syntax. */
static bool decode(IhexState *st, const char *text, size_t n, unsigned line,
                   uint8_t *rec, size_t *rec_len, GError **errp)
{
    const char *path = st->plan->path;
    if (n < 11 || (n - 1) % 2) {
        return load_refuse(errp, path, "line %u: not an Intel HEX record "
                           "(%zu characters after the colon)", line, n - 1);
    }
    *rec_len = (n - 1) / 2;
    for (size_t i = 0; i < *rec_len; i++) {
        int hi = g_ascii_xdigit_value(text[1 + 2 * i]);
        int lo = g_ascii_xdigit_value(text[2 + 2 * i]);
        if (hi < 0 || lo < 0) {
            return load_refuse(errp, path, "line %u: '%c' is not a hex "
                               "digit", line, hi < 0 ? text[1 + 2 * i]
                                                     : text[2 + 2 * i]);
        }
        rec[i] = hi << 4 | lo;
    }
    if (rec[0] + 5u != *rec_len) {
        return load_refuse(errp, path, "line %u: record says %u data bytes "
                           "but holds %zu", line, rec[0], *rec_len - 5);
    }
    uint8_t sum = 0;
    for (size_t i = 0; i < *rec_len; i++) {
        sum += rec[i];
    }
    if (sum) {
        uint8_t expected = rec[*rec_len - 1] - sum;
        return load_refuse(errp, path, "line %u: bad checksum 0x%02x "
                           "(expected 0x%02x)", line, rec[*rec_len - 1],
                           expected);
    }
    return true;
}

/* Act on one record; *done is set by the end record. */
static bool apply(IhexState *st, const uint8_t *rec, unsigned line,
                  bool *done, GError **errp)
{
    unsigned count = rec[0], offset = rec[1] << 8 | rec[2], type = rec[3];
    const uint8_t *d = rec + 4;
    static const int want[] = { -1, 0, 2, 4, 2, 4 };
    if (type < G_N_ELEMENTS(want) && want[type] >= 0 &&
        count != (unsigned)want[type]) {
        return load_refuse(errp, st->plan->path, "line %u: record type %02x "
                           "needs %d data bytes, not %u", line, type,
                           want[type], count);
    }
    /* The big-endian value of an address record (its length was
     * checked above; data records do not use it). */
    uint32_t value = 0;
    for (unsigned i = 0; type != REC_DATA && i < count; i++) {
        value = value << 8 | d[i];
    }
    switch (type) {
    case REC_DATA:
        for (unsigned i = 0; i < count; i++) {
            uint64_t addr = st->segmented
                ? st->base + ((offset + i) & 0xffff)
                : (st->base + offset + i) & UINT32_MAX;
            add_byte(st, addr, d[i], line);
        }
        return true;
    case REC_EOF:
        *done = true;
        return true;
    case REC_EXT_SEGMENT:
        st->base = (uint64_t)value << 4;
        st->segmented = true;
        return true;
    case REC_EXT_LINEAR:
        st->base = (uint64_t)value << 16;
        st->segmented = false;
        return true;
    case REC_START_SEGMENT:
        st->plan->info.entry = (value >> 16) * 16 + (value & 0xffff);
        st->plan->info.has_entry = true;
        return true;
    case REC_START_LINEAR:
        st->plan->info.entry = value;
        st->plan->info.has_entry = true;
        return true;
    default:
        return load_refuse(errp, st->plan->path, "line %u: unknown record "
                           "type %02x", line, type);
    }
}

static bool parse_lines(IhexState *st, const char *text, size_t len,
                        GError **errp)
{
    uint8_t rec[5 + 255];
    bool done = false;
    unsigned line = 0;
    size_t pos = 0;
    while (pos < len && !done) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len, n = end - pos;
        const char *p = text + pos;
        pos = end + 1;
        line++;
        while (n && g_ascii_isspace(p[n - 1])) {       /* \r, trailing */
            n--;
        }
        if (!n) {
            continue;
        }
        if (p[0] != ':') {
            return load_refuse(errp, st->plan->path, "line %u: a record "
                               "must start with ':'", line);
        }
        size_t rec_len;
        if (n > 1 + 2 * sizeof(rec)) {
            return load_refuse(errp, st->plan->path, "line %u: record is "
                               "too long", line);
        }
        if (!decode(st, p, n, line, rec, &rec_len, errp) ||
            !apply(st, rec, line, &done, errp)) {
            return false;
        }
    }
    if (!done) {
        return load_refuse(errp, st->plan->path, "no end-of-file record "
                           "(type 01): the file is truncated");
    }
    return true;
}

bool ihex_parse(LoadPlan *plan, GBytes *file, GError **errp)
{
    size_t len;
    const char *text = g_bytes_get_data(file, &len);
    IhexState st = { .plan = plan, .run = g_byte_array_new() };
    bool ok = parse_lines(&st, text, len, errp);
    if (ok) {
        flush_run(&st);
    }
    g_byte_array_unref(st.run);
    if (!ok) {
        return false;
    }
    plan->info.format = TS_IMAGE_IHEX;
    if (!plan->info.has_entry) {
        /* No start record: the loader device starts a CPU at the
         * lowest address written, the usual reset vector of such a
         * file; has_entry stays false so boards can tell. */
        load_plan_set_bounds(plan, 0);
        plan->info.entry = plan->info.low;
    }
    return true;
}

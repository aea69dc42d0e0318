/*
 * plugins/blk-nbd/nbd-handshake.c - the client's side of the fixed
 * newstyle negotiation (proto.md, "Handshake"):
 *
 *   S: NBDMAGIC IHAVEOPT flags      C: client flags
 *   C: NBD_OPT_STRUCTURED_REPLY     S: ACK (or an error: simple replies)
 *   C: NBD_OPT_SET_META_CONTEXT base:allocation
 *                                   S: META_CONTEXT id name ... ACK
 *   C: NBD_OPT_GO name [BLOCK_SIZE] S: INFO EXPORT, INFO BLOCK_SIZE ... ACK
 *
 * A server without NBD_OPT_GO (ERR_UNSUP) gets NBD_OPT_EXPORT_NAME, the
 * old way that answers with the size and flags alone; so does a server
 * that is newstyle but not fixed (it may drop us on any other option).
 * Every length the server sends is checked before anything is read or
 * allocated for it, and every answer must come within NBD_STALL_MS.
 */
#include "nbd-conn.h"
#include "nbd-proto.h"

#include <errno.h>
#include <string.h>

/* Option replies we accept: an error message or a context name (4096)
 * with its head; BLOCK_SIZE and EXPORT infos are far smaller. */
#define MAX_OPT_REPLY (NBD_MAX_STRING + 16)
/* Replies to one option before we call it a flood. */
#define MAX_OPT_REPLIES 32

#define NBD_ERR (g_quark_from_static_string("nbd-client"))

static bool io_failed(int r, const char *what, GError **errp)
{
    g_set_error(errp, NBD_ERR, 0, "Failed to read %s from the NBD server: "
                "%s", what, r == -EIO ? "server closed the connection"
                : r == -ETIMEDOUT ? "timed out" : g_strerror(-r));
    return false;
}

static bool send_option(NbdConn *c, uint32_t opt, const void *data,
                        uint32_t len, GError **errp)
{
    uint8_t hdr[16];
    nbd_put64(hdr, NBD_MAGIC_OPTS);
    nbd_put32(hdr + 8, opt);
    nbd_put32(hdr + 12, len);
    int r = nbd_write_full(c->fd, hdr, sizeof(hdr));
    if (r == 0 && len) {
        r = nbd_write_full(c->fd, data, len);
    }
    if (r < 0) {
        g_set_error(errp, NBD_ERR, 0, "Failed to send an option to the NBD "
                    "server: %s", g_strerror(-r));
        return false;
    }
    return true;
}

typedef struct OptReply {
    uint32_t type;
    uint32_t len;
    uint8_t data[MAX_OPT_REPLY];
} OptReply;

static bool read_opt_reply(NbdConn *c, uint32_t opt, OptReply *rep,
                           GError **errp)
{
    uint8_t hdr[20];
    int r = nbd_read_full(c->fd, hdr, sizeof(hdr), NBD_STALL_MS);
    if (r < 0) {
        return io_failed(r, "an option reply", errp);
    }
    if (nbd_get64(hdr) != NBD_MAGIC_OPT_REPLY) {
        g_set_error(errp, NBD_ERR, 0, "NBD server sent an option reply with "
                    "a bad magic 0x%016" G_GINT64_MODIFIER "x",
                    (guint64)nbd_get64(hdr));
        return false;
    }
    if (nbd_get32(hdr + 8) != opt) {
        g_set_error(errp, NBD_ERR, 0, "NBD server answered option %u when "
                    "asked option %u", nbd_get32(hdr + 8), opt);
        return false;
    }
    rep->type = nbd_get32(hdr + 12);
    rep->len = nbd_get32(hdr + 16);
    if (rep->len > MAX_OPT_REPLY) {
        g_set_error(errp, NBD_ERR, 0, "NBD server sent an option reply of "
                    "%u bytes (at most %u expected)", rep->len,
                    MAX_OPT_REPLY);
        return false;
    }
    r = nbd_read_full(c->fd, rep->data, rep->len, NBD_STALL_MS);
    if (r < 0) {
        return io_failed(r, "an option reply", errp);
    }
    return true;
}

/* The error reply's text (the server's message if it sent one). */
static char *opt_error_text(const OptReply *rep)
{
    const char *what;
    switch (rep->type) {
    case NBD_REP_ERR_UNSUP: what = "option not supported"; break;
    case NBD_REP_ERR_POLICY: what = "denied by the server's policy"; break;
    case NBD_REP_ERR_INVALID: what = "invalid request"; break;
    case NBD_REP_ERR_PLATFORM: what = "not supported on this platform";
        break;
    case NBD_REP_ERR_TLS_REQD: what = "the server requires TLS (TLS "
        "support in the NBD client comes later)"; break;
    case NBD_REP_ERR_UNKNOWN: what = "Requested export not available";
        break;
    case NBD_REP_ERR_SHUTDOWN: what = "server shutting down"; break;
    case NBD_REP_ERR_BLOCK_SIZE_REQD: what = "server wants block sizes";
        break;
    case NBD_REP_ERR_TOO_BIG: what = "request too big"; break;
    default: what = "unknown error"; break;
    }
    /* The message is the server's: keep it to one printable line. */
    g_autofree char *msg = g_strndup((const char *)rep->data, rep->len);
    for (char *p = msg; *p; p++) {
        if (!g_ascii_isprint(*p)) {
            *p = ' ';
        }
    }
    return *msg ? g_strdup_printf("%s (server reported: %s)", what, msg)
                : g_strdup(what);
}

static bool opt_failed(const OptReply *rep, const char *opt_name,
                       GError **errp)
{
    g_autofree char *text = opt_error_text(rep);
    g_set_error(errp, NBD_ERR, 0, "NBD option %s failed: %s", opt_name,
                text);
    return false;
}

static bool unexpected(const OptReply *rep, const char *opt_name,
                       GError **errp)
{
    g_set_error(errp, NBD_ERR, 0, "NBD server sent an unexpected reply "
                "type %u (%u bytes) to %s", rep->type, rep->len, opt_name);
    return false;
}

/* NBD_OPT_STRUCTURED_REPLY: *ok says whether the server agreed. */
static bool negotiate_structured(NbdConn *c, bool *ok, GError **errp)
{
    OptReply rep;
    if (!send_option(c, NBD_OPT_STRUCTURED_REPLY, NULL, 0, errp) ||
        !read_opt_reply(c, NBD_OPT_STRUCTURED_REPLY, &rep, errp)) {
        return false;
    }
    if (rep.type == NBD_REP_ACK && rep.len == 0) {
        *ok = true;
        return true;
    }
    if (rep.type & NBD_REP_ERR_BIT) {
        *ok = false;            /* an older server: simple replies */
        return true;
    }
    return unexpected(&rep, "NBD_OPT_STRUCTURED_REPLY", errp);
}

/* Export name, as options carry it: 32-bit length, bytes. */
static GByteArray *name_payload(const char *name)
{
    GByteArray *b = g_byte_array_new();
    uint8_t len[4];
    nbd_put32(len, (uint32_t)strlen(name));
    g_byte_array_append(b, len, 4);
    g_byte_array_append(b, (const guint8 *)name, (guint)strlen(name));
    return b;
}

static bool negotiate_allocation(NbdConn *c, const char *name,
                                 GError **errp)
{
    static const char ctx[] = "base:allocation";
    g_autoptr(GByteArray) b = name_payload(name);
    uint8_t n[4];
    nbd_put32(n, 1);
    g_byte_array_append(b, n, 4);
    nbd_put32(n, sizeof(ctx) - 1);
    g_byte_array_append(b, n, 4);
    g_byte_array_append(b, (const guint8 *)ctx, sizeof(ctx) - 1);
    if (!send_option(c, NBD_OPT_SET_META_CONTEXT, b->data, b->len, errp)) {
        return false;
    }
    c->exp.has_allocation = false;
    for (int i = 0; i < MAX_OPT_REPLIES; i++) {
        g_autofree OptReply *rep = g_new(OptReply, 1);
        if (!read_opt_reply(c, NBD_OPT_SET_META_CONTEXT, rep, errp)) {
            return false;
        }
        if (rep->type == NBD_REP_ACK) {
            return true;
        }
        if (rep->type & NBD_REP_ERR_BIT) {
            return true;        /* no block status then: all data */
        }
        if (rep->type != NBD_REP_META_CONTEXT || rep->len < 4) {
            return unexpected(rep, "NBD_OPT_SET_META_CONTEXT", errp);
        }
        if (rep->len - 4 != sizeof(ctx) - 1 ||
            memcmp(rep->data + 4, ctx, sizeof(ctx) - 1) != 0 ||
            c->exp.has_allocation) {
            g_set_error(errp, NBD_ERR, 0, "NBD server selected a metadata "
                        "context that was not asked for");
            return false;
        }
        c->exp.has_allocation = true;
        c->exp.allocation_id = nbd_get32(rep->data);
    }
    g_set_error(errp, NBD_ERR, 0, "NBD server sent too many replies to "
                "NBD_OPT_SET_META_CONTEXT");
    return false;
}

static bool check_block_sizes(NbdConn *c, GError **errp)
{
    NbdExport *e = &c->exp;
    /* proto.md: min a power of 2 up to 64 KiB, pref a power of 2 at
     * least min, max a multiple of min. */
    if (!e->min_block || e->min_block > 65536 ||
        (e->min_block & (e->min_block - 1)) ||
        e->pref_block < e->min_block ||
        (e->pref_block & (e->pref_block - 1)) ||
        e->max_block < e->min_block || e->max_block % e->min_block) {
        g_set_error(errp, NBD_ERR, 0, "NBD server sent invalid block size "
                    "constraints (minimum %u, preferred %u, maximum %u)",
                    e->min_block, e->pref_block, e->max_block);
        return false;
    }
    if (e->max_block > NBD_MAX_PAYLOAD) {
        e->max_block = NBD_MAX_PAYLOAD / e->min_block * e->min_block;
    }
    return true;
}

/* NBD_OPT_GO; *unsupported when the server does not know it. */
static bool negotiate_go(NbdConn *c, const char *name, bool *unsupported,
                         GError **errp)
{
    g_autoptr(GByteArray) b = name_payload(name);
    uint8_t info[4];
    nbd_put16(info, 1);
    nbd_put16(info + 2, NBD_INFO_BLOCK_SIZE);
    g_byte_array_append(b, info, 4);
    *unsupported = false;
    if (!send_option(c, NBD_OPT_GO, b->data, b->len, errp)) {
        return false;
    }
    bool have_export = false;
    for (int i = 0; i < MAX_OPT_REPLIES; i++) {
        g_autofree OptReply *rep = g_new(OptReply, 1);
        if (!read_opt_reply(c, NBD_OPT_GO, rep, errp)) {
            return false;
        }
        if (rep->type == NBD_REP_ACK) {
            if (!have_export) {
                g_set_error(errp, NBD_ERR, 0, "NBD server did not send the "
                            "export's size");
                return false;
            }
            return check_block_sizes(c, errp);
        }
        if (rep->type == NBD_REP_ERR_UNSUP) {
            *unsupported = true;
            return false;
        }
        if (rep->type & NBD_REP_ERR_BIT) {
            return opt_failed(rep, "NBD_OPT_GO", errp);
        }
        if (rep->type != NBD_REP_INFO || rep->len < 2) {
            return unexpected(rep, "NBD_OPT_GO", errp);
        }
        switch (nbd_get16(rep->data)) {
        case NBD_INFO_EXPORT:
            if (rep->len != 12) {
                return unexpected(rep, "NBD_OPT_GO (INFO_EXPORT)", errp);
            }
            c->exp.size = nbd_get64(rep->data + 2);
            c->exp.flags = nbd_get16(rep->data + 10);
            have_export = true;
            break;
        case NBD_INFO_BLOCK_SIZE:
            if (rep->len != 14) {
                return unexpected(rep, "NBD_OPT_GO (INFO_BLOCK_SIZE)", errp);
            }
            c->exp.min_block = nbd_get32(rep->data + 2);
            c->exp.pref_block = nbd_get32(rep->data + 6);
            c->exp.max_block = nbd_get32(rep->data + 10);
            break;
        default:
            break;              /* names, descriptions: not needed */
        }
    }
    g_set_error(errp, NBD_ERR, 0, "NBD server sent too many replies to "
                "NBD_OPT_GO");
    return false;
}

/* The old way in: no reply header, the export's size and flags (and 124
 * zero bytes unless both sides agreed to NO_ZEROES); an unknown export
 * makes the server close the connection. */
static bool export_name(NbdConn *c, const char *name, bool no_zeroes,
                        GError **errp)
{
    if (!send_option(c, NBD_OPT_EXPORT_NAME, name, (uint32_t)strlen(name),
                     errp)) {
        return false;
    }
    uint8_t buf[10];
    int r = nbd_read_full(c->fd, buf, sizeof(buf), NBD_STALL_MS);
    if (r == 0 && !no_zeroes) {
        r = nbd_read_discard(c->fd, 124, NBD_STALL_MS);
    }
    if (r < 0) {
        return io_failed(r, "the export's size (is the export name "
                         "right?)", errp);
    }
    c->exp.size = nbd_get64(buf);
    c->exp.flags = nbd_get16(buf + 8);
    return true;
}

bool nbd_handshake(NbdConn *c, const char *name, bool want_allocation,
                   GError **errp)
{
    uint8_t hello[18];
    int r = nbd_read_full(c->fd, hello, 16, NBD_STALL_MS);
    if (r < 0) {
        return io_failed(r, "the greeting", errp);
    }
    if (nbd_get64(hello) != NBD_MAGIC_INIT) {
        g_set_error(errp, NBD_ERR, 0, "Not an NBD server: bad magic in its "
                    "greeting");
        return false;
    }
    if (nbd_get64(hello + 8) != NBD_MAGIC_OPTS) {
        g_set_error(errp, NBD_ERR, 0, nbd_get64(hello + 8) ==
                    NBD_MAGIC_OLDSTYLE ? "Old-style NBD servers are not "
                    "supported" : "NBD server sent a bad magic in its "
                    "greeting");
        return false;
    }
    r = nbd_read_full(c->fd, hello + 16, 2, NBD_STALL_MS);
    if (r < 0) {
        return io_failed(r, "the greeting", errp);
    }
    uint16_t sflags = nbd_get16(hello + 16);
    bool fixed = sflags & NBD_FLAG_FIXED_NEWSTYLE;
    bool no_zeroes = sflags & NBD_FLAG_NO_ZEROES;
    uint8_t cflags[4];
    nbd_put32(cflags, (fixed ? NBD_FLAG_C_FIXED_NEWSTYLE : 0) |
                      (no_zeroes ? NBD_FLAG_C_NO_ZEROES : 0));
    if ((r = nbd_write_full(c->fd, cflags, 4)) < 0) {
        g_set_error(errp, NBD_ERR, 0, "Failed to answer the NBD server: %s",
                    g_strerror(-r));
        return false;
    }
    c->exp = (NbdExport){ .min_block = 1, .pref_block = 4096,
                          .max_block = NBD_MAX_PAYLOAD };
    if (!fixed) {
        return export_name(c, name, no_zeroes, errp);
    }
    if (!negotiate_structured(c, &c->exp.structured, errp)) {
        return false;
    }
    if (c->exp.structured && want_allocation &&
        !negotiate_allocation(c, name, errp)) {
        return false;
    }
    bool unsupported;
    if (negotiate_go(c, name, &unsupported, errp)) {
        return true;
    }
    if (!unsupported) {
        return false;
    }
    /* What was negotiated before stays so (proto.md): structured
     * replies and the context hold however the export is entered. */
    return export_name(c, name, no_zeroes, errp);
}

/*
 * core/nbd/nbd-negotiate.c - the option phase of fixed newstyle
 * negotiation: the client picks an export (EXPORT_NAME or GO), asks
 * about exports (LIST, INFO), turns on structured replies and the
 * base:allocation meta context.  Every length a client sends is checked
 * against what the option's payload can hold; an option longer than
 * NBD_MAX_OPTION_LEN or a bad magic ends the connection.
 */
#include "nbd-internal.h"

#include <stdarg.h>
#include <string.h>

static void reply(NbdConn *c, uint32_t opt, uint32_t type,
                  const void *data, uint32_t len)
{
    nbd_conn_put64(c, NBD_OPT_REPLY_MAGIC);
    nbd_conn_put32(c, opt);
    nbd_conn_put32(c, type);
    nbd_conn_put32(c, len);
    nbd_conn_put(c, data, len);
}

/* An error reply with a message for people (clients print it). */
static void reply_err(NbdConn *c, uint32_t opt, uint32_t type,
                      const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static void reply_err(NbdConn *c, uint32_t opt, uint32_t type,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    reply(c, opt, type, msg, (uint32_t)strlen(msg));
}

static void reply_info_export(NbdConn *c, uint32_t opt, NbdExport *exp)
{
    uint8_t b[12];
    nbd_put16(b, NBD_INFO_EXPORT);
    nbd_put64(b + 2, exp->size);
    nbd_put16(b + 10, nbd_export_flags(exp, c->structured));
    reply(c, opt, NBD_REP_INFO, b, sizeof(b));
}

static void reply_info_string(NbdConn *c, uint32_t opt, uint16_t type,
                              const char *text)
{
    size_t len = strlen(text);
    g_autofree uint8_t *b = g_malloc(2 + len);
    nbd_put16(b, type);
    memcpy(b + 2, text, len);
    reply(c, opt, NBD_REP_INFO, b, (uint32_t)(2 + len));
}

static void reply_info_block_size(NbdConn *c, uint32_t opt)
{
    uint8_t b[14];
    nbd_put16(b, NBD_INFO_BLOCK_SIZE);
    nbd_put32(b + 2, 1);                    /* any alignment works */
    nbd_put32(b + 6, 4096);                 /* what is cheapest */
    nbd_put32(b + 10, NBD_MAX_PAYLOAD);
    reply(c, opt, NBD_REP_INFO, b, sizeof(b));
}

/* The export a name selects, for the transmission phase. */
static void enter_transmission(NbdConn *c, NbdExport *exp)
{
    c->exp = exp;
    c->meta_alloc = c->structured && c->meta_export &&
                    g_str_equal(c->meta_export, exp->name);
    nbd_export_add_conn(exp, c);
    c->phase = NBD_PHASE_TRANSMISSION;
}

static void opt_export_name(NbdConn *c, const uint8_t *data, uint32_t len)
{
    g_autofree char *name = g_strndup((const char *)data, len);
    NbdExport *exp = len <= NBD_MAX_STRING && strlen(name) == len
        ? c->ops->find(name, c->opaque) : NULL;
    if (!exp || exp->shutting_down) {
        /* This option has no error reply: all the server can do. */
        nbd_conn_fail(c, "unknown export name");
        return;
    }
    uint8_t b[10 + 124] = { 0 };
    nbd_put64(b, exp->size);
    nbd_put16(b + 8, nbd_export_flags(exp, c->structured));
    nbd_conn_put(c, b, c->no_zeroes ? 10 : sizeof(b));
    enter_transmission(c, exp);
}

static void opt_list(NbdConn *c, uint32_t opt, uint32_t len)
{
    if (len) {
        reply_err(c, opt, NBD_REP_ERR_INVALID,
                  "NBD_OPT_LIST takes no data");
        return;
    }
    GPtrArray *all = c->ops->list(c->opaque);
    for (guint i = 0; i < all->len; i++) {
        NbdExport *exp = g_ptr_array_index(all, i);
        if (exp->shutting_down) {
            continue;
        }
        size_t nlen = strlen(exp->name);
        size_t dlen = exp->description ? strlen(exp->description) : 0;
        g_autofree uint8_t *b = g_malloc(4 + nlen + dlen);
        nbd_put32(b, (uint32_t)nlen);
        memcpy(b + 4, exp->name, nlen);
        if (dlen) {
            memcpy(b + 4 + nlen, exp->description, dlen);
        }
        reply(c, opt, NBD_REP_SERVER, b, (uint32_t)(4 + nlen + dlen));
    }
    g_ptr_array_unref(all);
    reply(c, opt, NBD_REP_ACK, NULL, 0);
}

/* Read "u32 length, name" at data[*pos]; false if it does not fit. */
static bool take_string(const uint8_t *data, uint32_t len, uint32_t *pos,
                        char **out)
{
    if (len - *pos < 4) {
        return false;
    }
    uint32_t n = nbd_get32(data + *pos);
    *pos += 4;
    if (n > len - *pos || n > NBD_MAX_STRING) {
        return false;
    }
    *out = g_strndup((const char *)data + *pos, n);
    *pos += n;
    return strlen(*out) == n;       /* no NUL inside */
}

static void opt_info_go(NbdConn *c, uint32_t opt, const uint8_t *data,
                        uint32_t len)
{
    uint32_t pos = 0;
    g_autofree char *name = NULL;
    if (!take_string(data, len, &pos, &name) || len - pos < 2) {
        reply_err(c, opt, NBD_REP_ERR_INVALID, "malformed %s request",
                  opt == NBD_OPT_GO ? "NBD_OPT_GO" : "NBD_OPT_INFO");
        return;
    }
    uint16_t nreq = nbd_get16(data + pos);
    pos += 2;
    if ((uint32_t)nreq * 2 != len - pos) {
        reply_err(c, opt, NBD_REP_ERR_INVALID,
                  "information request count does not match the length");
        return;
    }
    bool want_name = false, want_desc = false;
    for (unsigned i = 0; i < nreq; i++) {
        uint16_t t = nbd_get16(data + pos + 2 * i);
        want_name |= t == NBD_INFO_NAME;
        want_desc |= t == NBD_INFO_DESCRIPTION;
    }
    NbdExport *exp = c->ops->find(name, c->opaque);
    if (!exp) {
        reply_err(c, opt, NBD_REP_ERR_UNKNOWN, "export '%s' not present",
                  name);
        return;
    }
    if (exp->shutting_down) {
        reply_err(c, opt, NBD_REP_ERR_SHUTDOWN,
                  "export '%s' is being removed", name);
        return;
    }
    if (want_name) {
        reply_info_string(c, opt, NBD_INFO_NAME, exp->name);
    }
    if (want_desc && exp->description) {
        reply_info_string(c, opt, NBD_INFO_DESCRIPTION, exp->description);
    }
    reply_info_block_size(c, opt);
    reply_info_export(c, opt, exp);
    reply(c, opt, NBD_REP_ACK, NULL, 0);
    if (opt == NBD_OPT_GO) {
        enter_transmission(c, exp);
    }
}

/* Whether a query selects base:allocation ("base:" lists all of base). */
static bool query_matches(const char *q)
{
    return g_str_equal(q, "base:") || g_str_equal(q, NBD_META_BASE_ALLOCATION);
}

static void opt_meta_context(NbdConn *c, uint32_t opt, const uint8_t *data,
                             uint32_t len)
{
    const char *what = opt == NBD_OPT_SET_META_CONTEXT
        ? "NBD_OPT_SET_META_CONTEXT" : "NBD_OPT_LIST_META_CONTEXT";
    if (opt == NBD_OPT_SET_META_CONTEXT && !c->structured) {
        reply_err(c, opt, NBD_REP_ERR_INVALID,
                  "%s needs structured replies first", what);
        return;
    }
    uint32_t pos = 0;
    g_autofree char *name = NULL;
    if (!take_string(data, len, &pos, &name) || len - pos < 4) {
        reply_err(c, opt, NBD_REP_ERR_INVALID, "malformed %s request", what);
        return;
    }
    uint32_t nq = nbd_get32(data + pos);
    pos += 4;
    bool match = nq == 0 && opt == NBD_OPT_LIST_META_CONTEXT;
    for (uint32_t i = 0; i < nq; i++) {
        g_autofree char *q = NULL;
        if (!take_string(data, len, &pos, &q)) {
            reply_err(c, opt, NBD_REP_ERR_INVALID,
                      "malformed %s request", what);
            return;
        }
        match |= query_matches(q);
    }
    if (pos != len) {
        reply_err(c, opt, NBD_REP_ERR_INVALID, "malformed %s request", what);
        return;
    }
    NbdExport *exp = c->ops->find(name, c->opaque);
    if (!exp) {
        reply_err(c, opt, NBD_REP_ERR_UNKNOWN, "export '%s' not present",
                  name);
        return;
    }
    if (opt == NBD_OPT_SET_META_CONTEXT) {
        g_clear_pointer(&c->meta_export, g_free);
        if (match) {
            c->meta_export = g_strdup(name);
        }
    }
    if (match) {
        size_t n = strlen(NBD_META_BASE_ALLOCATION);
        uint8_t b[4 + sizeof(NBD_META_BASE_ALLOCATION)];
        nbd_put32(b, opt == NBD_OPT_SET_META_CONTEXT
                     ? NBD_META_ID_ALLOCATION : 0);
        memcpy(b + 4, NBD_META_BASE_ALLOCATION, n);
        reply(c, opt, NBD_REP_META_CONTEXT, b, (uint32_t)(4 + n));
    }
    reply(c, opt, NBD_REP_ACK, NULL, 0);
}

static void option(NbdConn *c, uint32_t opt, const uint8_t *data,
                   uint32_t len)
{
    switch (opt) {
    case NBD_OPT_EXPORT_NAME:
        opt_export_name(c, data, len);
        break;
    case NBD_OPT_ABORT:
        reply(c, opt, NBD_REP_ACK, NULL, 0);
        nbd_conn_fail(c, "client aborted");
        break;
    case NBD_OPT_LIST:
        opt_list(c, opt, len);
        break;
    case NBD_OPT_STARTTLS:
        reply_err(c, opt, NBD_REP_ERR_UNSUP, "TLS is not supported");
        break;
    case NBD_OPT_INFO:
    case NBD_OPT_GO:
        opt_info_go(c, opt, data, len);
        break;
    case NBD_OPT_STRUCTURED_REPLY:
        if (len) {
            reply_err(c, opt, NBD_REP_ERR_INVALID,
                      "NBD_OPT_STRUCTURED_REPLY takes no data");
        } else if (c->structured) {
            reply_err(c, opt, NBD_REP_ERR_INVALID,
                      "structured replies already negotiated");
        } else {
            c->structured = true;
            reply(c, opt, NBD_REP_ACK, NULL, 0);
        }
        break;
    case NBD_OPT_LIST_META_CONTEXT:
    case NBD_OPT_SET_META_CONTEXT:
        opt_meta_context(c, opt, data, len);
        break;
    default:
        reply_err(c, opt, NBD_REP_ERR_UNSUP, "unsupported option %u", opt);
        break;
    }
}

size_t nbd_negotiate_input(NbdConn *c, const uint8_t *p, size_t len)
{
    if (len < 16) {
        return 0;
    }
    if (nbd_get64(p) != NBD_IHAVEOPT) {
        nbd_conn_fail(c, "bad option magic");
        return 16;
    }
    uint32_t opt = nbd_get32(p + 8);
    uint32_t olen = nbd_get32(p + 12);
    if (olen > NBD_MAX_OPTION_LEN) {
        nbd_conn_fail(c, "option too long");
        return 16;
    }
    if (len - 16 < olen) {
        return 0;
    }
    option(c, opt, p + 16, olen);
    return 16 + olen;
}

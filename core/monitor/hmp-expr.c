/*
 * core/monitor/hmp-expr.c - integer expressions in human monitor arguments.
 *
 * A recursive-descent parser, one function per precedence level, working
 * on 64-bit values.  Only the structure is recursive, and its depth is
 * bounded, so a hostile "((((..." cannot exhaust the stack.
 */
#include "hmp.h"

#include <tessera/types.h>

#define EXPR_MAX_DEPTH 200

typedef struct Expr {
    const char *p;
    HmpRegisterFn read_register;
    void *opaque;
    unsigned depth;
    GError **errp;
    bool failed;
} Expr;

static bool fail(Expr *e, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool fail(Expr *e, const char *fmt, ...)
{
    if (!e->failed) {
        va_list ap;
        va_start(ap, fmt);
        char *msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_set_error_literal(e->errp, TS_ERROR, TS_ERROR_INVALID, msg);
        g_free(msg);
        e->failed = true;
    }
    return false;
}

static void skip_spaces(Expr *e)
{
    while (g_ascii_isspace(*e->p)) {
        e->p++;
    }
}

/* The next non-space character, left in place. */
static char peek(Expr *e)
{
    skip_spaces(e);
    return *e->p;
}

static bool level_or(Expr *e, uint64_t *v);

static bool enter(Expr *e)
{
    if (++e->depth > EXPR_MAX_DEPTH) {
        return fail(e, "expression nested too deeply");
    }
    return true;
}

/* ---- primaries ----------------------------------------------------------- */

static int digit_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return 99;
}

/* Decimal, 0x hexadecimal or 0 octal, as C (and QEMU's monitor) read them. */
static bool number(Expr *e, uint64_t *v)
{
    const char *start = e->p;
    unsigned base = 10;
    if (e->p[0] == '0' && (e->p[1] == 'x' || e->p[1] == 'X')) {
        base = 16;
        e->p += 2;
        if (digit_value(*e->p) >= 16) {
            return fail(e, "invalid hexadecimal number '%.*s'",
                        (int)(e->p - start), start);
        }
    } else if (e->p[0] == '0') {
        base = 8;
    }
    uint64_t value = 0;
    while (g_ascii_isalnum(*e->p) || *e->p == '_') {
        int d = digit_value(*e->p);
        if (d >= (int)base) {
            if (base == 8 && d < 10) {
                return fail(e, "invalid digit '%c' in octal number",
                            *e->p);
            }
            return fail(e, "invalid char '%c' in expression", *e->p);
        }
        if (value > (UINT64_MAX - (uint64_t)d) / base) {
            return fail(e, "number too large");
        }
        value = value * base + (uint64_t)d;
        e->p++;
    }
    *v = value;
    return true;
}

/* 'c': a character's code. */
static bool char_constant(Expr *e, uint64_t *v)
{
    e->p++;
    unsigned char c = (unsigned char)*e->p;
    if (c == '\\' && e->p[1]) {
        e->p++;
        switch (*e->p) {
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case '0': c = '\0'; break;
        default: c = (unsigned char)*e->p; break;
        }
    } else if (!c) {
        return fail(e, "unterminated character constant");
    }
    e->p++;
    if (*e->p != '\'') {
        return fail(e, "unterminated character constant");
    }
    e->p++;
    *v = c;
    return true;
}

static bool is_register_char(char c)
{
    return g_ascii_isalnum(c) || c == '_' || c == '.';
}

static bool register_value(Expr *e, uint64_t *v)
{
    const char *start = ++e->p;
    while (is_register_char(*e->p)) {
        e->p++;
    }
    if (e->p == start) {
        return fail(e, "register name expected after '$'");
    }
    g_autofree char *name = g_strndup(start, (gsize)(e->p - start));
    if (!e->read_register) {
        return fail(e, "no CPU registers here (reading '$%s')", name);
    }
    GError *err = NULL;
    if (!e->read_register(name, v, &err, e->opaque)) {
        if (err) {
            fail(e, "%s", err->message);
            g_error_free(err);
            return false;
        }
        return fail(e, "unknown register '$%s'", name);
    }
    return true;
}

static bool primary(Expr *e, uint64_t *v)
{
    char c = peek(e);
    if (g_ascii_isdigit(c)) {
        return number(e, v);
    }
    if (c == '$') {
        return register_value(e, v);
    }
    if (c == '\'') {
        return char_constant(e, v);
    }
    if (c == '(') {
        e->p++;
        if (!enter(e) || !level_or(e, v)) {
            return false;
        }
        e->depth--;
        if (peek(e) != ')') {
            return fail(e, "')' expected");
        }
        e->p++;
        return true;
    }
    if (!c) {
        return fail(e, "unexpected end of expression");
    }
    return fail(e, "invalid char '%c' in expression", c);
}

static bool unary(Expr *e, uint64_t *v)
{
    char c = peek(e);
    if (c != '-' && c != '+' && c != '~') {
        return primary(e, v);
    }
    e->p++;
    if (!enter(e) || !unary(e, v)) {
        return false;
    }
    e->depth--;
    if (c == '-') {
        *v = -*v;
    } else if (c == '~') {
        *v = ~*v;
    }
    return true;
}

/* ---- binary levels, lowest precedence last --------------------------------- */

static bool level_product(Expr *e, uint64_t *v)
{
    if (!unary(e, v)) {
        return false;
    }
    for (;;) {
        char op = peek(e);
        if (op != '*' && op != '/' && op != '%') {
            return true;
        }
        e->p++;
        uint64_t r;
        if (!unary(e, &r)) {
            return false;
        }
        if (op == '*') {
            *v *= r;
            continue;
        }
        if (r == 0) {
            return fail(e, "division by zero");
        }
        /* Signed, as the monitor's values are; INT64_MIN / -1 wraps. */
        int64_t a = (int64_t)*v, b = (int64_t)r;
        if (b == -1) {
            *v = op == '/' ? -*v : 0;
        } else {
            *v = (uint64_t)(op == '/' ? a / b : a % b);
        }
    }
}

static bool level_sum(Expr *e, uint64_t *v)
{
    if (!level_product(e, v)) {
        return false;
    }
    for (;;) {
        char op = peek(e);
        if (op != '+' && op != '-') {
            return true;
        }
        e->p++;
        uint64_t r;
        if (!level_product(e, &r)) {
            return false;
        }
        *v = op == '+' ? *v + r : *v - r;
    }
}

static bool level_shift(Expr *e, uint64_t *v)
{
    if (!level_sum(e, v)) {
        return false;
    }
    for (;;) {
        peek(e);
        bool left = e->p[0] == '<' && e->p[1] == '<';
        bool right = e->p[0] == '>' && e->p[1] == '>';
        if (!left && !right) {
            return true;
        }
        e->p += 2;
        uint64_t r;
        if (!level_sum(e, &r)) {
            return false;
        }
        /* Shifting everything out gives 0 (C leaves it undefined). */
        if (r >= 64) {
            *v = 0;
        } else {
            *v = left ? *v << r : *v >> r;
        }
    }
}

/* One left-associative level for a single-character operator. */
static bool level_bits(Expr *e, uint64_t *v, char op,
                       bool (*next)(Expr *, uint64_t *))
{
    if (!next(e, v)) {
        return false;
    }
    while (peek(e) == op) {
        e->p++;
        uint64_t r;
        if (!next(e, &r)) {
            return false;
        }
        *v = op == '&' ? *v & r : op == '^' ? *v ^ r : *v | r;
    }
    return true;
}

static bool level_and(Expr *e, uint64_t *v)
{
    return level_bits(e, v, '&', level_shift);
}

static bool level_xor(Expr *e, uint64_t *v)
{
    return level_bits(e, v, '^', level_and);
}

static bool level_or(Expr *e, uint64_t *v)
{
    return level_bits(e, v, '|', level_xor);
}

/* ---- entry point ----------------------------------------------------------- */

bool hmp_expr_parse(const char *text, const char **endp,
                    HmpRegisterFn read_register, void *opaque,
                    uint64_t *value, GError **errp)
{
    Expr e = {
        .p = text,
        .read_register = read_register,
        .opaque = opaque,
        .errp = errp,
    };
    uint64_t v = 0;
    if (!level_or(&e, &v)) {
        return false;
    }
    skip_spaces(&e);
    if (endp) {
        *endp = e.p;
    } else if (*e.p) {
        return fail(&e, "invalid char '%c' in expression", *e.p);
    }
    *value = v;
    return true;
}

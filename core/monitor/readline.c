/*
 * core/monitor/readline.c - the monitor's line editor: keys, echo, history.
 */
#include "readline.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#define CTRL(c) ((c) & 0x1f)
#define ESC 0x1b
#define DEL 0x7f

/* Where we are in an escape sequence. */
typedef enum EscState {
    ESC_NONE,
    ESC_SEEN,       /* ESC */
    ESC_CSI,        /* ESC [ params... */
    ESC_SS3,        /* ESC O */
} EscState;

struct ReadLine {
    char *prompt;
    ReadLineOutputFn output;
    ReadLineLineFn on_line;
    void *opaque;

    GString *line;
    size_t cursor;

    EscState esc;
    unsigned esc_param;     /* the number in ESC [ n ~ */
    bool after_cr;          /* swallow the LF of a CR LF pair */

    GPtrArray *history;     /* of char *, oldest first */
    unsigned hist_pos;      /* == history->len: the line being typed */
    char *typed;            /* that line, saved while browsing */
};

static void out(ReadLine *rl, const char *s, size_t len)
{
    if (len) {
        rl->output(s, len, rl->opaque);
    }
}

static void out_str(ReadLine *rl, const char *s)
{
    out(rl, s, strlen(s));
}

/* Draw prompt and line again, leaving the terminal cursor where ours is. */
static void redraw(ReadLine *rl)
{
    GString *s = g_string_new("\r");
    g_string_append(s, rl->prompt);
    g_string_append_len(s, rl->line->str, rl->line->len);
    g_string_append(s, "\033[K");
    size_t back = rl->line->len - rl->cursor;
    if (back) {
        g_string_append_printf(s, "\033[%zuD", back);
    }
    out(rl, s->str, s->len);
    g_string_free(s, TRUE);
}

ReadLine *readline_new(const char *prompt, ReadLineOutputFn output,
                       ReadLineLineFn on_line, void *opaque)
{
    ReadLine *rl = g_new0(ReadLine, 1);
    rl->prompt = g_strdup(prompt);
    rl->output = output;
    rl->on_line = on_line;
    rl->opaque = opaque;
    rl->line = g_string_new(NULL);
    rl->history = g_ptr_array_new_with_free_func(g_free);
    return rl;
}

void readline_free(ReadLine *rl)
{
    if (!rl) {
        return;
    }
    g_free(rl->prompt);
    g_string_free(rl->line, TRUE);
    g_ptr_array_unref(rl->history);
    g_free(rl->typed);
    g_free(rl);
}

void readline_show_prompt(ReadLine *rl)
{
    out_str(rl, rl->prompt);
    out(rl, rl->line->str, rl->line->len);
    size_t back = rl->line->len - rl->cursor;
    if (back) {
        char move[32];
        snprintf(move, sizeof(move), "\033[%zuD", back);
        out_str(rl, move);
    }
}

const char *readline_line(const ReadLine *rl)
{
    return rl->line->str;
}

size_t readline_cursor(const ReadLine *rl)
{
    return rl->cursor;
}

unsigned readline_history_len(const ReadLine *rl)
{
    return rl->history->len;
}

const char *readline_history_entry(const ReadLine *rl, unsigned i)
{
    return i < rl->history->len ? g_ptr_array_index(rl->history, i) : NULL;
}

/* ---- editing ----------------------------------------------------------- */

static void insert_char(ReadLine *rl, char c)
{
    if (rl->line->len >= READLINE_MAX_LINE) {
        out_str(rl, "\a");
        return;
    }
    bool at_end = rl->cursor == rl->line->len;
    g_string_insert_c(rl->line, (gssize)rl->cursor, c);
    rl->cursor++;
    if (at_end) {
        out(rl, &c, 1);         /* plain echo: nothing to redraw */
    } else {
        redraw(rl);
    }
}

static void delete_range(ReadLine *rl, size_t from, size_t to)
{
    if (from >= to) {
        return;
    }
    g_string_erase(rl->line, (gssize)from, (gssize)(to - from));
    rl->cursor = from;
    redraw(rl);
}

static void move_left(ReadLine *rl)
{
    if (rl->cursor > 0) {
        rl->cursor--;
        out_str(rl, "\033[D");
    }
}

static void move_right(ReadLine *rl)
{
    if (rl->cursor < rl->line->len) {
        rl->cursor++;
        out_str(rl, "\033[C");
    }
}

static void move_to(ReadLine *rl, size_t pos)
{
    if (pos != rl->cursor) {
        rl->cursor = pos;
        redraw(rl);
    }
}

static void delete_word_before(ReadLine *rl)
{
    size_t start = rl->cursor;
    while (start > 0 && g_ascii_isspace(rl->line->str[start - 1])) {
        start--;
    }
    while (start > 0 && !g_ascii_isspace(rl->line->str[start - 1])) {
        start--;
    }
    delete_range(rl, start, rl->cursor);
}

static void replace_line(ReadLine *rl, const char *text)
{
    g_string_assign(rl->line, text);
    rl->cursor = rl->line->len;
    redraw(rl);
}

static void history_up(ReadLine *rl)
{
    if (rl->hist_pos == 0) {
        return;
    }
    if (rl->hist_pos == rl->history->len) {
        g_free(rl->typed);
        rl->typed = g_strdup(rl->line->str);
    }
    rl->hist_pos--;
    replace_line(rl, g_ptr_array_index(rl->history, rl->hist_pos));
}

static void history_down(ReadLine *rl)
{
    if (rl->hist_pos >= rl->history->len) {
        return;
    }
    rl->hist_pos++;
    if (rl->hist_pos == rl->history->len) {
        replace_line(rl, rl->typed ? rl->typed : "");
        g_clear_pointer(&rl->typed, g_free);
    } else {
        replace_line(rl, g_ptr_array_index(rl->history, rl->hist_pos));
    }
}

static void history_add(ReadLine *rl, const char *line)
{
    if (!line[0]) {
        return;
    }
    if (rl->history->len &&
        g_str_equal(g_ptr_array_index(rl->history, rl->history->len - 1),
                    line)) {
        return;                 /* the same command again: keep one */
    }
    if (rl->history->len >= READLINE_HISTORY_SIZE) {
        g_ptr_array_remove_index(rl->history, 0);
    }
    g_ptr_array_add(rl->history, g_strdup(line));
}

static void finish_line(ReadLine *rl)
{
    out_str(rl, "\r\n");
    char *line = g_string_free(rl->line, FALSE);
    rl->line = g_string_new(NULL);
    rl->cursor = 0;
    history_add(rl, line);
    rl->hist_pos = rl->history->len;
    g_clear_pointer(&rl->typed, g_free);
    rl->on_line(line, rl->opaque);
    g_free(line);
}

/* ---- keys ---------------------------------------------------------------- */

/* The final byte of ESC [ ... or ESC O ...; param is ESC [ n ~'s n. */
static void escape_key(ReadLine *rl, uint8_t final, unsigned param)
{
    switch (final) {
    case 'A': history_up(rl); break;
    case 'B': history_down(rl); break;
    case 'C': move_right(rl); break;
    case 'D': move_left(rl); break;
    case 'H': move_to(rl, 0); break;
    case 'F': move_to(rl, rl->line->len); break;
    case '~':
        switch (param) {
        case 1: case 7: move_to(rl, 0); break;                  /* Home */
        case 4: case 8: move_to(rl, rl->line->len); break;      /* End */
        case 3: delete_range(rl, rl->cursor,                    /* Delete */
                             MIN(rl->cursor + 1, rl->line->len)); break;
        default: break;
        }
        break;
    default:
        break;                  /* an unknown key: ignore it whole */
    }
}

static void control_key(ReadLine *rl, uint8_t c)
{
    switch (c) {
    case CTRL('a'): move_to(rl, 0); break;
    case CTRL('e'): move_to(rl, rl->line->len); break;
    case CTRL('b'): move_left(rl); break;
    case CTRL('f'): move_right(rl); break;
    case CTRL('h'):
    case DEL:
        delete_range(rl, rl->cursor ? rl->cursor - 1 : 0, rl->cursor);
        break;
    case CTRL('d'):
        delete_range(rl, rl->cursor, MIN(rl->cursor + 1, rl->line->len));
        break;
    case CTRL('k'): delete_range(rl, rl->cursor, rl->line->len); break;
    case CTRL('u'): delete_range(rl, 0, rl->cursor); break;
    case CTRL('w'): delete_word_before(rl); break;
    case CTRL('p'): history_up(rl); break;
    case CTRL('n'): history_down(rl); break;
    default: break;
    }
}

static void feed_byte(ReadLine *rl, uint8_t c)
{
    bool after_cr = rl->after_cr;
    rl->after_cr = false;

    switch (rl->esc) {
    case ESC_SEEN:
        rl->esc = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : ESC_NONE;
        rl->esc_param = 0;
        return;
    case ESC_CSI:
        if (g_ascii_isdigit(c)) {
            rl->esc_param = MIN(rl->esc_param * 10 + (c - '0'), 1000u);
            return;
        }
        if (c == ';') {         /* modifiers (ESC [ 1 ; 5 C): keep the key */
            rl->esc_param = 0;
            return;
        }
        rl->esc = ESC_NONE;
        if (c >= 0x40 && c <= 0x7e) {
            escape_key(rl, c, rl->esc_param);
        }
        return;
    case ESC_SS3:
        rl->esc = ESC_NONE;
        escape_key(rl, c, 0);
        return;
    case ESC_NONE:
        break;
    }

    if (c == ESC) {
        rl->esc = ESC_SEEN;
    } else if (c == '\r') {
        rl->after_cr = true;
        finish_line(rl);
    } else if (c == '\n') {
        if (!after_cr) {
            finish_line(rl);
        }
    } else if (c >= 0x20 && c < DEL) {
        insert_char(rl, (char)c);
    } else {
        control_key(rl, c);
    }
}

void readline_feed(ReadLine *rl, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        feed_byte(rl, buf[i]);
    }
}

/*
 * core/monitor/readline.h - a small line editor for the human monitor.
 *
 * Input arrives one byte at a time from a chardev; the editor keeps the
 * line being typed, echoes it, understands the usual terminal keys and
 * remembers earlier lines:
 *
 *   printable bytes      insert at the cursor
 *   Enter (CR or LF)     finish the line (CR LF counts once)
 *   Backspace, Ctrl-h    delete before the cursor
 *   Delete, Ctrl-d       delete under the cursor
 *   Left/Right, Ctrl-b/f move the cursor
 *   Home/End, Ctrl-a/e   start/end of line
 *   Ctrl-k               delete to the end of the line
 *   Ctrl-u               delete to the start of the line
 *   Ctrl-w               delete the word before the cursor
 *   Up/Down, Ctrl-p/n    walk the history
 *
 * Keys arrive as ANSI/VT100 escape sequences (ESC [ A, ESC O H,
 * ESC [ 3 ~, ...); unknown sequences are swallowed whole.  Redrawing uses
 * only CR, ESC [ K and ESC [ n D, which every terminal emulator knows.
 * When the peer is not a terminal (a script behind socat) plain text and
 * newlines pass through unchanged, so nothing here gets in the way.
 */
#ifndef TESSERA_CORE_READLINE_H
#define TESSERA_CORE_READLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line kept; further bytes are refused with a bell. */
#define READLINE_MAX_LINE 4096
/* Lines remembered for Up/Down. */
#define READLINE_HISTORY_SIZE 64

typedef struct ReadLine ReadLine;

/* Where echo and redraws go. */
typedef void (*ReadLineOutputFn)(const char *data, size_t len, void *opaque);
/* A finished line (without its line end).  The callback may print, and
 * it may call readline_show_prompt() itself; it must not free the
 * editor (defer that until readline_feed returns). */
typedef void (*ReadLineLineFn)(const char *line, void *opaque);

ReadLine *readline_new(const char *prompt, ReadLineOutputFn output,
                       ReadLineLineFn on_line, void *opaque);
void readline_free(ReadLine *rl);

/* Print the prompt and the line typed so far (after other output, or
 * when a mux gives the monitor the input). */
void readline_show_prompt(ReadLine *rl);

/* Bytes typed by the user, in any chunking. */
void readline_feed(ReadLine *rl, const uint8_t *buf, size_t len);

/* The line being edited (NUL-terminated) and the cursor in it. */
const char *readline_line(const ReadLine *rl);
size_t readline_cursor(const ReadLine *rl);

/* Number of history entries and entry i (0 = oldest), or NULL. */
unsigned readline_history_len(const ReadLine *rl);
const char *readline_history_entry(const ReadLine *rl, unsigned i);

#endif

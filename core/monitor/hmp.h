/*
 * core/monitor/hmp.h - the human monitor (HMP): line-based commands for people,
 * as in QEMU's "QEMU Monitor" chapter.  Core-internal.
 *
 * A session is transport-agnostic, like a QMP session: it is fed the
 * bytes the user typed (hmp_session_feed), edits them with the line
 * editor of readline.h, runs each finished line and writes the output
 * ("\n" sent as "\r\n", as terminals want) and the "(tessera) " prompt
 * through a callback.  monitor-chardev.h puts sessions on chardevs.
 *
 * VM control (stop, cont, system_reset, system_powerdown, quit, info
 * status/name) goes through the same hooks as QMP (qmp_vm_hooks() in
 * qmp.h) and reports the same events, so both monitors always agree.
 * What QMP has no hook for (uuid, machines, numa) is in monitor-hooks.h.
 *
 * Everything here runs with the big lock held, from the main loop.
 */
#ifndef TESSERA_CORE_HMP_H
#define TESSERA_CORE_HMP_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HMP_PROMPT "(tessera) "

/* ------------------------------------------------------------------ */
/* Sessions                                                           */

typedef struct HmpSession HmpSession;

/* Output of a session; must have written or queued everything on return. */
typedef void (*HmpWriteFn)(const char *data, size_t len, void *opaque);

/* A new session; nothing is written until hmp_session_greet(). */
HmpSession *hmp_session_new(HmpWriteFn write, void *opaque);

/* The banner ("Tessera X monitor - type 'help' for more information")
 * and the prompt: a peer connected. */
void hmp_session_greet(HmpSession *s);

/* The prompt and the line typed so far, again (a mux gave us the input). */
void hmp_session_show_prompt(HmpSession *s);

/* Bytes from the user, in any chunking; finished lines run before this
 * returns.  Safe on arbitrary input. */
void hmp_session_feed(HmpSession *s, const void *buf, size_t len);

/* End a session.  Called from inside its own write callback or a command,
 * the free is deferred until the session's code has returned. */
void hmp_session_free(HmpSession *s);

/*
 * Run one command line without a session and return everything it
 * printed (g_free), with plain "\n" line ends: QMP's
 * human-monitor-command.  cpu_index < 0 means CPU 0.  Actions that must
 * follow the output (quit) run after the current QMP reply, if any.
 */
char *hmp_run_command(const char *line, int cpu_index);

/* ------------------------------------------------------------------ */
/* For the command files (hmp-commands.c, hmp-info.c)                 */

/* What persists between the commands of one session. */
typedef struct HmpState {
    unsigned cpu_index;     /* the current CPU, set by `cpu N` */
    char last_format;       /* x/xp remember their last format ... */
    unsigned last_size;     /* ... and unit size, as QEMU does */
} HmpState;

#define HMP_STATE_INIT { .cpu_index = 0, .last_format = 'x', .last_size = 4 }

/* One command being run. */
typedef struct HmpCall {
    GString *out;           /* what the command prints */
    HmpState *state;
    GArray *after;          /* HmpAction: run once out is written */
} HmpCall;

typedef struct HmpAction {
    void (*fn)(void *opaque);
    void *opaque;
} HmpAction;

void hmp_printf(HmpCall *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* "Error: MESSAGE\n", as QEMU reports a failed command. */
void hmp_print_error(HmpCall *c, const GError *err);
/* Run fn(opaque) once the command's output has been written (quit). */
void hmp_after_output(HmpCall *c, void (*fn)(void *opaque), void *opaque);

/* A command: `args` is the text after the name, leading spaces removed
 * (for x/FMT it starts at the '/'). */
typedef void (*HmpCommandFn)(HmpCall *c, const char *args);

typedef struct HmpCommand {
    const char *names;      /* "cont|c": the name, then aliases */
    const char *params;     /* for help: "[-a] [vcpu]" */
    const char *help;       /* one line */
    HmpCommandFn fn;
} HmpCommand;

/* The command table, ending with { NULL }. */
extern const HmpCommand hmp_command_table[];

/*
 * `info` subcommands: the monitor's own, then each subsystem's, which it
 * keeps with its code: `HMP_INFO_COMMANDS(chardev_info_commands);` with a
 * table ending in { NULL } queues it when the core library is loaded.
 */
void hmp_info_commands_add(const HmpCommand *table);
#define HMP_INFO_COMMANDS(table)                                           \
    __attribute__((constructor)) static void hmp_info_##table(void)        \
    {                                                                      \
        hmp_info_commands_add(table);                                      \
    }
/* All of them, ending with { NULL }. */
const HmpCommand *hmp_info_commands(void);

/*
 * Top-level commands of a subsystem (block_resize, drive_add, ...) live
 * with its code the same way: `HMP_COMMANDS(table)` queues the table,
 * searched after the monitor's own and listed by `help` after them.
 */
void hmp_commands_add(const HmpCommand *table);
#define HMP_COMMANDS(table)                                                \
    __attribute__((constructor)) static void hmp_cmds_##table(void)        \
    {                                                                      \
        hmp_commands_add(table);                                           \
    }

/* Find a command by name or alias in a table, or NULL. */
const HmpCommand *hmp_find_command(const HmpCommand *table, const char *name);

/* Run one line: look the command up, call it; unknown names print
 * "unknown command: 'NAME'". */
void hmp_execute(HmpCall *c, const char *line);

/* `info ...` (hmp-info.c). */
void hmp_cmd_info(HmpCall *c, const char *args);

/* Help lines for a table, "PREFIXname|alias params -- help"; with `only`
 * just that command (false if there is none). */
bool hmp_print_help(HmpCall *c, const HmpCommand *table, const char *prefix,
                    const char *only);

/* ------------------------------------------------------------------ */
/* Integer expressions (hmp-expr.c)                                   */

/*
 * Reads register `name` (without the '$') of the current CPU.  Returns
 * false for an unknown register; errp may then stay unset (the caller
 * says "unknown register") or say more.
 */
typedef bool (*HmpRegisterFn)(const char *name, uint64_t *value,
                              GError **errp, void *opaque);

/*
 * Evaluate an integer expression as the monitor manual describes them:
 * decimal, 0x hexadecimal and 0 octal numbers, 'c' character codes, $reg
 * CPU registers, parentheses, unary - + ~ and the binary operators with
 * C's precedence (highest first): * / %, + -, << >>, &, ^, |.
 * Arithmetic is on 64 bits and wraps; / and % are signed and refuse a
 * zero divisor ("division by zero"); >> is logical; shifting by 64 or
 * more gives 0.  With endp, parsing stops where the expression ends and
 * *endp points there (after spaces); without, trailing text is an error.
 */
bool hmp_expr_parse(const char *text, const char **endp,
                    HmpRegisterFn read_register, void *opaque,
                    uint64_t *value, GError **errp);

/* The register reader for HMP expressions: the call's current CPU. */
bool hmp_read_cpu_register(const char *name, uint64_t *value, GError **errp,
                           void *opaque /* HmpCall */);

#endif

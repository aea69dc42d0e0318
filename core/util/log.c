/*
 * core/util/log.c - the -d/-D debug log.
 */
#include "log-setup.h"

#include <stdarg.h>
#include <stdio.h>

static unsigned enabled_mask;
static FILE *log_file;
static GMutex log_lock;

static const struct {
    const char *name;
    unsigned mask;
    const char *help;
} items[] = {
    { "in_asm", TS_LOG_IN_ASM, "show target assembly code for each compiled TB" },
    { "int", TS_LOG_INT, "show interrupts/exceptions in short format" },
    { "cpu_reset", TS_LOG_CPU_RESET, "show CPU state before CPU resets" },
    { "unimp", TS_LOG_UNIMP, "log unimplemented functionality" },
    { "guest_errors", TS_LOG_GUEST_ERROR, "log when the guest OS does something invalid" },
    { "op", TS_LOG_OP, "show micro ops for each compiled TB" },
    { "op_opt", TS_LOG_OP_OPT, "show micro ops after optimization" },
    { "out_asm", TS_LOG_OUT_ASM, "show generated host assembly code for each compiled TB" },
    { "nochain", TS_LOG_NOCHAIN, "do not chain compiled TBs so that \"exec\" and \"cpu\" show complete traces" },
};

void log_print_items(FILE *out)
{
    fprintf(out, "Log items (comma separated):\n");
    for (size_t i = 0; i < G_N_ELEMENTS(items); i++) {
        fprintf(out, "%-15s %s\n", items[i].name, items[i].help);
    }
}

bool log_set_items(const char *list, GError **errp)
{
    unsigned mask = 0;
    g_auto(GStrv) names = g_strsplit(list, ",", -1);
    for (char **n = names; *n; n++) {
        size_t i;
        for (i = 0; i < G_N_ELEMENTS(items); i++) {
            if (g_str_equal(items[i].name, *n)) {
                mask |= items[i].mask;
                break;
            }
        }
        if (i == G_N_ELEMENTS(items)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "unknown log item '%s' (-d help lists them)", *n);
            return false;
        }
    }
    enabled_mask = mask;
    return true;
}

bool log_set_file(const char *path, GError **errp)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "cannot open %s: %s",
                    path, g_strerror(errno));
        return false;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    if (log_file) {
        fclose(log_file);
    }
    log_file = f;
    return true;
}

bool log_writes_to_stderr(void)
{
    return enabled_mask && !log_file;
}

TS_EXPORT bool ts_log_enabled(unsigned mask)
{
    return (enabled_mask & mask) != 0;
}

TS_EXPORT void ts_log(unsigned mask, const char *fmt, ...)
{
    if (!(enabled_mask & mask)) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_mutex_lock(&log_lock);
    fputs(text, log_file ? log_file : stderr);
    g_mutex_unlock(&log_lock);
}

/*
 * core/device/irq.c - interrupt lines (see <tessera/irq.h>).
 */
#include "irq-lines.h"

struct TsIrq {
    TsIrqHandler handler;
    void *opaque;
    unsigned n;
    int level;
};

TS_EXPORT TsIrq *ts_irq_new(TsIrqHandler handler, void *opaque, unsigned n)
{
    TsIrq *irq = g_new0(TsIrq, 1);
    irq->handler = handler;
    irq->opaque = opaque;
    irq->n = n;
    return irq;
}

TS_EXPORT void ts_irq_free(TsIrq *irq)
{
    g_free(irq);
}

TS_EXPORT void ts_irq_set(TsIrq *irq, int level)
{
    if (!irq) {
        return;
    }
    irq->level = level != 0;
    irq->handler(irq->opaque, irq->n, irq->level);
}

TS_EXPORT int ts_irq_level(const TsIrq *irq)
{
    return irq ? irq->level : 0;
}

TS_EXPORT unsigned ts_irq_number(const TsIrq *irq)
{
    return irq ? irq->n : 0;
}

/*
 * Named lines: a table keyed by device and name.  Devices are few and
 * wiring happens at board build time, so a global hash table is plenty.
 */
typedef struct NamedLines {
    TsIrq **lines;          /* inputs: owned; outputs: the device's slots */
    unsigned count;
    bool is_input;
} NamedLines;

static GHashTable *named_lines;     /* "ptr/name" -> NamedLines */

static char *line_key(TsDevice *dev, const char *name)
{
    return g_strdup_printf("%p/%s", (void *)dev, name);
}

static void named_lines_free(NamedLines *nl)
{
    if (nl->is_input) {
        for (unsigned i = 0; i < nl->count; i++) {
            ts_irq_free(nl->lines[i]);
        }
        g_free(nl->lines);
    }
    g_free(nl);
}

static void add_lines(TsDevice *dev, const char *name, NamedLines *nl)
{
    if (!named_lines) {
        named_lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify)named_lines_free);
    }
    g_hash_table_replace(named_lines, line_key(dev, name), nl);
}

static NamedLines *find_lines(TsDevice *dev, const char *name)
{
    if (!named_lines) {
        return NULL;
    }
    g_autofree char *key = line_key(dev, name);
    return g_hash_table_lookup(named_lines, key);
}

TS_EXPORT void ts_device_init_irq_in(TsDevice *dev, const char *name,
                                     unsigned count, TsIrqHandler handler,
                                     void *opaque)
{
    NamedLines *nl = g_new0(NamedLines, 1);
    nl->is_input = true;
    nl->count = count;
    nl->lines = g_new0(TsIrq *, count);
    for (unsigned i = 0; i < count; i++) {
        nl->lines[i] = ts_irq_new(handler, opaque, i);
    }
    add_lines(dev, name, nl);
}

TS_EXPORT TsIrq *ts_device_irq_in(TsDevice *dev, const char *name,
                                  unsigned n)
{
    NamedLines *nl = find_lines(dev, name);
    return nl && nl->is_input && n < nl->count ? nl->lines[n] : NULL;
}

TS_EXPORT void ts_device_init_irq_out(TsDevice *dev, const char *name,
                                      TsIrq **slots, unsigned count)
{
    NamedLines *nl = g_new0(NamedLines, 1);
    nl->count = count;
    nl->lines = slots;
    add_lines(dev, name, nl);
}

TS_EXPORT bool ts_device_connect_irq_out(TsDevice *dev, const char *name,
                                         unsigned n, TsIrq *target)
{
    NamedLines *nl = find_lines(dev, name);
    if (!nl || nl->is_input || n >= nl->count) {
        return false;
    }
    nl->lines[n] = target;
    return true;
}

void irq_forget_device(TsDevice *dev)
{
    if (!named_lines) {
        return;
    }
    g_autofree char *prefix = g_strdup_printf("%p/", (void *)dev);
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, named_lines);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        if (g_str_has_prefix(key, prefix)) {
            g_hash_table_iter_remove(&it);
        }
    }
}

/*
 * core/loader/reset-fixups.c - the list behind reset-fixups.h.
 */
#include "reset-fixups.h"

typedef struct Fixup {
    void (*fn)(void *opaque);
    void *opaque;
} Fixup;

static GArray *fixups;          /* of Fixup, in the order added */

void reset_fixup_add(void (*fn)(void *opaque), void *opaque)
{
    if (!fixups) {
        fixups = g_array_new(FALSE, FALSE, sizeof(Fixup));
    }
    Fixup f = { fn, opaque };
    g_array_append_val(fixups, f);
}

void reset_fixup_remove(void (*fn)(void *opaque), void *opaque)
{
    for (guint i = 0; fixups && i < fixups->len; i++) {
        Fixup *f = &g_array_index(fixups, Fixup, i);
        if (f->fn == fn && f->opaque == opaque) {
            g_array_remove_index(fixups, i);
            return;
        }
    }
}

void reset_fixups_run(void)
{
    /* A fixup must not add or remove fixups (devices are not realized
     * or unrealized by a reset). */
    for (guint i = 0; fixups && i < fixups->len; i++) {
        Fixup f = g_array_index(fixups, Fixup, i);
        f.fn(f.opaque);
    }
}

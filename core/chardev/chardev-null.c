/*
 * chardev-null.c - the null backend: output vanishes, input never comes.
 */
#include "chardev-internal.h"

static bool null_open(TsChardev *chr, ChardevOpts *opts, GError **errp)
{
    chr->filename = g_strdup("null");
    /* Open from the start, so a frontend waiting for OPENED (a monitor
     * printing its banner) behaves as with any other line. */
    chr->open = true;
    return true;
}

static void null_close(TsChardev *chr)
{
}

static size_t null_write(TsChardev *chr, const uint8_t *buf, size_t len)
{
    return len;
}

const ChardevBackend chardev_null_backend = {
    .name = "null",
    .description = "discards output, never gives input",
    .open = null_open,
    .close = null_close,
    .write = null_write,
};

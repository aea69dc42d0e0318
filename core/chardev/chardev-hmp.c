/*
 * core/chardev/chardev-hmp.c - `info chardev`.
 */
#include "chardevs.h"
#include "monitor/hmp.h"

static void print_chardev(TsChardev *chr, void *opaque)
{
    hmp_printf(opaque, "%s: filename=%s\n", ts_chardev_id(chr),
               chardev_filename(chr));
}

static void info_chardev(HmpCall *c, const char *args)
{
    chardev_foreach(print_chardev, c);
}

static const HmpCommand chardev_info_commands[] = {
    { "chardev", "", "show the character devices", info_chardev },
    { NULL }
};
HMP_INFO_COMMANDS(chardev_info_commands)

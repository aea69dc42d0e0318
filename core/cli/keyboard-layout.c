/*
 * core/cli/keyboard-layout.c - the -k layouts.
 */
#include "keyboard-layout.h"

#include <tessera/types.h>

/* The manual's table, in its order (by column). */
static const char *const layouts[] = {
    "ar", "da", "de", "de-ch", "en-gb", "en-us", "es", "et", "fi",
    "fo", "fr", "fr-be", "fr-ca", "fr-ch", "hr", "hu", "is", "it",
    "ja", "lt", "lv", "mk", "nl", "nl-be", "no", "pl", "pt",
    "pt-br", "ru", "sl", "sv", "th", "tr", NULL
};

bool keyboard_layout_check(const char *name, GError **errp)
{
    if (g_strv_contains(layouts, name)) {
        return true;
    }
    g_autofree char *all = g_strjoinv(" ", (char **)layouts);
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "keyboard layout '%s' is not known (known layouts: %s)",
                name, all);
    return false;
}

void keyboard_layout_print(FILE *out)
{
    fprintf(out, "Available keyboard layouts (default %s):\n",
            KEYBOARD_LAYOUT_DEFAULT);
    for (int i = 0; layouts[i]; i++) {
        fprintf(out, "  %s\n", layouts[i]);
    }
}

/*
 * core/util/parse.h - QEMU's number, size and boolean syntax, shared by
 * typed properties and the command line.  Not in the SDK: a plugin gets
 * its options as properties, parsed by the core.
 */
#ifndef TESSERA_CORE_PARSE_H
#define TESSERA_CORE_PARSE_H

#include <tessera/types.h>

/*
 * Parsers shared by properties and the command line; each returns false and
 * sets errp with a message naming `what`.
 * Sizes take an optional binary suffix B/K/M/G/T/P/E (k allowed) and a
 * fraction ("1.5G"); booleans take on/off/yes/no/true/false.
 */
bool ts_parse_size(const char *what, const char *text, uint64_t *out,
                   GError **errp);
bool ts_parse_bool(const char *what, const char *text, bool *out,
                   GError **errp);
bool ts_parse_int(const char *what, const char *text, int64_t *out,
                  GError **errp);
bool ts_parse_uint(const char *what, const char *text, uint64_t *out,
                   GError **errp);

/* QEMU's rule for the ids users give (-chardev, -netdev, -object, node
 * names): a letter, then letters, digits, '-', '.' and '_'. */
bool ts_id_well_formed(const char *id);

#endif

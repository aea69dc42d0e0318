/*
 * core/cli/opts.h - QEMU's option grammar: "[key=]value,key=value,...".
 *
 * The first element may omit its key, which then is the option's implied
 * key (-machine virt is type=virt).  ",," stands for a literal comma in a
 * value.  "help" or "?" as the first element, or a "help" element later,
 * asks for help instead of giving a value.  A later element without '='
 * means key=on.  Keys may repeat: opts_get returns the last value,
 * opts_foreach sees every occurrence in order.
 */
#ifndef TESSERA_CORE_OPTS_H
#define TESSERA_CORE_OPTS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct TsOpts TsOpts;

/* Parse text; implied_key may be NULL (then every element needs a key). */
TsOpts *opts_parse(const char *text, const char *implied_key, GError **errp);
void opts_free(TsOpts *opts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TsOpts, opts_free)

/* The last value of key, or NULL. */
const char *opts_get(const TsOpts *opts, const char *key);
bool opts_has(const TsOpts *opts, const char *key);
/* True if the text asked for help ("help", "?", ",help"). */
bool opts_wants_help(const TsOpts *opts);
/* Call fn for every key=value in order (help is not an element). */
void opts_foreach(const TsOpts *opts,
                  void (*fn)(const char *key, const char *value,
                             void *opaque),
                  void *opaque);
/* Refuse keys not in the NULL-terminated list: "Invalid parameter 'x'". */
bool opts_check_keys(const TsOpts *opts, const char *const *allowed,
                     GError **errp);
/* Typed lookups of the last value; absent keys give the default. */
bool opts_get_bool(const TsOpts *opts, const char *key, bool def,
                   bool *out, GError **errp);
bool opts_get_size(const TsOpts *opts, const char *key, uint64_t def,
                   uint64_t *out, GError **errp);
bool opts_get_uint(const TsOpts *opts, const char *key, uint64_t def,
                   uint64_t *out, GError **errp);
/* Back to text, commas escaped (for -writeconfig and messages). */
char *opts_to_string(const TsOpts *opts);
/* Append "key=value" to option text, after a ',' unless text is empty,
 * with the value's commas doubled as QEMU's grammar wants. */
void opts_append_pair(GString *text, const char *key, const char *value);

#endif

/*
 * tessera/types.h - basic definitions shared by every SDK header.
 *
 * Part of the Tessera plugin SDK.  Everything under <tessera/> is a stable
 * ABI: struct layouts and function signatures change only with the ABI
 * version in <tessera/plugin.h>.
 */
#ifndef TESSERA_TYPES_H
#define TESSERA_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <string.h>
#include <glib.h>

#ifdef __cplusplus
#define TS_BEGIN_DECLS extern "C" {
#define TS_END_DECLS }
#else
#define TS_BEGIN_DECLS
#define TS_END_DECLS
#endif

/* Marks a symbol that a plugin exports to the core (its descriptor). */
#define TS_EXPORT __attribute__((visibility("default")))

/*
 * Errors are GLib GErrors in the TS_ERROR domain.  Every call that can fail
 * on user or guest input takes a `GError **errp` last and returns false (or
 * NULL) on failure; the message is meant to be shown to the user as it is.
 */
#define TS_ERROR (ts_error_quark())

typedef enum TsErrorCode {
    TS_ERROR_FAILED,        /* generic failure, message says why */
    TS_ERROR_INVALID,       /* bad value supplied by the user */
    TS_ERROR_NOT_FOUND,     /* no such type, property, device or file */
    TS_ERROR_UNSUPPORTED,   /* feature not available (yet) */
} TsErrorCode;

TS_BEGIN_DECLS

/* The GQuark of the TS_ERROR domain. */
GQuark ts_error_quark(void);

TS_END_DECLS

#endif

/*
 * tessera/log.h - the -d debug log.
 *
 * `-d item,item` turns on classes of messages and `-D FILE` sends them to a
 * file instead of stderr.  Plugins test ts_log_enabled() before building
 * an expensive message.  Logging is thread-safe; lines are written whole.
 */
#ifndef TESSERA_LOG_H
#define TESSERA_LOG_H

#include <tessera/types.h>

TS_BEGIN_DECLS

typedef enum TsLogMask {
    TS_LOG_IN_ASM       = 1u << 0,  /* guest code as it is translated */
    TS_LOG_INT          = 1u << 1,  /* interrupts and exceptions */
    TS_LOG_CPU_RESET    = 1u << 2,  /* CPU state at reset */
    TS_LOG_UNIMP        = 1u << 3,  /* unimplemented functionality used */
    TS_LOG_GUEST_ERROR  = 1u << 4,  /* the guest did something invalid */
    TS_LOG_OP           = 1u << 5,  /* JIT IR */
    TS_LOG_OP_OPT       = 1u << 6,  /* JIT IR after optimisation */
    TS_LOG_OUT_ASM      = 1u << 7,  /* host code generated */
    TS_LOG_NOCHAIN      = 1u << 8,  /* not a log: disables TB chaining */
} TsLogMask;

/* True if any class in mask was enabled with -d. */
bool ts_log_enabled(unsigned mask);

/* Write one message if a class in mask is enabled (printf format). */
void ts_log(unsigned mask, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

TS_END_DECLS

#endif

/*
 * core/util/error.c - the TS_ERROR domain of GErrors.
 */
#include <tessera/types.h>

TS_EXPORT GQuark ts_error_quark(void)
{
    return g_quark_from_static_string("tessera-error-quark");
}

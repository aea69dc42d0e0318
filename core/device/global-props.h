/*
 * core/device/global-props.h - -global: property defaults for a device type.
 *
 * `-global driver.prop=value` (split at the last dot before the '=', so a
 * driver name may contain dots) or `-global driver=D,property=P,value=V`.
 * A global applies to every device whose type is D or derives from D, as
 * in QEMU: board-made devices as well as -device and device_add ones.  It
 * is set right after the device's instance_init, so the device's own
 * -device properties, set later, win over it.  Globals apply in
 * command-line order (a later one for the same property wins).
 *
 * A global that cannot be applied (no such property, bad value) makes the
 * creation of that device fail with "can't apply global D.P=V: why": the
 * user asked for something that cannot be.  A global that matched no
 * device at all is only a warning once the machine is complete (QEMU does
 * the same), since a matching device may still be hot-plugged.
 */
#ifndef TESSERA_CORE_GLOBAL_PROPS_H
#define TESSERA_CORE_GLOBAL_PROPS_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

/* Record one -global argument; false + errp if it is malformed.  The
 * first call hooks globals into object creation. */
/* -global help: the long form's keys. */
void global_props_print_help(FILE *out);

bool global_props_add(const char *arg, GError **errp);

/* The three parts of a -global argument (g_free them); false + errp if
 * it is malformed.  Used by -writeconfig too. */
bool global_props_split(const char *arg, char **driver, char **property,
                        char **value, GError **errp);

/* A default that another option implies (-cpu MODEL,prop=value sets prop
 * on every CPU of MODEL's type): applied like a -global, but a failure
 * says "ORIGIN: why" and an unused one is no warning. */
void global_props_add_from(const char *origin, const char *driver,
                           const char *property, const char *value);

/* Warn (to `out`) about -global options no device used; returns how
 * many. */
unsigned global_props_warn_unused(FILE *out);

/* Forget every global (tests). */
void global_props_reset(void);

#endif

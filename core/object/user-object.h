/*
 * core/object/user-object.h - objects the user creates by id: `-object`,
 * QMP object-add/object-del, HMP object_add/object_del.
 *
 * QEMU keeps every such object in one /objects container, so ids are
 * unique across kinds (a memory backend and a throttle group cannot both
 * be "x").  Each subsystem that offers a kind registers it here with
 * USER_OBJECT_KIND(); this file parses qom-type and id, refuses unknown
 * types and duplicate ids, and hands the rest to the kind.
 */
#ifndef TESSERA_CORE_USER_OBJECT_H
#define TESSERA_CORE_USER_OBJECT_H

#include <tessera/types.h>
#include <stdio.h>

typedef struct UserObjectKind {
    const char *type;           /* qom-type, e.g. "throttle-group" */
    /* Create the object from the whole -object text: QEMU's key=value
     * list (qom-type=... first) or its JSON form.  The type and a
     * well-formed, unused id are already checked. */
    bool (*add)(const char *arg, GError **errp);
    /* Whether an object of this kind has that id. */
    bool (*exists)(const char *id);
    /* Delete it (it exists); false + errp when it cannot go, e.g. QEMU's
     * "object 'x' is in use, can not be deleted".  NULL: never deletable
     * at run time. */
    bool (*del)(const char *id, GError **errp);
    /* `-object TYPE,help`: the properties, as QEMU lists them. */
    void (*print_help)(FILE *out);
} UserObjectKind;

void user_object_kind_register(const UserObjectKind *kind);
#define USER_OBJECT_KIND(k)                                                \
    __attribute__((constructor)) static void user_object_kind_##k(void)    \
    {                                                                      \
        user_object_kind_register(&(k));                                   \
    }

/* Create from -object text (key=value or JSON); _monitor: for
 * object-add and object_add, which word a duplicate id as QEMU's
 * monitors do. */
bool user_object_add(const char *arg, GError **errp);
bool user_object_add_monitor(const char *arg, GError **errp);
/* Delete by id (object-del, object_del). */
bool user_object_del(const char *id, GError **errp);

/* `-object help` and `-object TYPE,help` (false: TYPE is unknown, which
 * the caller reports). */
void user_object_print_types(FILE *out);
bool user_object_print_help(FILE *out, const char *type);

/* The JSON form of -object (or object-add's arguments) as QEMU's
 * key=value text, for kinds whose properties are all scalars; NULL +
 * errp for a nested value.  g_free the result. */
char *user_object_json_to_opts(const char *json, GError **errp);


#endif

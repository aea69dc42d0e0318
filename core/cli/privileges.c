/*
 * core/cli/privileges.c - -chroot DIR and -runas USER|UID:GID, as QEMU
 * does them: once the VM is built (images, sockets, plugins the command
 * line names all open) and before the guest runs, the process moves into
 * DIR and gives up root for USER's (or UID:GID's) identity.
 *
 * After this, what needs a file by its old path fails as it would for
 * that user in that directory: a plugin loaded later by device_add, a
 * snapshot file, the pid file's removal at exit.  That is the point of
 * the options; QEMU behaves the same.
 */
#define _GNU_SOURCE             /* initgroups */
#include "cli.h"

#include <tessera/types.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

typedef struct RunAs {
    char *user;                 /* NULL for UID:GID */
    uid_t uid;
    gid_t gid;
} RunAs;

/* USER, or UID:GID (numbers), as QEMU takes -runas. */
static bool parse_runas(const char *arg, RunAs *out, GError **errp)
{
    struct passwd *pw = getpwnam(arg);
    if (pw) {
        out->user = g_strdup(arg);
        out->uid = pw->pw_uid;
        out->gid = pw->pw_gid;
        return true;
    }
    const char *colon = strchr(arg, ':');
    char *end;
    if (colon && colon != arg && colon[1]) {
        errno = 0;
        unsigned long uid = strtoul(arg, &end, 10);
        bool uid_ok = end == colon && errno == 0 && uid < (uid_t)-1;
        unsigned long gid = strtoul(colon + 1, &end, 10);
        if (uid_ok && *end == '\0' && errno == 0 && gid < (gid_t)-1 &&
            g_ascii_isdigit(arg[0]) && g_ascii_isdigit(colon[1])) {
            out->user = NULL;
            out->uid = uid;
            out->gid = gid;
            return true;
        }
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                "User \"%s\" doesn't exist (and is not <uid>:<gid>)", arg);
    return false;
}

bool cli_check_runas(const char *arg, GError **errp)
{
    RunAs r;
    if (!parse_runas(arg, &r, errp)) {
        return false;
    }
    g_free(r.user);
    return true;
}

bool cli_drop_privileges(Cli *cli, GError **errp)
{
    if (cli->chroot_dir) {
        if (chroot(cli->chroot_dir) != 0 || chdir("/") != 0) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "-chroot %s: chroot "
                        "failed: %s", cli->chroot_dir, g_strerror(errno));
            return false;
        }
    }
    if (!cli->runas) {
        return true;
    }
    RunAs r;
    if (!parse_runas(cli->runas, &r, errp)) {
        g_prefix_error(errp, "-runas %s: ", cli->runas);
        return false;
    }
    g_autofree char *user = r.user;
    /* Groups first: once the uid is not root they cannot change. */
    bool ok = setgid(r.gid) == 0 &&
              (user ? initgroups(user, r.gid) == 0
                    : setgroups(1, &r.gid) == 0) &&   /* as QEMU */
              setuid(r.uid) == 0;
    /* And never back: a process that could regain root has not
     * dropped it. */
    if (ok && r.uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        errno = EPERM;
        ok = false;
    }
    if (!ok) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "-runas %s: could not "
                    "change to that user: %s", cli->runas,
                    g_strerror(errno));
        return false;
    }
    return true;
}

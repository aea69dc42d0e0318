/*
 * core/util/signal-cleanup.c - see signal-cleanup.h.
 *
 * Fixed slots rather than a list: the signal handler may run at any
 * moment, in any thread, and must neither allocate nor follow a pointer
 * that is being freed.  A slot is filled before it is marked used and
 * marked unused before it is reused.  lstat and unlink are
 * async-signal-safe.
 */
#include "signal-cleanup.h"

#include <glib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A pid file and a few unix socket chardevs; more are left behind. */
#define SLOTS 16

static struct {
    char path[PATH_MAX];
    dev_t dev;                  /* the file we created, so that one put */
    ino_t ino;                  /* there since by someone else stays */
    int used;                   /* read and written atomically */
} slots[SLOTS];

static void (*terminal_restore)(void);   /* read and written atomically */

int signal_cleanup_add_path(const char *path)
{
    g_autofree char *abs = g_canonicalize_filename(path, NULL);
    struct stat st;
    if (strlen(abs) >= PATH_MAX || lstat(abs, &st) != 0) {
        return -1;
    }
    for (int i = 0; i < SLOTS; i++) {
        if (!__atomic_load_n(&slots[i].used, __ATOMIC_ACQUIRE)) {
            strcpy(slots[i].path, abs);
            slots[i].dev = st.st_dev;
            slots[i].ino = st.st_ino;
            __atomic_store_n(&slots[i].used, 1, __ATOMIC_RELEASE);
            return i;
        }
    }
    return -1;
}

void signal_cleanup_forget(int handle)
{
    if (handle >= 0 && handle < SLOTS) {
        __atomic_store_n(&slots[handle].used, 0, __ATOMIC_RELEASE);
    }
}

void signal_cleanup_set_terminal(void (*restore)(void))
{
    __atomic_store_n(&terminal_restore, restore, __ATOMIC_RELEASE);
}

void signal_cleanup_run(void)
{
    for (int i = 0; i < SLOTS; i++) {
        struct stat st;
        if (__atomic_load_n(&slots[i].used, __ATOMIC_ACQUIRE) &&
            lstat(slots[i].path, &st) == 0 && st.st_dev == slots[i].dev &&
            st.st_ino == slots[i].ino) {
            unlink(slots[i].path);
        }
    }
    void (*restore)(void) = __atomic_load_n(&terminal_restore,
                                            __ATOMIC_ACQUIRE);
    if (restore) {
        restore();
    }
}

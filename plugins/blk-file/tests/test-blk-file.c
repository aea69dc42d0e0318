/*
 * test-blk-file.c - blk-file on a real file system that fills up: a
 * -drive with werror=stop on a small tmpfs (mounted in a private mount
 * namespace of a child process) takes guest writes from a fake front end
 * until the host has no room; the VM then stops with a BLOCK_IO_ERROR
 * event (nospace, action stop) and the request waits; once space is
 * freed, `cont` writes it and every byte the guest wrote reads back.
 * Without the right to mount (no root, no namespaces) the test skips.
 *
 * The whole run is made twice: with aio=threads and with aio=io_uring
 * (skipped, with the reason, where the kernel refuses io_uring).  With
 * io_uring the process's rings must have taken submissions (their
 * fdinfo's SqHead), and with threads there must be no ring at all.
 */
#define _GNU_SOURCE             /* unshare */
#include "dev-harness.h"
#include "block/block-internal.h"
#include "block/block-options.h"
#include "loop/main-loop.h"
#include "monitor/qmp.h"
#include "object/object-hooks.h"
#include "plugin/plugins.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/io_uring.h>
#include <unistd.h>

#define CHUNK (32 * 1024)
#define TOTAL (192 * 1024)      /* fits in the tmpfs once the filler goes */
#define FILLER (128 * 1024)
#define CHECKS 14               /* CHECK lines in one run() */

static const char *aio = "threads";

static GString *events;

static void qmp_out(const char *data, size_t len, void *opaque)
{
    g_string_append_len(events, data, (gssize)len);
}

typedef struct Done {
    int count, ret;
} Done;

static void done_cb(void *opaque, int ret)
{
    Done *d = opaque;
    d->count++;
    d->ret = ret;
}

/* Completions until `d` reached n, or the VM stopped (bounded). */
static void settle(Done *d, int n)
{
    for (int i = 0; i < 10000 && d->count < n && ts_vm_running(); i++) {
        if (!block_pool_run_completions()) {
            g_usleep(1000);
        }
    }
    /* A stop is reported from the completion: let it finish. */
    block_pool_run_completions();
}

#define CHECK(cond, what)                                                 \
    do {                                                                  \
        if (!(cond)) {                                                    \
            printf("not ok - aio=%s: %s\n", aio, what);                   \
            return 1;                                                     \
        }                                                                 \
        printf("ok - aio=%s: %s\n", aio, what);                           \
    } while (0)

/* io_uring rings this process has open (-1: /proc unreadable), and
 * the submissions they took, from their fdinfo. */
static int uring_rings(uint64_t *submitted)
{
    DIR *d = opendir("/proc/self/fd");
    int rings = 0;
    *submitted = 0;
    if (!d) {
        return -1;
    }
    for (struct dirent *e; (e = readdir(d));) {
        char link[300], target[64] = { 0 };
        snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        if (readlink(link, target, sizeof(target) - 1) <= 0 ||
            !strstr(target, "io_uring")) {
            continue;
        }
        rings++;
        g_autofree char *info_path = g_strdup_printf("/proc/self/fdinfo/%s",
                                                     e->d_name);
        g_autofree char *info = NULL;
        if (g_file_get_contents(info_path, &info, NULL, NULL)) {
            const char *h = strstr(info, "SqHead:");
            if (h) {
                *submitted += g_ascii_strtoull(h + 7, NULL, 10);
            }
        }
    }
    closedir(d);
    return rings;
}

/* Whether the kernel lets this process make an io_uring (a kernel
 * without it says ENOSYS, a seccomp filter EPERM); why not in `why`. */
static bool uring_allowed(char *why, size_t len)
{
    struct io_uring_params p = { 0 };
    long fd = syscall(__NR_io_uring_setup, 1, &p);
    if (fd < 0) {
        snprintf(why, len, "io_uring_setup: %s", g_strerror(errno));
        return false;
    }
    close((int)fd);
    return true;
}

static int run(const char *dir)
{
    ts_loop_init();
    plugin_loader_init();
    g_autofree char *plugins = g_build_filename(g_getenv("TESSERA_BUILD_ROOT"),
                                                "plugins", NULL);
    plugin_path_prepend(plugins);
    object_core_init();
    QmpVmHooks hooks;
    qmp_core_vm_hooks(&hooks);
    qmp_set_vm_hooks(&hooks);
    events = g_string_new(NULL);
    QmpSession *qmp = qmp_session_new(qmp_out, NULL);
    const char *caps = "{\"execute\": \"qmp_capabilities\"}\n";
    qmp_session_feed(qmp, caps, strlen(caps));

    /* Leave about 128 KiB of room in the 256 KiB file system. */
    g_autofree char *filler = g_build_filename(dir, "filler", NULL);
    g_autofree char *image = g_build_filename(dir, "disk.img", NULL);
    g_autofree uint8_t *fill = g_malloc(FILLER);
    memset(fill, 0x55, FILLER);
    CHECK(g_file_set_contents(filler, (char *)fill, FILLER, NULL),
          "a filler file on the small tmpfs");
    int fd = open(image, O_CREAT | O_RDWR, 0644);
    CHECK(fd >= 0 && ftruncate(fd, 1024 * 1024) == 0,
          "a sparse 1 MiB image on it");
    close(fd);

    g_autoptr(GError) err = NULL;
    g_autofree char *arg = g_strdup_printf("if=none,id=d0,format=raw,"
                                           "werror=stop,aio=%s,file=%s", aio,
                                           image);
    CHECK(block_drive_add(arg, &err) && block_options_open(&err),
          "-drive ...,werror=stop opens the image with blk-file");
    TsBlockBackend *blk = ts_block_attach("d0", NULL, NULL, NULL, true, &err);
    CHECK(blk != NULL, "a front end attaches");
    ts_vm_start();

    g_autofree uint8_t *data = g_malloc(TOTAL);
    for (size_t i = 0; i < TOTAL; i++) {
        data[i] = (uint8_t)(i * 131 + i / 4096);
    }
    Done d = { 0 };
    int submitted = 0;
    for (size_t off = 0; off < TOTAL && ts_vm_running(); off += CHUNK) {
        struct iovec v = { data + off, CHUNK };
        ts_block_pwritev(blk, off, &v, 1, 0, done_cb, &d);
        submitted++;
        settle(&d, submitted);
    }
    CHECK(!ts_vm_running(), "the full host disk stops the VM");
    CHECK(d.count == submitted - 1, "the failed write is held, not "
          "failed to the guest");
    CHECK(g_str_equal(blk->iostatus, "nospace"), "io-status is nospace");
    const char *status = "{\"execute\": \"query-status\"}\n";
    qmp_session_feed(qmp, status, strlen(status));
    CHECK(strstr(events->str, "\"io-error\""), "query-status says "
          "io-error, as QEMU's");
    g_autofree char *ev = g_strdup(events->str);
    char *w = ev;
    for (const char *r = events->str; *r; r++) {
        if (*r != ' ') {
            *w++ = *r;          /* compare without the spaces */
        }
    }
    *w = 0;
    if (!strstr(ev, "\"action\":\"stop\"")) {
        printf("# events: %s\n", events->str);
    }
    CHECK(strstr(ev, "\"BLOCK_IO_ERROR\"") &&
          strstr(ev, "\"action\":\"stop\"") &&
          strstr(ev, "\"nospace\":true") &&
          strstr(ev, "\"device\":\"d0\""),
          "BLOCK_IO_ERROR with action stop and nospace");

    /* The administrator makes room; `cont`. */
    CHECK(unlink(filler) == 0, "space freed");
    ts_vm_start();
    settle(&d, submitted);
    CHECK(d.count == submitted && d.ret == 0, "cont: the held write "
          "completes");
    for (size_t off = (size_t)submitted * CHUNK; off < TOTAL; off += CHUNK) {
        struct iovec v = { data + off, CHUNK };
        ts_block_pwritev(blk, off, &v, 1, 0, done_cb, &d);
        submitted++;
        settle(&d, submitted);
    }
    CHECK(d.count == submitted && d.ret == 0 && ts_vm_running(),
          "the rest of the writes complete");
    g_autofree uint8_t *back = g_malloc(TOTAL);
    CHECK(ts_block_pread_sync(blk, 0, back, TOTAL) == 0 &&
          memcmp(back, data, TOTAL) == 0,
          "every byte written reads back: nothing lost");
    uint64_t sqes = 0;
    int rings = uring_rings(&sqes);
    if (g_str_equal(aio, "io_uring")) {
        if (!(rings > 0 && sqes > 0)) {
            printf("# %d rings, %" PRIu64 " submissions\n", rings, sqes);
        }
        CHECK(rings > 0 && sqes > 0, "the requests went through io_uring "
              "rings (fdinfo SqHead)");
    } else {
        CHECK(rings == 0, "no io_uring ring is made");
    }
    ts_block_detach(blk);
    block_close_all();
    qmp_session_free(qmp);
    return 0;
}

/* One run in a child with its own tmpfs: its exit status, or 77 with
 * `why` filled when the tmpfs cannot be mounted. */
static int run_child(const char *dir, char *why, size_t len)
{
    int pipefd[2];
    if (pipe(pipefd) != 0) {
        snprintf(why, len, "pipe: %s", g_strerror(errno));
        return 77;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        /* A private mount namespace: the tmpfs is nobody else's. */
        if (unshare(CLONE_NEWNS) != 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount("tmpfs", dir, "tmpfs", 0, "size=256k") != 0) {
            dprintf(pipefd[1], "%s", g_strerror(errno));
            _exit(77);
        }
        close(pipefd[1]);
        int rc = run(dir);
        fflush(stdout);
        umount(dir);
        _exit(rc);
    }
    close(pipefd[1]);
    ssize_t n = read(pipefd[0], why, len - 1);
    why[n > 0 ? n : 0] = 0;
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
    if (!g_getenv("TESSERA_BUILD_ROOT")) {
        printf("1..0 # SKIP TESSERA_BUILD_ROOT is not set\n");
        return 0;
    }
    g_autofree char *dir = g_dir_make_tmp("blk-file-XXXXXX", NULL);
    if (!dir) {
        printf("1..0 # SKIP no temporary directory\n");
        return 0;
    }
    static const char *const modes[] = { "threads", "io_uring" };
    int failed = 0;
    for (size_t m = 0; m < G_N_ELEMENTS(modes); m++) {
        char why[256] = { 0 };
        aio = modes[m];
        if (g_str_equal(aio, "io_uring") && !uring_allowed(why, sizeof(why))) {
            for (int i = 0; i < CHECKS; i++) {
                printf("ok - aio=io_uring # SKIP %s\n", why);
            }
            continue;
        }
        int rc = run_child(dir, why, sizeof(why));
        if (rc == 77) {
            rmdir(dir);
            printf("1..0 # SKIP cannot mount a small tmpfs in a private "
                   "mount namespace: %s\n", why);
            return 0;
        }
        failed |= rc != 0;
    }
    rmdir(dir);
    printf("1..%d\n", CHECKS * (int)G_N_ELEMENTS(modes));
    return failed;
}

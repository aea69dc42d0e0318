/*
 * core/memory/memory-backend.c - -object memory-backend-ram, -file and
 * -memfd: named guest memory with the manual's properties, used by
 * `-machine memory-backend=ID` (the machine's RAM) and `-numa
 * node,memdev=ID` (a node's share of it).
 *
 * A backend is only a description until something takes it: the
 * machine's RAM maps it (memory_backend_map) when the board creates its
 * RAM, so a file is opened once, with the options checked at -object
 * time.
 */
#define _GNU_SOURCE             /* memfd_create, file seals */
#include "memory-backend.h"
#include "host-ram.h"
#include "cli/opts.h"
#include "object/user-object.h"

#include <tessera/types.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define HUGETLBFS_MAGIC_NUMBER 0x958458f6

typedef enum BackendKind { BACKEND_RAM, BACKEND_FILE, BACKEND_MEMFD } BackendKind;

static const char *const kind_type[] = {
    [BACKEND_RAM] = "memory-backend-ram",
    [BACKEND_FILE] = "memory-backend-file",
    [BACKEND_MEMFD] = "memory-backend-memfd",
};

typedef struct MemoryBackend {
    char *id;
    BackendKind kind;
    uint64_t size;
    HostRamSource src;          /* fd unset: opened when mapped */
    char *mem_path;             /* file */
    bool hugetlb, seal;         /* memfd */
    uint64_t hugetlbsize;
    bool used;                  /* a node or the machine took it */
} MemoryBackend;

static GPtrArray *backends;     /* of MemoryBackend * */

static void backend_free(void *p)
{
    MemoryBackend *b = p;
    g_free(b->id);
    g_free(b->mem_path);
    g_free(b);
}

static MemoryBackend *find(const char *id)
{
    for (guint i = 0; backends && i < backends->len; i++) {
        MemoryBackend *b = g_ptr_array_index(backends, i);
        if (g_str_equal(b->id, id)) {
            return b;
        }
    }
    return NULL;
}

/* ---- options ----------------------------------------------------------- */

static const char *const common_keys[] = {
    "qom-type", "id", "size", "share", "prealloc", "prealloc-threads",
    "merge", "dump", "reserve", "policy", "x-use-canonical-path-for-ramblock-id",
    NULL };
static const char *const file_keys[] = {
    "mem-path", "align", "readonly", "discard-data", "pmem", NULL };
static const char *const memfd_keys[] = {
    "hugetlb", "hugetlbsize", "seal", NULL };
/* Known to QEMU, changing what the memory is; not done here. */
static const char *const not_yet[] = {
    "host-nodes", "prealloc-context", NULL };

typedef struct KeyCheck {
    BackendKind kind;
    const char *bad;            /* first key that is not ours */
} KeyCheck;

static void find_bad_key(const char *key, const char *value, void *opaque)
{
    KeyCheck *kc = opaque;
    (void)value;
    if (kc->bad || g_strv_contains(common_keys, key) ||
        (kc->kind == BACKEND_FILE && g_strv_contains(file_keys, key)) ||
        (kc->kind == BACKEND_MEMFD && g_strv_contains(memfd_keys, key))) {
        return;
    }
    kc->bad = key;
}

static bool check_keys(const TsOpts *o, BackendKind kind, GError **errp)
{
    KeyCheck kc = { kind, NULL };
    opts_foreach(o, find_bad_key, &kc);
    if (!kc.bad) {
        return true;
    }
    if (g_strv_contains(not_yet, kc.bad)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "%s property '%s' is not supported yet",
                    kind_type[kind], kc.bad);
    } else {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid parameter '%s'", kc.bad);
    }
    return false;
}

static bool take_options(MemoryBackend *b, const TsOpts *o, GError **errp)
{
    uint64_t threads;
    bool reserve, pmem, discard;
    if (!opts_get_size(o, "size", 0, &b->size, errp) ||
        !opts_get_bool(o, "share", b->kind == BACKEND_MEMFD, &b->src.share,
                       errp) ||
        !opts_get_bool(o, "prealloc", false, &b->src.prealloc, errp) ||
        !opts_get_uint(o, "prealloc-threads", 1, &threads, errp) ||
        !opts_get_bool(o, "merge", true, &b->src.merge, errp) ||
        !opts_get_bool(o, "dump", true, &b->src.dump, errp) ||
        !opts_get_bool(o, "reserve", true, &reserve, errp) ||
        !opts_get_bool(o, "readonly", false, &b->src.readonly, errp) ||
        !opts_get_bool(o, "pmem", false, &pmem, errp) ||
        !opts_get_bool(o, "discard-data", false, &discard, errp) ||
        !opts_get_bool(o, "hugetlb", false, &b->hugetlb, errp) ||
        !opts_get_size(o, "hugetlbsize", 0, &b->hugetlbsize, errp) ||
        !opts_get_bool(o, "seal", true, &b->seal, errp)) {
        return false;
    }
    const char *policy = opts_get(o, "policy");
    if (policy && !g_str_equal(policy, "default")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "%s property 'policy' other than 'default' is not "
                    "supported yet", kind_type[b->kind]);
        return false;
    }
    if (!reserve || pmem || discard) {
        /* Each would change what happens to the pages (no swap
         * reservation, persistence guarantees, dropping the file's
         * contents at exit): refused rather than ignored. */
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "%s property '%s' is not supported yet",
                    kind_type[b->kind],
                    !reserve ? "reserve=off" : pmem ? "pmem=on"
                                                    : "discard-data=on");
        return false;
    }
    if (opts_has(o, "align")) {
        uint64_t align;
        if (!opts_get_size(o, "align", 0, &align, errp)) {
            return false;
        }
        if (align && (align & (align - 1))) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "alignment 0x%" G_GINT64_MODIFIER "x must be a "
                        "power of two", align);
            return false;
        }
    }
    if (b->kind == BACKEND_FILE) {
        const char *path = opts_get(o, "mem-path");
        if (!path) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Parameter 'mem-path' is missing");
            return false;
        }
        b->mem_path = g_strdup(path);
    }
    if (b->kind == BACKEND_MEMFD && b->hugetlbsize && !b->hugetlb) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "hugetlbsize requires hugetlb=on");
        return false;
    }
    if (b->size == 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "can't create backend with size 0");
        return false;
    }
    return true;
}

/* The type, id (well formed, unused) and qom-type are checked by
 * user-object.c. */
static bool backend_add(BackendKind kind, const char *arg, GError **errp)
{
    g_autofree char *flat = NULL;
    if (arg[0] == '{') {
        flat = user_object_json_to_opts(arg, errp);
        if (!flat) {
            return false;
        }
        arg = flat;
    }
    g_autoptr(TsOpts) o = opts_parse(arg, "qom-type", errp);
    if (!o || !check_keys(o, kind, errp)) {
        return false;
    }
    MemoryBackend *b = g_new0(MemoryBackend, 1);
    b->kind = kind;
    b->src.fd = -1;
    if (!take_options(b, o, errp)) {
        backend_free(b);
        return false;
    }
    b->id = g_strdup(opts_get(o, "id"));
    if (!backends) {
        backends = g_ptr_array_new_with_free_func(backend_free);
    }
    g_ptr_array_add(backends, b);
    return true;
}

static bool add_ram(const char *arg, GError **errp)
{
    return backend_add(BACKEND_RAM, arg, errp);
}

static bool add_file(const char *arg, GError **errp)
{
    return backend_add(BACKEND_FILE, arg, errp);
}

static bool add_memfd(const char *arg, GError **errp)
{
    return backend_add(BACKEND_MEMFD, arg, errp);
}

static bool backend_exists(const char *id)
{
    return find(id) != NULL;
}

static bool backend_del(const char *id, GError **errp)
{
    MemoryBackend *b = find(id);
    if (b->used) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "object '%s' is in use, can not be deleted", id);
        return false;
    }
    g_ptr_array_remove(backends, b);
    return true;
}

static void help_common(FILE *out, const char *type)
{
    fprintf(out, "%s options:\n"
            "  dump=<bool>            - Set to 'off' to exclude from core "
            "dump\n"
            "  merge=<bool>           - Mark memory as mergeable (KSM)\n"
            "  prealloc=<bool>        - Preallocate memory\n"
            "  prealloc-threads=<int> - Number of CPU threads to use for "
            "prealloc\n"
            "  share=<bool>           - Mark the memory as private to "
            "the VM or shared\n"
            "  size=<int>             - Size of the memory region "
            "(ex: 500M)\n", type);
}

static void help_ram(FILE *out)
{
    help_common(out, kind_type[BACKEND_RAM]);
}

static void help_file(FILE *out)
{
    help_common(out, kind_type[BACKEND_FILE]);
    fprintf(out,
            "  align=<int>            - Mapping alignment\n"
            "  mem-path=<str>         - Path to the file or directory "
            "that backs the memory\n"
            "  readonly=<bool>        - Map the file read-only; the "
            "guest's writes stay private\n");
}

static void help_memfd(FILE *out)
{
    help_common(out, kind_type[BACKEND_MEMFD]);
    fprintf(out,
            "  hugetlb=<bool>         - Use huge pages\n"
            "  hugetlbsize=<int>      - Huge page size (ex: 2M, 1G)\n"
            "  seal=<bool>            - Seal growing & shrinking\n");
}

static const UserObjectKind ram_kind = {
    .type = "memory-backend-ram", .add = add_ram,
    .exists = backend_exists, .del = backend_del, .print_help = help_ram,
};
static const UserObjectKind file_kind = {
    .type = "memory-backend-file", .add = add_file,
    .exists = backend_exists, .del = backend_del, .print_help = help_file,
};
static const UserObjectKind memfd_kind = {
    .type = "memory-backend-memfd", .add = add_memfd,
    .exists = backend_exists, .del = backend_del, .print_help = help_memfd,
};
USER_OBJECT_KIND(ram_kind)
USER_OBJECT_KIND(file_kind)
USER_OBJECT_KIND(memfd_kind)

/* ---- taking and mapping ------------------------------------------------- */

bool memory_backend_size(const char *id, uint64_t *size)
{
    MemoryBackend *b = find(id);
    if (b) {
        *size = b->size;
        b->used = true;
    }
    return b != NULL;
}

bool memory_backend_plain(const char *id)
{
    MemoryBackend *b = find(id);
    return b && b->kind == BACKEND_RAM && !b->src.share && !b->src.prealloc;
}

/* The file behind mem-path: a directory gets an unlinked file of its own
 * (as QEMU's -mem-path does), a path that does not exist is created, an
 * existing file is used (and grown to the size unless read-only). */
static int open_mem_path(const char *path, uint64_t size, bool readonly,
                         GError **errp)
{
    int fd;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        g_autofree char *tmpl = g_build_filename(path,
                                                 "tessera_back_mem.XXXXXX",
                                                 NULL);
        fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0) {
            unlink(tmpl);
        }
    } else {
        fd = open(path, (readonly ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC,
                  0644);
    }
    if (fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "can't open backing store %s for guest RAM: %s", path,
                    g_strerror(errno));
        return -1;
    }
    struct statfs fs;
    if (fstatfs(fd, &fs) == 0 && fs.f_type == HUGETLBFS_MAGIC_NUMBER &&
        size % (uint64_t)fs.f_bsize) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "memory size 0x%" G_GINT64_MODIFIER "x must be a "
                    "multiple of the huge page size 0x%lx of %s", size,
                    (unsigned long)fs.f_bsize, path);
        close(fd);
        return -1;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size < size) {
        if (readonly) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "backing store %s size 0x%" G_GINT64_MODIFIER "x "
                        "is smaller than memory size 0x%" G_GINT64_MODIFIER
                        "x", path, (uint64_t)st.st_size, size);
            close(fd);
            return -1;
        }
        if (ftruncate(fd, (off_t)size) < 0) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "can't grow backing store %s for guest RAM: %s",
                        path, g_strerror(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

static int open_memfd(MemoryBackend *b, GError **errp)
{
    unsigned flags = MFD_CLOEXEC | (b->seal ? MFD_ALLOW_SEALING : 0);
    if (b->hugetlb) {
        flags |= MFD_HUGETLB;
        if (b->hugetlbsize) {
            flags |= (unsigned)g_bit_nth_lsf(b->hugetlbsize, -1)
                     << MAP_HUGE_SHIFT; /* MFD_HUGE_SHIFT, same value */
        }
    }
    int fd = memfd_create(kind_type[BACKEND_MEMFD], flags);
    if (fd < 0 || ftruncate(fd, (off_t)b->size) < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "cannot make a memfd of %" G_GUINT64_FORMAT " bytes for "
                    "guest RAM: %s", b->size, g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    if (b->seal) {
        fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
    }
    return fd;
}

void *memory_backend_map(const char *id, const char *name, size_t *mapped,
                         GError **errp)
{
    MemoryBackend *b = find(id);
    if (!b) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Memory backend '%s' not found", id);
        return NULL;
    }
    HostRamSource src = b->src;
    if (b->kind == BACKEND_FILE) {
        src.fd = open_mem_path(b->mem_path, b->size, b->src.readonly, errp);
    } else if (b->kind == BACKEND_MEMFD) {
        src.fd = open_memfd(b, errp);
    }
    if (b->kind != BACKEND_RAM && src.fd < 0) {
        return NULL;
    }
    void *host = host_ram_map(name, &src, b->size, mapped, errp);
    if (src.fd >= 0) {
        close(src.fd);          /* the mapping keeps the file */
    }
    b->used = host != NULL;
    return host;
}

void *memory_mem_path_map(const char *path, const char *name, uint64_t size,
                          size_t *mapped, GError **errp)
{
    HostRamSource src = { .fd = open_mem_path(path, size, false, errp),
                          .merge = true, .dump = true };
    if (src.fd < 0) {
        return NULL;
    }
    void *host = host_ram_map(name, &src, size, mapped, errp);
    close(src.fd);
    return host;
}

void memory_backend_reset(void)
{
    g_clear_pointer(&backends, g_ptr_array_unref);
}

/*
 * core/memory/host-ram.c - see host-ram.h.
 */
#include "host-ram.h"

#include <tessera/types.h>
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

/* From this size on, RAM is mmap'ed: pages cost memory only once the
 * guest touches them, and the kernel can back them with huge pages. */
#define RAM_MMAP_THRESHOLD (UINT64_C(2) << 20)

static bool prealloc;

void host_ram_set_prealloc(bool on)
{
    prealloc = on;
}

static void set_alloc_error(GError **errp, const char *doing,
                            const char *name, uint64_t size, int err)
{
    /* Exact, in the largest unit that divides it: the user's -m, mostly
     * (g_format_size rounds, and puts a no-break space before the unit). */
    static const char *const units[] = { "bytes", "KiB", "MiB", "GiB",
                                         "TiB" };
    unsigned u = 0;
    uint64_t n = size;
    while (u + 1 < G_N_ELEMENTS(units) && n && n % 1024 == 0) {
        n /= 1024;
        u++;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                "cannot %s guest memory '%s' of %" G_GUINT64_FORMAT
                " %s: %s", doing, name, n, units[u], g_strerror(err));
}

/* Fault every page in now.  MADV_POPULATE_WRITE (Linux 5.14) says ENOMEM
 * where it cannot; older kernels get a write to each page. */
static bool populate(void *host, size_t size, int *err)
{
#ifdef MADV_POPULATE_WRITE
    if (madvise(host, size, MADV_POPULATE_WRITE) == 0) {
        return true;
    }
    if (errno != EINVAL) {
        *err = errno;
        return false;
    }
#endif
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < size; off += page) {
        ((volatile char *)host)[off] = 0;
    }
    return true;
}

bool host_ram_prealloc_enabled(void)
{
    return prealloc;
}

void *host_ram_map(const char *name, const HostRamSource *src,
                   uint64_t size, size_t *mapped, GError **errp)
{
    int flags = src->share ? MAP_SHARED : MAP_PRIVATE;
    if (src->fd < 0) {
        flags |= MAP_ANONYMOUS;
    }
    /* A read-only file is mapped private and writable: the guest's
     * stores stay in the process, the file is never written (QEMU maps
     * it read-only and the guest's first store faults). */
    int prot = PROT_READ | PROT_WRITE;
    if (src->readonly) {
        flags = (flags & ~MAP_SHARED) | MAP_PRIVATE;
    }
    void *host = mmap(NULL, size, prot, flags, src->fd, 0);
    if (host == MAP_FAILED) {
        set_alloc_error(errp, "map", name, size, errno);
        return NULL;
    }
    *mapped = size;
#ifdef MADV_HUGEPAGE
    if (src->fd < 0) {
        madvise(host, size, MADV_HUGEPAGE);
    }
#endif
#ifdef MADV_DONTDUMP
    if (!src->dump) {
        madvise(host, size, MADV_DONTDUMP);
    }
#endif
#ifdef MADV_MERGEABLE
    if (src->merge) {
        madvise(host, size, MADV_MERGEABLE);
    }
#endif
    int err = 0;
    if ((src->prealloc || prealloc) && !populate(host, size, &err)) {
        set_alloc_error(errp, "preallocate", name, size, err);
        munmap(host, size);
        *mapped = 0;
        return NULL;
    }
    return host;
}

void *host_ram_alloc(const char *name, uint64_t size, bool is_rom,
                     size_t *mapped, GError **errp)
{
    void *host;
    *mapped = 0;
    if (size < RAM_MMAP_THRESHOLD) {
        host = g_try_malloc0(size);
        if (!host) {
            set_alloc_error(errp, "set up", name, size, ENOMEM);
            return NULL;
        }
    } else {
        /* No MAP_NORESERVE: the commit accounting is the point. */
        host = mmap(NULL, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (host == MAP_FAILED) {
            set_alloc_error(errp, "set up", name, size, errno);
            return NULL;
        }
        *mapped = size;
#ifdef MADV_HUGEPAGE
        madvise(host, size, MADV_HUGEPAGE);     /* fewer TLB misses */
#endif
    }
    int err = 0;
    if (prealloc && !is_rom && !populate(host, size, &err)) {
        set_alloc_error(errp, "preallocate", name, size, err);
        if (*mapped) {
            munmap(host, *mapped);
        } else {
            g_free(host);
        }
        return NULL;
    }
    return host;
}

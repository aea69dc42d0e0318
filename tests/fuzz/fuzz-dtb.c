/*
 * libFuzzer target: a -dtb blob, as the virt board takes it
 * (plugins/dev-riscv-virt/virt-dtb.c, compiled in): the checks before
 * libfdt sees it, opening it with room for edits, the /chosen initrd edit
 * and the packing the board does before handing it over.  Any input must
 * be taken or refused with a message naming the file; never crash, leak
 * or hang.
 *
 * libfdt comes from the system, uninstrumented, so ASan does not see its
 * reads: the input is placed so that it ends where an inaccessible page
 * begins (less up to 7 bytes: it starts 8-byte aligned, as the board's
 * g_malloc'ed copy does and as libfdt expects), and a read past its end
 * faults.
 */
#include "virt-dtb.h"

#include <libfdt.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A buffer that ends at most 7 bytes before a PROT_NONE page. */
typedef struct Guarded {
    uint8_t *map;
    size_t map_len;
    uint8_t *data;
} Guarded;

static Guarded guarded_copy(const uint8_t *data, size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t room = (size + page - 1) / page * page;
    Guarded g = { .map_len = room + page };
    g.map = mmap(NULL, g.map_len, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g.map == MAP_FAILED) {
        abort();
    }
    mprotect(g.map + room, page, PROT_NONE);
    g.data = g.map + ((room - size) & ~(size_t)7);
    memcpy(g.data, data, size);
    return g;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > VIRT_DTB_MAX_SIZE) {
        return 0;               /* refused before it is looked at */
    }
    Guarded g = guarded_copy(data, size);
    GError *err = NULL;
    void *fdt = virt_dtb_open(g.data, size, "fuzz.dtb", &err);
    if (fdt) {
        if (virt_fdt_set_initrd(fdt, 0x88000000, 0x88100000, &err)) {
            fdt_pack(fdt);
            g_assert(fdt_totalsize(fdt) <= size + 64 * 1024);
        }
        g_free(fdt);
    } else if (!strstr(err->message, "fuzz.dtb")) {
        g_error("message without the file name: %s", err->message);
    }
    g_clear_error(&err);
    munmap(g.map, g.map_len);
    return 0;
}

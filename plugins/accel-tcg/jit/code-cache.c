/*
 * code-cache.c - executable memory for translated code and the x86-64
 * trampolines that enter and leave it.
 */
#define _GNU_SOURCE             /* memfd_create */
#include "code-cache.h"
#include "x86-emit.h"
#include <sys/mman.h>
#include <unistd.h>
#include <fcntl.h>

/* Align the start of translated code so blocks begin on a fresh line. */
#define CODE_ALIGN 64

static void emit_trampolines(TcgCodeCache *c)
{
    X86Buf b = { c->base, c->base, c->base + c->size };
    static const int saved[] = { X86_RBX, X86_RBP, X86_R12, X86_R13, X86_R14, X86_R15 };

    /* enter(state = rdi, code = rsi, budget = rdx, arg = rcx): six pushes
     * plus the return address leave rsp 8 off a 16-byte boundary; one
     * more slot fixes that. */
    c->enter = (TcgExit (*)(void *, const void *, uint64_t, uint64_t))
               (void *)(uintptr_t)tcg_cache_rx(c, b.p);
    for (unsigned i = 0; i < 6; i++) {
        x86_push(&b, saved[i]);
    }
    x86_alu_ri(&b, true, X86_SUB, X86_RSP, 8);
    x86_mov_rr(&b, X86_RBX, X86_RDI);
    x86_mov_rr(&b, X86_R13, X86_RDX);
    x86_mov_rr(&b, X86_R12, X86_RCX);
    x86_b(&b, 0xff);
    x86_b(&b, 0xe6);                        /* jmp rsi */

    c->exit = b.p;
    x86_shift_ri(&b, true, X86_SHL, X86_R13, 2);
    x86_alu_rr(&b, true, X86_OR, X86_RAX, X86_R13);
    x86_alu_ri(&b, true, X86_ADD, X86_RSP, 8);
    for (int i = 5; i >= 0; i--) {
        x86_pop(&b, saved[i]);
    }
    x86_ret(&b);

    size_t used = (size_t)(b.p - c->base);
    c->code_start = c->base + ((used + CODE_ALIGN - 1) & ~(size_t)(CODE_ALIGN - 1));
    c->ptr = c->code_start;
}

/* The same memory twice, writable and executable (split-wx). */
static bool map_split(TcgCodeCache *c, size_t size, const char **err)
{
    int fd = memfd_create("tessera-jit", MFD_CLOEXEC);
    if (fd < 0) {
        *err = "split-wx: cannot create the memory for the translation cache";
        return false;
    }
    void *rw = MAP_FAILED, *rx = MAP_FAILED;
    if (ftruncate(fd, (off_t)size) == 0) {
        rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        rx = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    }
    close(fd);
    if (rw == MAP_FAILED || rx == MAP_FAILED) {
        if (rw != MAP_FAILED) {
            munmap(rw, size);
        }
        if (rx != MAP_FAILED) {
            munmap(rx, size);
        }
        *err = "split-wx: cannot map the translation cache twice";
        return false;
    }
    c->base = rw;
    c->rx_delta = (uint8_t *)rx - (uint8_t *)rw;
    return true;
}

bool tcg_cache_init(TcgCodeCache *c, size_t size, bool split_wx, const char **err)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    memset(c, 0, sizeof(*c));
    if (size < 64 * 1024) {
        size = 64 * 1024;
    }
    size = (size + page - 1) & ~(page - 1);
    if (split_wx) {
        if (!map_split(c, size, err)) {
            return false;
        }
    } else {
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            *err = "cannot map executable memory for the translation cache";
            return false;
        }
        c->base = p;
    }
    c->size = size;
    emit_trampolines(c);
    return true;
}

void tcg_cache_destroy(TcgCodeCache *c)
{
    if (c->base) {
        munmap(c->base, c->size);
        if (c->rx_delta) {
            munmap(c->base + c->rx_delta, c->size);
        }
    }
    memset(c, 0, sizeof(*c));
}

void tcg_cache_reset(TcgCodeCache *c)
{
    c->ptr = c->code_start;
    c->flushes++;
}

/*
 * code-cache.h - the JIT's executable memory: one mmap'd region filled
 * front to back and emptied wholesale when full.
 *
 * The first bytes hold the host entry/exit trampolines (code-cache.c):
 * tcg_cache_enter(cache, state, code, budget, arg) saves the host's
 * callee-saved registers, puts `state` in rbx, `budget` in r13 and `arg`
 * in r12 (the translator's to use: the RISC-V one passes the pc) and
 * jumps to `code`.  Translated code leaves by jumping to cache->exit with
 * a small exit kind (0..3) in eax and a chaining slot (the address of a
 * jump's rel32 that may be pointed at the next block, or 0) in rdx; the
 * caller gets kind | r13 << 2 and the slot.  Inside translated code rsp
 * is 16-byte aligned, so C helpers can be called directly.
 *
 * split-wx: the cache may be one RWX mapping or, with split_wx, the same
 * memory mapped twice, writable (base) and executable (base + rx_delta),
 * so no page is ever both.  Translators write through the writable view
 * and compute relative jumps there (distances are the same in both);
 * addresses handed over to run (entry points, jump-table entries) go
 * through tcg_cache_rx, and an address translated code computes at run
 * time (a chaining slot) through tcg_cache_rw before it is written.
 *
 * Thread safety: one cache per vCPU thread; nothing here locks.
 */
#ifndef TCG_CODE_CACHE_H
#define TCG_CODE_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* What translated code returns (in rax:rdx). */
typedef struct TcgExit {
    uint64_t result;        /* exit kind | budget left << 2 */
    uint8_t *slot;          /* rel32 to patch for chaining, or NULL */
} TcgExit;

typedef struct TcgCodeCache {
    uint8_t *base;          /* the mapping (RWX), or its writable view */
    ptrdiff_t rx_delta;     /* executable view - base (0: one mapping) */
    size_t size;
    uint8_t *code_start;    /* first byte after the trampolines */
    uint8_t *ptr;           /* next free byte */
    uint8_t *exit;          /* translated code jumps here to return */
    TcgExit (*enter)(void *state, const void *code, uint64_t budget, uint64_t arg);
    uint64_t flushes;       /* times the cache was emptied */
} TcgCodeCache;

/* Map a cache of `size` bytes (rounded up to pages), once RWX or, with
 * split_wx, twice (see above); false with a message in *err (static
 * string) if the host refuses executable memory. */
bool tcg_cache_init(TcgCodeCache *c, size_t size, bool split_wx, const char **err);
void tcg_cache_destroy(TcgCodeCache *c);
/* Forget every translation (the trampolines stay). */
void tcg_cache_reset(TcgCodeCache *c);
/* The executable address of code written at `rw`, and back. */
static inline const uint8_t *tcg_cache_rx(const TcgCodeCache *c, const uint8_t *rw)
{
    return rw + c->rx_delta;
}

static inline uint8_t *tcg_cache_rw(const TcgCodeCache *c, const uint8_t *rx)
{
    return (uint8_t *)(uintptr_t)(rx - c->rx_delta);
}

/* Bytes still free. */
static inline size_t tcg_cache_free(const TcgCodeCache *c)
{
    return (size_t)(c->base + c->size - c->ptr);
}

static inline TcgExit tcg_cache_enter(TcgCodeCache *c, void *state, const void *code,
                                      uint64_t budget, uint64_t arg)
{
    return c->enter(state, code, budget, arg);
}

#endif

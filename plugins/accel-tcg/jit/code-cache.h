/*
 * code-cache.h - the JIT's executable memory: one mmap'd region filled
 * front to back and emptied wholesale when full.
 *
 * The first bytes hold the host entry/exit trampolines (code-cache.c):
 * tcg_cache_enter(cache, state, code) saves the host's callee-saved
 * registers, puts `state` in rbx and jumps to `code`; translated code
 * leaves by jumping to cache->exit with its result in eax.  Inside
 * translated code rsp is 16-byte aligned, so C helpers can be called
 * directly.
 *
 * Thread safety: one cache per vCPU thread; nothing here locks.
 */
#ifndef TCG_CODE_CACHE_H
#define TCG_CODE_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

typedef struct TcgCodeCache {
    uint8_t *base;          /* the mapping (RWX) */
    size_t size;
    uint8_t *code_start;    /* first byte after the trampolines */
    uint8_t *ptr;           /* next free byte */
    uint8_t *exit;          /* translated code jumps here to return */
    uint64_t (*enter)(void *state, const void *code);
    uint64_t flushes;       /* times the cache was emptied */
} TcgCodeCache;

/* Map a cache of `size` bytes (rounded up to pages); false with a message
 * in *err (static string) if the host refuses executable memory. */
bool tcg_cache_init(TcgCodeCache *c, size_t size, const char **err);
void tcg_cache_destroy(TcgCodeCache *c);
/* Forget every translation (the trampolines stay). */
void tcg_cache_reset(TcgCodeCache *c);
/* Bytes still free. */
static inline size_t tcg_cache_free(const TcgCodeCache *c)
{
    return (size_t)(c->base + c->size - c->ptr);
}

static inline uint64_t tcg_cache_enter(TcgCodeCache *c, void *state, const void *code)
{
    return c->enter(state, code);
}

#endif
